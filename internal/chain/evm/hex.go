package evm

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// quantity is a JSON-RPC hex quantity ("0x1a").
type quantity uint64

func (q *quantity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hex quantity: %w", err)
	}
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return fmt.Errorf("hex quantity %q lacks 0x", s)
	}
	n, err := strconv.ParseUint(s[2:], 16, 64)
	if err != nil {
		return fmt.Errorf("hex quantity %q: %w", s, err)
	}
	*q = quantity(n)
	return nil
}

// hexBytes is JSON-RPC hex data ("0x…"), any length.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hex data: %w", err)
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s)%2 == 1 {
		s = "0" + s
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("hex data: %w", err)
	}
	*h = raw
	return nil
}

// EncodeQuantity returns n as a JSON-RPC hex quantity.
func EncodeQuantity(n uint64) string { return "0x" + strconv.FormatUint(n, 16) }

// Word is a 32-byte log topic.
type Word [32]byte

// Hex returns the topic as 0x + 64 lower-case hex digits.
func (w Word) Hex() string { return "0x" + hex.EncodeToString(w[:]) }

// AddressWord left-pads a 20-byte address to a topic word.
func AddressWord(a [20]byte) Word {
	var w Word
	copy(w[12:], a[:])
	return w
}

// WordAddress returns the address in the low 20 bytes of a topic word.
func WordAddress(w Word) [20]byte {
	var a [20]byte
	copy(a[:], w[12:])
	return a
}

// HexAddress returns 0x + 40 lower-case hex digits, the form JSON-RPC filters take.
func HexAddress(a [20]byte) string { return "0x" + hex.EncodeToString(a[:]) }

// parseAddress reads a JSON-RPC address: 0x + 40 hex digits, or TRON's
// 41-prefixed 21-byte form that some nodes return.
func parseAddress(s string) ([20]byte, error) {
	var a [20]byte
	h := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if len(h) == 42 && strings.HasPrefix(h, "41") {
		h = h[2:]
	}
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != 20 {
		return a, fmt.Errorf("address %q is not 20 hex bytes", s)
	}
	copy(a[:], raw)
	return a, nil
}

// normHash lower-cases a 0x-prefixed hash so hashes from different nodes compare equal.
func normHash(s string) string {
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, "0x") {
		s = "0x" + s
	}
	return s
}
