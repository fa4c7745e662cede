package api

import (
	"encoding/json"
	"testing"
)

func TestSignatureWorkedExample(t *testing.T) {
	// From the Epusdt spec.
	fields := map[string]any{"amount": json.Number("42"), "notify_url": "http://example.com/notify",
		"order_id": "20220201030210321", "redirect_url": "http://example.com/redirect", "signature": "ignored"}
	got, err := Sign(fields, "epusdt_password_xasddawqe")
	if err != nil || got != "1cd4b52df5587cfb1968b0c0c6e156cd" {
		t.Fatalf("Sign = %s, %v", got, err)
	}
	// The PHP client computes the same.
	php := map[string]any{"amount": 42, "notify_url": "http://example.com/notify",
		"order_id": "20220201030210321", "redirect_url": "http://example.com/redirect"}
	if p := phpSign(php, "epusdt_password_xasddawqe"); p != got {
		t.Fatalf("php-style %s", p)
	}
}

func TestSignatureRules(t *testing.T) {
	base := map[string]any{"amount": json.Number("42.50"), "order_id": "A"}
	want, _ := Sign(map[string]any{"amount": json.Number("42.5"), "order_id": "A"}, "k")
	cases := map[string]map[string]any{
		"trailing zero":  base,
		"null skipped":   {"amount": json.Number("42.50"), "order_id": "A", "redirect_url": nil},
		"empty skipped":  {"amount": json.Number("42.5"), "order_id": "A", "redirect_url": ""},
		"exponent":       {"amount": json.Number("4.25e1"), "order_id": "A"},
		"signature left": {"amount": json.Number("42.5"), "order_id": "A", "signature": "x"},
	}
	for name, f := range cases {
		if got, err := Sign(f, "k"); err != nil || got != want {
			t.Errorf("%s: %s %v", name, got, err)
		}
	}
	// Unknown extra fields are signed.
	if got, _ := Sign(map[string]any{"amount": json.Number("42.5"), "order_id": "A", "extra": "1"}, "k"); got == want {
		t.Error("extra field not signed")
	}
	for name, v := range map[string]any{"bool": true, "array": []any{}, "object": map[string]any{}} {
		if _, err := Sign(map[string]any{"x": v}, "k"); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if err := verify(map[string]any{"a": "1", "signature": want}, "k"); err == nil {
		t.Error("wrong signature accepted")
	}
}
