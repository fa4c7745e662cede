// Package money owns exact amounts: reading the JSON numbers of the Epusdt
// API without ever doing float arithmetic, the one float64 text form the
// signature needs, fiat → USDT conversion with step rounding, and USDT
// decimal ↔ token base units for any number of decimals.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// maxAmount bounds every amount the gateway accepts: above it float64 can no
// longer hold whole units exactly, so the signature text and the decimal
// value could disagree.
var maxAmount = decimal.New(1, 15)

// ErrInexact is returned when a JSON number carries more precision than the
// float64 the signature text is derived from, so the signed value and the
// exact value would differ.
var ErrInexact = errors.New("number has more digits than a float64 holds")

// SignText turns a JSON number into the text the Epusdt signature uses: an
// integer literal that fits int64 as its decimal digits, anything else as
// the shortest decimal form of its float64 value without exponent (42,
// 42.5, 7.91). This is the one place a float64 is used, as the wire format
// requires.
func SignText(n json.Number) (string, error) {
	s := string(n)
	if isIntLiteral(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(i, 10), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("parse number %q: %w", s, err)
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

func isIntLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseAmount reads a JSON number as an exact decimal and returns it with
// its signature text. The number must be finite, within ±1e15, and carry no
// more precision than its float64 form (so "7.91" and "7.910" are fine but
// "7.910000000000000001" is refused with ErrInexact): the value the merchant
// signed and the value the gateway charges are then always the same.
func ParseAmount(n json.Number) (decimal.Decimal, string, error) {
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return decimal.Decimal{}, "", fmt.Errorf("parse amount %q: %w", string(n), err)
	}
	if d.Abs().GreaterThanOrEqual(maxAmount) {
		return decimal.Decimal{}, "", fmt.Errorf("amount %q is too large", string(n))
	}
	text, err := SignText(n)
	if err != nil {
		return decimal.Decimal{}, "", err
	}
	back, err := decimal.NewFromString(text)
	if err != nil || !back.Equal(d) {
		return decimal.Decimal{}, "", fmt.Errorf("amount %q: %w", string(n), ErrInexact)
	}
	return d, text, nil
}

// ToUSDT converts a fiat amount at rate (fiat per USDT) to USDT, rounded
// half up to a whole multiple of step (0.01 by default).
func ToUSDT(fiat, rate, step decimal.Decimal) (decimal.Decimal, error) {
	if !rate.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("convert to USDT: rate %s is not positive", rate)
	}
	if !step.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("convert to USDT: step %s is not positive", step)
	}
	// Divide with enough digits that rounding to the step is exact in practice.
	q := fiat.DivRound(rate, 24)
	return q.Div(step).Round(0).Mul(step), nil
}

// ToUnits converts a token amount to integer base units for a token with
// the given decimals. It refuses an amount with more fractional digits than
// the token has, instead of silently cutting them.
func ToUnits(d decimal.Decimal, decimals int) (*big.Int, error) {
	if decimals < 0 || decimals > 77 {
		return nil, fmt.Errorf("to base units: unsupported decimals %d", decimals)
	}
	scaled := d.Shift(int32(decimals))
	if !scaled.Equal(scaled.Truncate(0)) {
		return nil, fmt.Errorf("to base units: %s has more than %d decimals", d, decimals)
	}
	return scaled.BigInt(), nil
}

// FromUnits converts integer base units of a token with the given decimals
// to an exact decimal amount.
func FromUnits(units *big.Int, decimals int) decimal.Decimal {
	return decimal.NewFromBigInt(units, -int32(decimals))
}

// ParseUnits reads base units stored as decimal integer text.
func ParseUnits(s string) (*big.Int, error) {
	u, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("parse base units %q: not an integer", s)
	}
	return u, nil
}

// Format returns the plain decimal text of d with trailing zeros dropped
// (7.9, 7.91, 42): the form used in JSON numbers and notes.
func Format(d decimal.Decimal) string { return d.String() }

// Fixed returns d with exactly places decimals (7.90).
func Fixed(d decimal.Decimal, places int32) string { return d.StringFixed(places) }
