package guard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
)

// eachReplayGuard runs fn with a memory and a Redis guard, both on clk.
func eachReplayGuard(t *testing.T, cfg config.Guard, fn func(t *testing.T, g testGuard, clk *clock)) {
	t.Run("memory", func(t *testing.T) {
		clk := newClock()
		fn(t, newTestGuard(t, cfg, nil, clk.Now), clk)
	})
	t.Run("redis", func(t *testing.T) {
		rdb, prefix := testRedis(t)
		clk := newClock()
		fn(t, newTestGuard(t, cfg, rdb, clk.Now, WithKeyPrefix(prefix)), clk)
	})
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: err = %v, want %v", what, got, want)
	}
}

func TestReplayRefusesAReusedNonce(t *testing.T) {
	eachReplayGuard(t, guardConfig(), func(t *testing.T, g testGuard, clk *clock) {
		ctx := context.Background()
		ts := unix(clk.Now().Add(200 * time.Second)) // a client clock running ahead
		wantErr(t, "first use", g.CheckReplay(ctx, ts, "n-1"), nil)
		wantErr(t, "second use", g.CheckReplay(ctx, ts, "n-1"), ErrNonceUsed)
		wantErr(t, "other nonce", g.CheckReplay(ctx, ts, "n-2"), nil)
		// The nonce is remembered as long as its timestamp is acceptable.
		clk.Add(450 * time.Second)
		wantErr(t, "reuse while the timestamp is still valid", g.CheckReplay(ctx, ts, "n-1"), ErrNonceUsed)
		clk.Add(51 * time.Second)
		wantErr(t, "reuse once the timestamp is too old", g.CheckReplay(ctx, ts, "n-1"), ErrTimestampWindow)
	})
}

func TestReplayTimestampWindow(t *testing.T) {
	eachReplayGuard(t, guardConfig(), func(t *testing.T, g testGuard, clk *clock) {
		ctx, now := context.Background(), clk.Now()
		wantErr(t, "301 s old", g.CheckReplay(ctx, unix(now.Add(-301*time.Second)), "a"), ErrTimestampWindow)
		wantErr(t, "301 s ahead", g.CheckReplay(ctx, unix(now.Add(301*time.Second)), "b"), ErrTimestampWindow)
		wantErr(t, "300 s old", g.CheckReplay(ctx, unix(now.Add(-300*time.Second)), "c"), nil)
		wantErr(t, "milliseconds", g.CheckReplay(ctx, strconv.FormatInt(now.UnixMilli(), 10), "d"), ErrTimestampWindow)
		wantErr(t, "not a number", g.CheckReplay(ctx, "yesterday", "e"), ErrTimestampFormat)
	})
}

func TestReplayFieldRules(t *testing.T) {
	ctx, clk := context.Background(), newClock()
	ts := unix(clk.Now())
	g := newTestGuard(t, guardConfig(), nil, clk.Now)
	wantErr(t, "neither field", g.CheckReplay(ctx, "", ""), nil)
	wantErr(t, "timestamp only", g.CheckReplay(ctx, ts, ""), ErrReplayIncomplete)
	wantErr(t, "nonce only", g.CheckReplay(ctx, "", "x"), ErrReplayIncomplete)
	wantErr(t, "nonce with a space", g.CheckReplay(ctx, ts, "a b"), ErrNonceFormat)
	wantErr(t, "65-char nonce", g.CheckReplay(ctx, ts, strings.Repeat("n", 65)), ErrNonceFormat)
	wantErr(t, "64-char nonce", g.CheckReplay(ctx, ts, strings.Repeat("n", 64)), nil)

	cfg := guardConfig()
	cfg.RequireNonce = true
	req := newTestGuard(t, cfg, nil, clk.Now)
	wantErr(t, "required, neither", req.CheckReplay(ctx, "", ""), ErrReplayRequired)
	wantErr(t, "required, nonce only", req.CheckReplay(ctx, "", "x"), ErrReplayRequired)
	wantErr(t, "required, both", req.CheckReplay(ctx, ts, "x"), nil)
	if ErrReplayRequired.Error() != "timestamp and nonce are required" || ErrNonceUsed.Error() != "nonce already used" ||
		ErrTimestampWindow.Error() != "timestamp outside the allowed window" {
		t.Error("replay error messages changed")
	}
}

// TestReplayOverHTTP: the same signed request sent twice to a real server
// is refused the second time, with the message in the Epusdt envelope.
func TestReplayOverHTTP(t *testing.T) {
	clk := newClock()
	g := newTestGuard(t, guardConfig(), nil, clk.Now)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Timestamp, Nonce string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if err := g.CheckReplay(r.Context(), body.Timestamp, body.Nonce); err != nil {
			httpx.Fail(w, r, 400, err.Error())
			return
		}
		httpx.OK(w, r, nil)
	}))
	defer srv.Close()
	body := `{"timestamp":"` + unix(clk.Now()) + `","nonce":"4f1c9a"}`
	var codes []int
	var last httpx.Envelope
	for range 2 {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		last = httpx.Envelope{}
		_ = json.NewDecoder(resp.Body).Decode(&last)
		resp.Body.Close()
		codes = append(codes, last.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 400 || last.Message != "nonce already used" {
		t.Fatalf("codes %v, last message %q", codes, last.Message)
	}
}

func TestRedisNonceTTLFollowsTheTimestamp(t *testing.T) {
	rdb, prefix := testRedis(t)
	clk := newClock()
	g := newTestGuard(t, guardConfig(), rdb, clk.Now, WithKeyPrefix(prefix))
	if err := g.CheckReplay(context.Background(), unix(clk.Now().Add(-100*time.Second)), "ttl"); err != nil {
		t.Fatal(err)
	}
	// Valid for 300 − 100 = 200 s more, plus a second of slack.
	ttl, err := rdb.PTTL(context.Background(), prefix+"nonce:ttl").Result()
	if err != nil || ttl > 201*time.Second || ttl < 199*time.Second {
		t.Fatalf("nonce PTTL = %v, %v; want about 201 s", ttl, err)
	}
}
