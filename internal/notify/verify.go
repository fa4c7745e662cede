package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The extra callback headers (ours; old clients ignore them).
const (
	HeaderEventID   = "Epusdt-Event-Id"
	HeaderTimestamp = "Epusdt-Timestamp"
	HeaderSignature = "Epusdt-Signature"
)

// ErrBadSignature is returned by the Verify helpers when a signature does
// not match.
var ErrBadSignature = errors.New("callback signature does not match")

// ErrStale is returned by Verify when the timestamp is outside the
// tolerance (a replay, or a badly wrong clock).
var ErrStale = errors.New("callback timestamp outside tolerance")

// Verify checks a callback the way a Go integrator should: the
// Epusdt-Signature header must hold v1=HMAC-SHA256(token,
// "{event_id}.{timestamp}.{body}") over the exact body bytes received, and,
// when tolerance > 0, Epusdt-Timestamp must be within tolerance of now. It
// returns the event id, which the receiver should use to drop duplicates
// (callbacks are delivered at least once).
func Verify(h http.Header, body []byte, token string, now time.Time, tolerance time.Duration) (string, error) {
	id, ts, sig := h.Get(HeaderEventID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sig == "" {
		return "", fmt.Errorf("verify callback: missing %s, %s or %s header: %w",
			HeaderEventID, HeaderTimestamp, HeaderSignature, ErrBadSignature)
	}
	want := SignHMAC(token, id, ts, body)
	ok := false
	for _, part := range strings.Split(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(part)), []byte(want)) {
			ok = true
		}
	}
	if !ok {
		return "", fmt.Errorf("verify callback %s: %w", id, ErrBadSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", fmt.Errorf("verify callback %s: bad timestamp %q", id, ts)
	}
	if skew := now.Sub(time.Unix(sec, 0)).Abs(); tolerance > 0 && skew > tolerance {
		return "", fmt.Errorf("verify callback %s: timestamp %s off by %s: %w", id, ts, skew, ErrStale)
	}
	return id, nil
}

// VerifyMD5 checks the signature field of a callback body the way the
// Epusdt rule defines it: every other top-level field, null and "" skipped,
// numbers as their shortest float64 text. Booleans, arrays and objects are
// refused.
func VerifyMD5(body []byte, token string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("callback body is not a JSON object: %w", err)
	}
	sig, _ := m["signature"].(string)
	fields := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case nil:
		case string:
			fields[k] = v
		case json.Number:
			t, err := NumberText(v)
			if err != nil {
				return fmt.Errorf("field %s: %w", k, err)
			}
			fields[k] = t
		default:
			return fmt.Errorf("field %s: unsupported JSON type", k)
		}
	}
	want := SignMD5(fields, token)
	if sig == "" || subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return ErrBadSignature
	}
	return nil
}
