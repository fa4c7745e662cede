// Package address owns the address formats of the supported chains: TRON's
// Base58Check (version byte 0x41) and EVM hex with the EIP-55 checksum. It
// validates what operators type and converts between a chain's canonical
// text form (the form stored everywhere) and the 20 raw bytes that appear in
// log topics.
package address

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/sha3"
)

// Chain names used by wallets, orders and config.
const (
	Tron     = "tron"
	Ethereum = "ethereum"
	BSC      = "bsc"
	Polygon  = "polygon"
)

// Chains lists the supported chains.
var chains = []string{Tron, Ethereum, BSC, Polygon}

// Chains returns the supported chain names.
func Chains() []string { return append([]string(nil), chains...) }

// IsChain reports whether name is a supported chain.
func IsChain(name string) bool {
	for _, c := range chains {
		if c == name {
			return true
		}
	}
	return false
}

// IsEVM reports whether chain uses EVM hex addresses.
func IsEVM(chain string) bool { return chain == Ethereum || chain == BSC || chain == Polygon }

// Normalize validates s as an address of chain and returns its canonical
// form: TRON base58 ("T…") or EIP-55 checksummed hex ("0x…"). A TRON
// address may also be given as 41-prefixed hex. The zero address and an
// address of the wrong chain family are refused with a reason.
func Normalize(chain, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case chain == Tron:
		b, err := ParseTron(s)
		if err != nil {
			return "", err
		}
		return EncodeTron(b), nil
	case IsEVM(chain):
		b, err := ParseEVM(s)
		if err != nil {
			return "", err
		}
		return EncodeEVM(b), nil
	}
	return "", fmt.Errorf("unknown chain %q (want %s)", chain, strings.Join(chains, ", "))
}

// Bytes returns the 20 raw bytes of a canonical (or any valid) address.
func Bytes(chain, s string) ([20]byte, error) {
	if chain == Tron {
		return ParseTron(s)
	}
	if IsEVM(chain) {
		return ParseEVM(s)
	}
	return [20]byte{}, fmt.Errorf("unknown chain %q", chain)
}

// FromBytes returns the canonical text form of 20 raw bytes on chain.
func FromBytes(chain string, b [20]byte) string {
	if chain == Tron {
		return EncodeTron(b)
	}
	return EncodeEVM(b)
}

var errZero = errors.New("the zero address cannot receive payments")

// ParseEVM parses 0x + 40 hex digits. Mixed case must carry a valid EIP-55
// checksum; all-lower or all-upper is accepted as is.
func ParseEVM(s string) ([20]byte, error) {
	var out [20]byte
	if strings.HasPrefix(s, "T") && len(s) == 34 {
		return out, errors.New("this looks like a TRON address; add it with --chain tron")
	}
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return out, fmt.Errorf("EVM address must start with 0x (got %q)", s)
	}
	h := s[2:]
	if len(h) != 40 {
		return out, fmt.Errorf("EVM address must have 40 hex digits after 0x (got %d)", len(h))
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return out, errors.New("EVM address has a character that is not hex")
	}
	copy(out[:], raw)
	if h != strings.ToLower(h) && h != strings.ToUpper(h) && EncodeEVM(out) != "0x"+h {
		return out, fmt.Errorf("EVM address %s fails its EIP-55 checksum (a typo?); the checksummed form would be %s", s, EncodeEVM(out))
	}
	if out == ([20]byte{}) {
		return out, errZero
	}
	return out, nil
}

// EncodeEVM returns the EIP-55 checksummed form of b.
func EncodeEVM(b [20]byte) string {
	lower := hex.EncodeToString(b[:])
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte(lower))
	sum := k.Sum(nil)
	out := []byte(lower)
	for i := range out {
		if out[i] >= 'a' {
			nibble := sum[i/2] >> 4
			if i%2 == 1 {
				nibble = sum[i/2] & 0x0f
			}
			if nibble >= 8 {
				out[i] -= 'a' - 'A'
			}
		}
	}
	return "0x" + string(out)
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// ParseTron parses a TRON address in Base58Check ("T…", version 0x41,
// checksum = first 4 bytes of double SHA-256) or 41-prefixed hex.
func ParseTron(s string) ([20]byte, error) {
	var out [20]byte
	if strings.HasPrefix(s, "0x") {
		return out, errors.New("this looks like an EVM address; TRON addresses start with T")
	}
	var payload []byte
	if len(s) == 42 && strings.HasPrefix(s, "41") {
		raw, err := hex.DecodeString(s)
		if err != nil {
			return out, errors.New("TRON hex address has a character that is not hex")
		}
		payload = raw
	} else {
		if len(s) != 34 || s[0] != 'T' {
			return out, fmt.Errorf("TRON address must be 34 characters starting with T (got %d characters)", len(s))
		}
		raw, err := decodeBase58(s)
		if err != nil {
			return out, err
		}
		if len(raw) != 25 {
			return out, errors.New("TRON address does not decode to 25 bytes")
		}
		if !bytes.Equal(checksum(raw[:21]), raw[21:]) {
			return out, errors.New("TRON address checksum does not match (a typo?)")
		}
		payload = raw[:21]
	}
	if payload[0] != 0x41 {
		return out, errors.New("TRON address must have version byte 0x41")
	}
	copy(out[:], payload[1:])
	if out == ([20]byte{}) {
		return out, errZero
	}
	return out, nil
}

// EncodeTron returns the Base58Check form of 20 bytes with version 0x41.
func EncodeTron(b [20]byte) string {
	payload := append([]byte{0x41}, b[:]...)
	return encodeBase58(append(payload, checksum(payload)...))
}

func checksum(b []byte) []byte {
	h1 := sha256.Sum256(b)
	h2 := sha256.Sum256(h1[:])
	return h2[:4]
}

func encodeBase58(b []byte) string {
	n := new(big.Int).SetBytes(b)
	base, mod := big.NewInt(58), new(big.Int)
	var out []byte
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, base58Alphabet[0])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func decodeBase58(s string) ([]byte, error) {
	n := new(big.Int)
	base := big.NewInt(58)
	for _, c := range []byte(s) {
		i := strings.IndexByte(base58Alphabet, c)
		if i < 0 {
			return nil, fmt.Errorf("TRON address has %q, which is not a Base58 character", c)
		}
		n.Mul(n, base).Add(n, big.NewInt(int64(i)))
	}
	out := n.Bytes()
	for _, c := range []byte(s) {
		if c != base58Alphabet[0] {
			break
		}
		out = append([]byte{0}, out...)
	}
	return out, nil
}
