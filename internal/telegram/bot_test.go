package telegram

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
	"github.com/epusdt/epusdt/internal/telegram/tgtest"
)

// closedURL returns the URL of a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestStartFailureIsRetriedAndNeverBlocks(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	wrong := tgtest.New("999:another-token") // answers 401 Unauthorized to our token
	defer wrong.Close()
	cases := map[string]string{"bad token": wrong.URL, "no network": closedURL(t)}
	for name, base := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, st, nil, func(cfg *config.Config, _ *Deps) { cfg.TgProxy = base })
			began := time.Now()
			h.bot.NotifyStarted()
			h.start()
			if time.Since(began) > time.Second {
				t.Fatalf("starting the bot blocked for %s", time.Since(began))
			}
			deadline := time.Now().Add(waitLong)
			for len(h.logs.FilterMessageSnippet("cannot start").All()) < 3 {
				if time.Now().After(deadline) {
					t.Fatalf("start failures not retried: %v", h.logs.All())
				}
				time.Sleep(10 * time.Millisecond)
			}
			h.stop() // returns although Telegram was never reached
			for _, e := range h.logs.All() {
				line := e.Message
				for k, v := range e.ContextMap() {
					line += " " + k + "=" + stringify(v)
				}
				if strings.Contains(line, testToken) || strings.Contains(line, "TEST-secret") {
					t.Fatalf("the token leaked into the log: %s", line)
				}
			}
			delays := h.logs.FilterMessageSnippet("cannot start").All()
			first, _ := delays[0].ContextMap()["after"].(time.Duration)
			second, _ := delays[1].ContextMap()["after"].(time.Duration)
			if second <= first {
				t.Errorf("no backoff between start attempts: %s then %s", first, second)
			}
		})
	}
	if n := len(wrong.CallsOf("getMe")); n < 3 {
		t.Errorf("getMe called %d times on the fake with the other token", n)
	}
}

func stringify(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func TestOnlyTheLeaseHolderRunsTheBot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		a := newHarness(t, st, nil, func(_ *config.Config, d *Deps) { d.Instance = "inst-a" })
		b := newHarness(t, st, a.tg, func(_ *config.Config, d *Deps) { d.Instance = "inst-b" })
		a.start()
		a.ready()
		b.start()
		paidOrder(t, st, a.cfg, "TL001", tronAddr(30), false, 3)
		a.waitText(annID, 0, "Trade: TL001")
		a.tg.PushText(ann(), "/start")
		a.waitText(annID, 0, "/addwallet")
		time.Sleep(200 * time.Millisecond) // let the standby try the lease a few times
		if got := countTo(a.tg.Sent(), annID, "TL001"); got != 1 {
			t.Errorf("the paid order was told %d times; only one instance may notify", got)
		}
		for _, c := range a.tg.Calls() {
			if c.Status == http.StatusConflict {
				t.Fatalf("two instances polled getUpdates at once")
			}
		}
		holder, _, err := st.LeaseHolder(context.Background(), leaseName)
		if err != nil || holder != "inst-a" {
			t.Fatalf("lease holder = %q, %v; want inst-a (started first)", holder, err)
		}
		a.stop() // releases the lease: the standby takes over
		n := len(a.tg.Sent())
		a.tg.PushText(ann(), "/stats")
		b.waitText(annID, n, "Last 7 days")
		paidOrder(t, st, a.cfg, "TL002", tronAddr(30), false, 3)
		b.waitText(annID, n, "Trade: TL002")
		if holder, _, _ := st.LeaseHolder(context.Background(), leaseName); holder != "inst-b" {
			t.Errorf("lease holder after failover = %q", holder)
		}
	})
}

func TestDisabledBotWaitsQuietly(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	for name, edit := range map[string]func(*config.Config, *Deps){
		"no token":    func(c *config.Config, _ *Deps) { c.TgBotToken = "" },
		"no managers": func(c *config.Config, _ *Deps) { c.TgManage = "" },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, st, nil, edit)
			if h.bot.Enabled() {
				t.Fatal("bot enabled")
			}
			h.bot.NotifyStarted()
			h.start()
			time.Sleep(50 * time.Millisecond)
			h.stop()
			if n := len(h.tg.Calls()); n != 0 {
				t.Errorf("a disabled bot called the Bot API %d times", n)
			}
		})
	}
}

func TestClientMasksTokenAndReadsErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := NewClient(closedURL(t), testToken, nil)
	_, err := c.GetMe(ctx)
	if err == nil || strings.Contains(err.Error(), "TEST-secret") {
		t.Fatalf("transport error = %v; want an error without the token", err)
	}
	tg := tgtest.New(testToken)
	defer tg.Close()
	c = NewClient(tg.URL+"/", testToken, nil)
	tg.Fail("sendMessage", tgtest.Failure{Status: http.StatusTooManyRequests, RetryAfter: 7})
	_, err = c.SendMessage(ctx, 1, "hi", nil)
	ae, ok := err.(*APIError)
	if !ok || ae.Code != 429 || ae.RetryAfter != 7*time.Second || !ae.Temporary() {
		t.Fatalf("429 answer = %#v", err)
	}
	_, err = c.SendMessage(ctx, 1, "", nil)
	if ae, ok := err.(*APIError); !ok || ae.Code != 400 || ae.Temporary() || !strings.Contains(ae.Description, "text is empty") {
		t.Fatalf("400 answer = %#v", err)
	}
	id, err := c.SendMessage(ctx, 1, "hi", &Keyboard{InlineKeyboard: [][]Button{{{Text: "x", CallbackData: "m"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EditMessageText(ctx, 1, id, "hi", &Keyboard{InlineKeyboard: [][]Button{{{Text: "x", CallbackData: "m"}}}}); err != nil {
		t.Errorf("an edit that changes nothing must not fail: %v", err)
	}
	sent := tg.Sent()
	if len(sent) != 1 || sent[0].Markup == nil || sent[0].Markup.InlineKeyboard[0][0].CallbackData != "m" {
		t.Errorf("sent = %+v", sent)
	}
}

func TestLimiterPacesPerChatAndOverall(t *testing.T) {
	t.Parallel()
	l := limiter{perChat: time.Second, global: time.Second / 30, last: map[int64]time.Time{}}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := l.delay(1, t0); d != 0 {
		t.Fatalf("first message waits %s", d)
	}
	l.record(1, t0)
	if d := l.delay(1, t0.Add(100*time.Millisecond)); d != 900*time.Millisecond {
		t.Errorf("same chat 100ms later waits %s, want 900ms", d)
	}
	if d := l.delay(2, t0.Add(10*time.Millisecond)); d != time.Second/30-10*time.Millisecond {
		t.Errorf("other chat 10ms later waits %s, want the global gap", d)
	}
	if d := l.delay(2, t0.Add(time.Second/30)); d != 0 {
		t.Errorf("other chat after the global gap waits %s", d)
	}
}
