package tron

import "testing"

func TestAddressRoundTrip(t *testing.T) {
	const usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
	b, err := WireAddress(usdt)
	if err != nil {
		t.Fatal(err)
	}
	// TRON's USDT contract is 41a614f803b6fd780986a42c78ec9c7f77e6ded13c in hex.
	if got := "a614f803b6fd780986a42c78ec9c7f77e6ded13c"; hexOf(b) != got {
		t.Fatalf("wire bytes %s, want %s", hexOf(b), got)
	}
	if FromWire(b) != usdt {
		t.Fatalf("round trip gave %s", FromWire(b))
	}
	if _, err := WireAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7"); err == nil {
		t.Fatal("an EVM address was accepted as TRON")
	}
}

func hexOf(b [20]byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 40)
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestHeaderAndSettle(t *testing.T) {
	if h := RPCHeader(""); len(h) != 0 {
		t.Fatalf("header without key: %v", h)
	}
	if RPCHeader("k1").Get(APIKeyHeader) != "k1" {
		t.Fatal("API key header missing")
	}
	if CheckSettle("finalized") != nil || CheckSettle("19") == nil {
		t.Fatal("TRON settle rule check is wrong")
	}
	if TxID("0xABCdef") != "abcdef" {
		t.Fatalf("TxID = %s", TxID("0xABCdef"))
	}
}
