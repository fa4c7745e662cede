package address

import (
	"strings"
	"testing"
)

func TestTronKnownAddress(t *testing.T) {
	// USDT on TRON; hex form from chains.md facts: 41a614f803b6fd780986a42c78ec9c7f77e6ded13c
	b, err := ParseTron("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	if err != nil {
		t.Fatal(err)
	}
	if got := "41" + strings.ToLower(EncodeEVM(b)[2:]); got != "41a614f803b6fd780986a42c78ec9c7f77e6ded13c" {
		t.Fatalf("hex = %s", got)
	}
	if EncodeTron(b) != "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t" {
		t.Fatal("round trip")
	}
	hexForm, err := Normalize(Tron, "41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
	if err != nil || hexForm != "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t" {
		t.Fatalf("hex input: %s %v", hexForm, err)
	}
}

func TestTronRejects(t *testing.T) {
	for in, want := range map[string]string{
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T":         "checksum",
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6":          "34 characters",
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj0t":         "Base58",
		"0xdAC17F958D2ee523a2206206994597C13D831ec7": "EVM",
		"T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb":         "zero",
	} {
		_, err := Normalize(Tron, in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want error containing %q", in, err, want)
		}
	}
}

func TestEVM(t *testing.T) {
	got, err := Normalize(Ethereum, "0xdac17f958d2ee523a2206206994597c13d831ec7")
	if err != nil || got != "0xdAC17F958D2ee523a2206206994597C13D831ec7" {
		t.Fatalf("%s %v", got, err)
	}
	// EIP-55 test vector.
	if _, err := Normalize(BSC, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD": "checksum",
		"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae":  "40 hex",
		"5aaeb6053f3e94c9b9a09f33669435e7ef1beaed":   "start with 0x",
		"0x0000000000000000000000000000000000000000": "zero",
		"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t":         "TRON",
		"0xzaaeb6053f3e94c9b9a09f33669435e7ef1beaed": "hex",
	} {
		_, err := Normalize(Polygon, in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want error containing %q", in, err, want)
		}
	}
	if _, err := Normalize("bitcoin", "x"); err == nil {
		t.Fatal("unknown chain accepted")
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "0xdac17f958d2ee523a2206206994597c13d831ec7", "", "T", "41", "0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range Chains() {
			out, err := Normalize(c, s)
			if err != nil {
				continue
			}
			again, err := Normalize(c, out)
			if err != nil || again != out {
				t.Fatalf("%s: canonical %q does not round-trip: %q %v", c, out, again, err)
			}
		}
	})
}
