package payment

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// tradeIDAlphabet is lower-case base32 in ASCII order, so trade ids sort
// by their time part.
const tradeIDAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// newTradeID returns a 32-character trade_id: the UTC date (8 digits), the
// millisecond of that day (6 base32 characters) and 18 base32 characters of
// crypto randomness (90 bits), so a cashier URL cannot be guessed from
// another. The time part makes new ids sort after older ones, so inserting
// them touches the right edge of the unique index instead of random pages.
func newTradeID(now time.Time) string {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	ms := uint64(now.Sub(day) / time.Millisecond) // < 86,400,000 < 32^6
	var b [32]byte
	copy(b[:], now.Format("20060102"))
	for i := 13; i >= 8; i-- {
		b[i] = tradeIDAlphabet[ms%32]
		ms /= 32
	}
	var r [18]byte
	_, _ = rand.Read(r[:]) // crypto/rand never fails on supported platforms
	for i, v := range r {
		b[14+i] = tradeIDAlphabet[v%32] // 256 is a multiple of 32: uniform
	}
	return string(b[:])
}

// newEventID returns a callback event id: "evt_" and 128 random bits in hex.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "evt_" + hex.EncodeToString(b[:])
}
