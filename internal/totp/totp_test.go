package totp

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 rows (8 digits).
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"},
		{2000000000, "69279037"}, {20000000000, "65353130"}} {
		if got := Code(key, uint64(v.unix/30), 8); got != v.want {
			t.Errorf("T=%d: got %s want %s", v.unix, got, v.want)
		}
	}
}

func TestValidateWindow(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(59, 0)
	if !Validate(secret, "287082", now) {
		t.Fatal("current code refused")
	}
	if !Validate(strings.ToLower(secret), "287082", now.Add(Step)) {
		t.Fatal("previous step (drift) refused")
	}
	if Validate(secret, "287082", now.Add(3*Step)) {
		t.Fatal("code three steps old accepted")
	}
	if Validate(secret, "000000", now) || Validate(secret, "", now) || Validate("!!", "287082", now) {
		t.Fatal("wrong code or secret accepted")
	}
}

func TestNewSecretRoundTrip(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, err := DecodeSecret(s)
	if err != nil || len(key) != 20 {
		t.Fatalf("decode %q: %v", s, err)
	}
	now := time.Now()
	if !Validate(s, At(key, now), now) {
		t.Fatal("own code refused")
	}
	if u := URI("EPUSDT", "alice", s); !strings.HasPrefix(u, "otpauth://totp/EPUSDT:alice?") || !strings.Contains(u, "secret="+s) {
		t.Fatalf("uri %s", u)
	}
}

// Match names the step whose code matched, wherever in the drift window
// the code came from.
func TestMatchStep(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(59, 0) // step 1; RFC 6238's code of step 1 is 287082
	for _, c := range []struct {
		at   time.Time
		step uint64
		ok   bool
	}{
		{now, 1, true},
		{now.Add(Step), 1, true},  // one step late
		{now.Add(-Step), 1, true}, // one step early
		{now.Add(2 * Step), 0, false},
	} {
		step, ok := Match(secret, "287082", c.at)
		if step != c.step || ok != c.ok {
			t.Fatalf("at %v: step %d ok %v, want %d %v", c.at.Unix(), step, ok, c.step, c.ok)
		}
	}
}
