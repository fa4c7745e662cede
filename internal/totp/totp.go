// Package totp implements RFC 6238 time-based one-time passwords (HMAC-SHA1,
// 30-second steps, 6 digits: what authenticator apps expect) for the admin
// console's optional second factor.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Step is the time step of a code.
const Step = 30 * time.Second

// Digits is the length of a code.
const Digits = 6

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random 160-bit key in unpadded base32, the form
// authenticator apps take.
func NewSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// DecodeSecret parses a base32 key, ignoring case, spaces and padding.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(s))
	b, err := b32.DecodeString(s)
	if err != nil || len(b) < 10 {
		return nil, fmt.Errorf("totp secret is not a base32 key of at least 80 bits")
	}
	return b, nil
}

// Code returns the code of key for the step counter (HOTP, RFC 4226) with
// the given number of digits.
func Code(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// At returns the 6-digit code of key at time t.
func At(key []byte, t time.Time) string {
	return Code(key, uint64(t.Unix())/uint64(Step/time.Second), Digits)
}

// Validate reports whether code is the code of secret at now or one step
// before or after (clock drift).
func Validate(secret, code string, now time.Time) bool {
	_, ok := Match(secret, code, now)
	return ok
}

// Match is Validate that also returns the time step (counter) whose code
// matched, so a caller can refuse a code used before: a code stays valid
// for up to three steps, and RFC 6238 §5.2 asks that it be accepted once.
func Match(secret, code string, now time.Time) (uint64, bool) {
	key, err := DecodeSecret(secret)
	if err != nil || len(code) != Digits {
		return 0, false
	}
	var step uint64
	ok := 0
	for _, d := range []time.Duration{-Step, 0, Step} {
		c := uint64(now.Add(d).Unix()) / uint64(Step/time.Second)
		eq := subtle.ConstantTimeCompare([]byte(Code(key, c, Digits)), []byte(code))
		if eq == 1 {
			step = c
		}
		ok |= eq
	}
	return step, ok == 1
}

// URI returns the otpauth:// URI an authenticator app scans.
func URI(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(Digits))
	v.Set("period", fmt.Sprint(int(Step/time.Second)))
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
}
