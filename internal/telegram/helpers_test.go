package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/notify"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/telegram/tgtest"
)

const (
	testToken = "123456:TEST-secret-token-abc"
	annID     = 1001
	bobID     = 1002
	evilID    = 6666
)

var waitLong = 10 * time.Second

func ann() tgtest.User { return tgtest.User{ID: annID, FirstName: "Ann", LanguageCode: "en"} }
func bob() tgtest.User { return tgtest.User{ID: bobID, FirstName: "Bob", LanguageCode: "zh-hans"} }
func evil() tgtest.User {
	return tgtest.User{ID: evilID, FirstName: "Mallory", Username: "mallory", LanguageCode: "en"}
}

// tronAddr returns a valid TRON address made from seed.
func tronAddr(seed byte) string {
	var b [20]byte
	for i := range b {
		b[i] = seed + byte(i)
	}
	return address.EncodeTron(b)
}

// harness is a bot under test against a fake Bot API over real HTTP.
type harness struct {
	t      *testing.T
	st     *store.Store
	tg     *tgtest.Server
	cfg    *config.Config
	bot    *Bot
	logs   *observer.ObservedLogs
	cancel context.CancelFunc
	done   chan struct{}
}

// newHarness builds a bot for managers Ann and Bob with short timings; the
// fake server is tg unless nil (then a new one).
func newHarness(t *testing.T, st *store.Store, tg *tgtest.Server, edit func(cfg *config.Config, d *Deps)) *harness {
	t.Helper()
	if tg == nil {
		tg = tgtest.New(testToken)
		t.Cleanup(tg.Close)
	}
	cfg := config.Default()
	cfg.TgBotToken, cfg.TgProxy, cfg.TgManage = testToken, tg.URL, "1001, 1002"
	cfg.Tron.Enabled = true
	deps := Deps{Version: "test"}
	if edit != nil {
		edit(&cfg, &deps)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	bot := New(&cfg, st, deps, zap.New(core), time.Now)
	bot.tune = fastTuning()
	return &harness{t: t, st: st, tg: tg, cfg: &cfg, bot: bot, logs: logs}
}

func fastTuning() tuning {
	tu := defaultTuning()
	tu.pollTimeout, tu.callTimeout = time.Second, 5*time.Second
	tu.perChat, tu.global = 5*time.Millisecond, time.Millisecond
	tu.backoff, tu.backoffMax = 20*time.Millisecond, 200*time.Millisecond
	tu.startBackoff, tu.startMax = 20*time.Millisecond, 100*time.Millisecond
	tu.leaseTTL, tu.leaseRetry = 3*time.Second, 50*time.Millisecond
	tu.pumpInterval, tu.settleLag, tu.monitorEvery, tu.streak = 20*time.Millisecond, 0, time.Hour, 1
	return tu
}

// start runs the bot until the test ends.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		_ = h.bot.Run(ctx)
	}()
	h.t.Cleanup(h.stop)
}

// ready waits until the bot's notifier has placed its cursors (on a first
// run they start at "now", so rows written earlier are history).
func (h *harness) ready() {
	h.t.Helper()
	deadline := time.Now().Add(waitLong)
	for _, name := range []string{cursorPaid, cursorCallbacks, cursorTransfers} {
		for {
			if _, err := h.st.GetSetting(context.Background(), name); err == nil {
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("the notifier never placed cursor %s", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// chinese makes Bob choose Chinese with /lang zh.
func (h *harness) chinese() {
	h.t.Helper()
	h.tg.PushText(bob(), "/lang zh")
	h.waitText(bobID, 0, "语言：中文")
}

// stop ends Run and waits for it.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(waitLong):
		h.t.Errorf("Run did not return after its context ended")
	}
	h.cancel = nil
}

// waitText waits for a message or edit to chat, after skip messages, whose
// text contains every part.
func (h *harness) waitText(chat int64, skip int, parts ...string) tgtest.Sent {
	h.t.Helper()
	m, err := h.tg.WaitSent(waitLong, skip, func(m tgtest.Sent) bool {
		if m.ChatID != chat {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(m.Text, p) {
				return false
			}
		}
		return true
	})
	if err != nil {
		h.t.Fatalf("no message to %d containing %q: %v\nsent: %s", chat, parts, err, dump(h.tg.Sent()))
	}
	return m
}

func dump(sent []tgtest.Sent) string {
	var sb strings.Builder
	for _, m := range sent {
		sb.WriteString("\n--- " + m.Method + " to " + itoa(m.ChatID) + ":\n" + m.Text)
	}
	return sb.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// countTo counts sent messages to chat whose text contains part.
func countTo(sent []tgtest.Sent, chat int64, part string) int {
	n := 0
	for _, m := range sent {
		if m.ChatID == chat && strings.Contains(m.Text, part) {
			n++
		}
	}
	return n
}

// paidOrder stores a paid order with its paid callback job in one
// transaction, as payment does.
func paidOrder(t *testing.T, st *store.Store, cfg *config.Config, trade, wallet string, late bool, maxRetry int) store.Order {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	o := store.Order{TradeID: trade, OrderID: "shop-" + trade, Chain: "tron", TradeType: "usdt.trc20",
		TokenContract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Decimals: 6, Fiat: "CNY", Amount: "100.5", Rate: "7.2",
		ActualAmount: "13.96", AmountUnits: "13960000", Token: wallet, NotifyURL: "http://127.0.0.1:1/cb",
		CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(9 * time.Minute)}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.InsertOrder(ctx, o); err != nil {
			return err
		}
		got, err := tx.GetOrder(ctx, trade)
		if err != nil {
			return err
		}
		if err := tx.MarkOrderPaid(ctx, got.ID, "0xfeed"+trade, now, late, now); err != nil {
			return err
		}
		c := *cfg
		c.Callback.MaxRetry = maxRetry
		_, err = tx.EnqueueCallback(ctx, notify.NewJob(&c, trade, store.CallbackKindPaid, now))
		return err
	})
	if err != nil {
		t.Fatalf("store paid order %s: %v", trade, err)
	}
	got, err := st.GetOrder(ctx, trade)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
