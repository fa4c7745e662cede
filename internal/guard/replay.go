package guard

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Replay-protection errors. Every error CheckReplay returns is one of these,
// so its message is safe to show to the client and names the problem.
var (
	ErrReplayRequired    = errors.New("timestamp and nonce are required")
	ErrReplayIncomplete  = errors.New("timestamp and nonce must be sent together")
	ErrTimestampFormat   = errors.New("timestamp must be unix seconds")
	ErrTimestampWindow   = errors.New("timestamp outside the allowed window")
	ErrNonceFormat       = errors.New("nonce must be 1-64 printable ASCII characters without spaces")
	ErrNonceUsed         = errors.New("nonce already used")
	ErrReplayUnavailable = errors.New("replay protection temporarily unavailable, please retry shortly")
)

const maxNonceLen = 64

// CheckReplay enforces replay protection on a request whose signature has
// already been verified; "" means the field was absent. With both fields,
// the timestamp (unix seconds) must be within ±api_replay_window of now and
// the nonce unseen within that window; then the nonce is remembered for as
// long as its timestamp stays acceptable. With neither, the request passes
// unless api_require_nonce is set. With only one, it is refused.
//
// When the store is down, a request is refused (ErrReplayUnavailable) if
// nonces are required or rate_limit_fail_open is off; otherwise only the
// timestamp is checked, so shops keep selling.
func (g *Guard) CheckReplay(ctx context.Context, timestamp, nonce string) error {
	switch {
	case timestamp == "" && nonce == "":
		if g.cfg.RequireNonce {
			return ErrReplayRequired
		}
		return nil
	case timestamp == "" || nonce == "":
		if g.cfg.RequireNonce {
			return ErrReplayRequired
		}
		return ErrReplayIncomplete
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestampFormat
	}
	if !validNonce(nonce) {
		return ErrNonceFormat
	}
	sent, now, window := time.Unix(ts, 0), g.now(), g.cfg.ReplayWindow
	if d := now.Sub(sent); d > window || d < -window {
		return ErrTimestampWindow
	}
	// Remember the nonce until its timestamp falls out of the window.
	fresh, err := g.store.Claim(ctx, nonce, sent.Add(window).Sub(now)+time.Second)
	switch {
	case err != nil && ctx.Err() != nil:
		return ErrReplayUnavailable
	case err != nil:
		if g.cfg.FailOpen && !g.cfg.RequireNonce && !errors.Is(err, errFull) {
			return nil
		}
		return ErrReplayUnavailable
	case !fresh:
		return ErrNonceUsed
	}
	return nil
}

func validNonce(s string) bool {
	if len(s) > maxNonceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
