package devchain

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// base58Alphabet is Bitcoin's (and TRON's) Base58 alphabet.
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// tronAddress decodes a TRON base58 address ("T…", 34 characters:
// Base58Check of 0x41 ‖ 20 bytes, checksum = first 4 bytes of double
// SHA-256) to the 20 bytes that TRON's JSON-RPC and the EVM use. It is a
// small private decoder for the control API; the product's codec lives
// elsewhere.
func tronAddress(s string) (common.Address, error) {
	if len(s) != 34 || s[0] != 'T' {
		return common.Address{}, errors.New("a TRON address has 34 characters and starts with T")
	}
	n := new(big.Int)
	base := big.NewInt(58)
	for i := 0; i < len(s); i++ {
		digit := strings.IndexByte(base58Alphabet, s[i])
		if digit < 0 {
			return common.Address{}, errors.New("invalid base58 character " + string(s[i]))
		}
		n.Mul(n, base).Add(n, big.NewInt(int64(digit)))
	}
	raw := n.Bytes()
	if len(raw) != 25 {
		return common.Address{}, errors.New("TRON address does not decode to 25 bytes")
	}
	if raw[0] != 0x41 {
		return common.Address{}, errors.New("TRON address version byte is not 0x41")
	}
	first := sha256.Sum256(raw[:21])
	second := sha256.Sum256(first[:])
	if !bytes.Equal(second[:4], raw[21:]) {
		return common.Address{}, errors.New("TRON address checksum mismatch")
	}
	return common.BytesToAddress(raw[1:21]), nil
}
