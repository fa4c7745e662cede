package notify

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

func TestSignMD5SpecVector(t *testing.T) {
	got := SignMD5(map[string]string{"amount": "42", "notify_url": "http://example.com/notify",
		"order_id": "20220201030210321", "redirect_url": "http://example.com/redirect", "signature": "x", "empty": ""},
		"epusdt_password_xasddawqe")
	if got != "1cd4b52df5587cfb1968b0c0c6e156cd" {
		t.Fatalf("signature %s, want the spec's 1cd4b52df5587cfb1968b0c0c6e156cd", got)
	}
}

func TestNumberText(t *testing.T) {
	for in, want := range map[string]string{"42": "42", "42.50": "42.5", "7.91": "7.91", "1e2": "100",
		"0.000001": "0.000001", "123456789.12": "123456789.12"} {
		got, err := NumberText(json.Number(in))
		if err != nil || got != want {
			t.Errorf("NumberText(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := NumberText("abc"); err == nil {
		t.Fatal("NumberText accepted abc")
	}
}

func testOrder() store.Order {
	return store.Order{TradeID: "T1", OrderID: "shop-1", Amount: "10.5", ActualAmount: "1.450000",
		Token: "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf", BlockTransactionID: "0xfeed"}
}

func TestBuildBody(t *testing.T) {
	raw, err := BuildBody(testOrder(), StatusPaid, testToken)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"trade_id":"T1","order_id":"shop-1","amount":10.5,"actual_amount":1.45,` +
		`"token":"TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf","block_transaction_id":"0xfeed","signature":"`
	if !strings.HasPrefix(string(raw), want) || !strings.HasSuffix(string(raw), `","status":2}`) {
		t.Fatalf("body %s", raw)
	}
	if !phpVerify(raw, testToken) {
		t.Fatal("PHP-style verification failed")
	}
	if err := VerifyMD5(raw, testToken); err != nil {
		t.Fatal(err)
	}
	if err := VerifyMD5(raw, "other"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong token: %v", err)
	}
	tampered := strings.Replace(string(raw), `"amount":10.5`, `"amount":11.5`, 1)
	if phpVerify([]byte(tampered), testToken) || VerifyMD5([]byte(tampered), testToken) == nil {
		t.Fatal("tampered amount verified")
	}
}

func TestBuildBodyAmountEchoedExactly(t *testing.T) {
	o := testOrder()
	o.Amount = "42"
	raw, err := BuildBody(o, StatusPaid, testToken)
	if err != nil || !strings.Contains(string(raw), `"amount":42,`) {
		t.Fatalf("body %s %v", raw, err)
	}
	o.Amount = "not a number"
	if _, err := BuildBody(o, StatusPaid, testToken); err == nil {
		t.Fatal("bad amount accepted")
	}
}

func TestVerifyHMAC(t *testing.T) {
	body := []byte(`{"a":1}`)
	now := time.Unix(1_900_000_000, 0)
	h := http.Header{}
	h.Set(HeaderEventID, "evt_1")
	h.Set(HeaderTimestamp, "1900000000")
	h.Set(HeaderSignature, SignHMAC(testToken, "evt_1", "1900000000", body))
	if id, err := Verify(h, body, testToken, now.Add(time.Minute), 5*time.Minute); err != nil || id != "evt_1" {
		t.Fatalf("verify: %q %v", id, err)
	}
	if _, err := Verify(h, []byte(`{"a":2}`), testToken, now, time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if _, err := Verify(h, body, testToken, now.Add(time.Hour), 5*time.Minute); !errors.Is(err, ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	h.Set(HeaderEventID, "evt_2")
	if _, err := Verify(h, body, testToken, now, time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other event id: %v", err)
	}
	// Known answer, computed independently with openssl:
	// printf 'evt_1.1900000000.{"a":1}' | openssl dgst -sha256 -hmac epusdt_password_xasddawqe
	const want = "v1=ca55a330915c8deb1a72911278f15f21515497edbf8755ba247a2eef5b27474a"
	if got := SignHMAC(testToken, "evt_1", "1900000000", body); got != want {
		t.Fatalf("header %s", got)
	}
}
