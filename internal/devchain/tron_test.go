package devchain

import (
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// encodeTron is the test's independent Base58Check encoder (0x41 ‖ 20 bytes).
func encodeTron(a common.Address) string {
	payload := append([]byte{0x41}, a.Bytes()...)
	first := sha256.Sum256(payload)
	second := sha256.Sum256(first[:])
	n := new(big.Int).SetBytes(append(payload, second[:4]...))
	var out []byte
	mod, base := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append([]byte{base58Alphabet[mod.Int64()]}, out...)
	}
	return string(out)
}

func TestTronAddressKnownVector(t *testing.T) {
	// Mainnet USDT on TRON, and its hex form 41a614f8….
	got, err := tronAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	if err != nil {
		t.Fatal(err)
	}
	if want := common.HexToAddress("0xa614f803b6fd780986a42c78ec9c7f77e6ded13c"); got != want {
		t.Errorf("decoded %s, want %s", got.Hex(), want.Hex())
	}
}

func TestTronAddressRoundTripAndErrors(t *testing.T) {
	for _, a := range []common.Address{addr(1), common.HexToAddress(PayerAddress), common.HexToAddress("0xffffffffffffffffffffffffffffffffffffffff")} {
		s := encodeTron(a)
		got, err := tronAddress(s)
		if err != nil || got != a {
			t.Errorf("tronAddress(%s) = %s, %v; want %s", s, got.Hex(), err, a.Hex())
		}
	}
	good := encodeTron(addr(7))
	last := good[len(good)-1]
	swapped := good[:len(good)-1] + string(map[bool]byte{true: '2', false: '3'}[last != '2'])
	for name, in := range map[string]string{
		"bad checksum":   swapped,
		"short":          good[:33],
		"long":           good + "1",
		"invalid char 0": "T" + strings.Repeat("0", 33),
		"not T":          "A" + good[1:],
		"empty":          "",
	} {
		if got, err := tronAddress(in); err == nil {
			t.Errorf("%s: tronAddress(%q) = %s, want error", name, in, got.Hex())
		}
	}
}
