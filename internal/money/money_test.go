package money

import (
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
)

func TestSignText(t *testing.T) {
	cases := map[string]string{
		"42": "42", "42.0": "42", "42.50": "42.5", "7.91": "7.91", "1e2": "100", "0.1": "0.1",
		"-3": "-3", "1.5E-3": "0.0015", "100000000000000000000": "100000000000000000000",
		"9007199254740993":    "9007199254740993", // an int64 literal keeps its digits
		"0.30000000000000004": "0.30000000000000004",
	}
	for in, want := range cases {
		got, err := SignText(json.Number(in))
		if err != nil || got != want {
			t.Errorf("SignText(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := SignText(json.Number("abc")); err == nil {
		t.Error("SignText(abc) succeeded")
	}
}

func TestParseAmount(t *testing.T) {
	d, text, err := ParseAmount(json.Number("7.910"))
	if err != nil || text != "7.91" || !d.Equal(decimal.RequireFromString("7.91")) {
		t.Fatalf("7.910: %s %q %v", d, text, err)
	}
	if _, _, err := ParseAmount(json.Number("7.910000000000000001")); !errors.Is(err, ErrInexact) {
		t.Fatalf("inexact: %v", err)
	}
	if _, _, err := ParseAmount(json.Number("1e16")); err == nil {
		t.Fatal("huge amount accepted")
	}
	d, text, err = ParseAmount(json.Number("1E2"))
	if err != nil || text != "100" || d.String() != "100" {
		t.Fatalf("1E2: %s %q %v", d, text, err)
	}
}

func TestToUSDT(t *testing.T) {
	step := decimal.New(1, -2)
	cases := []struct{ fiat, rate, want string }{
		{"100", "7.12", "14.04"}, // 14.0449… rounds down
		{"10", "7.2", "1.39"},    // 1.3888… rounds up
		{"7.2", "7.2", "1"},
		{"0.01", "7.2", "0"},
		{"1.005", "1", "1.01"}, // half up
	}
	for _, c := range cases {
		got, err := ToUSDT(decimal.RequireFromString(c.fiat), decimal.RequireFromString(c.rate), step)
		if err != nil || !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("ToUSDT(%s/%s) = %s, %v; want %s", c.fiat, c.rate, got, err, c.want)
		}
	}
	got, _ := ToUSDT(decimal.RequireFromString("10"), decimal.RequireFromString("3"), decimal.RequireFromString("0.05"))
	if got.String() != "3.35" {
		t.Errorf("step 0.05: %s", got)
	}
	if _, err := ToUSDT(decimal.NewFromInt(1), decimal.Zero, step); err == nil {
		t.Error("zero rate accepted")
	}
}

func TestUnits(t *testing.T) {
	u, err := ToUnits(decimal.RequireFromString("7.91"), 6)
	if err != nil || u.String() != "7910000" {
		t.Fatalf("6 decimals: %v %v", u, err)
	}
	u, err = ToUnits(decimal.RequireFromString("7.91"), 18)
	if err != nil || u.String() != "7910000000000000000" {
		t.Fatalf("18 decimals: %v %v", u, err)
	}
	if _, err := ToUnits(decimal.RequireFromString("0.0000001"), 6); err == nil {
		t.Fatal("sub-unit amount accepted")
	}
	big18, _ := new(big.Int).SetString("123456789012345678901", 10)
	if got := FromUnits(big18, 18).String(); got != "123.456789012345678901" {
		t.Fatalf("FromUnits: %s", got)
	}
	if got := Fixed(FromUnits(big.NewInt(7900000), 6), 2); got != "7.90" {
		t.Fatalf("Fixed: %s", got)
	}
	if _, err := ParseUnits("12x"); err == nil {
		t.Fatal("ParseUnits accepted junk")
	}
}
