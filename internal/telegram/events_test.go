package telegram

import (
	"context"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
	"github.com/epusdt/epusdt/internal/telegram/tgtest"
)

func TestPaidOrderNotification(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		h := newHarness(t, st, nil, nil)
		h.start()
		h.ready()
		h.chinese()
		wallet := tronAddr(3)
		o := paidOrder(t, st, h.cfg, "T2001", wallet, false, 3)
		late := paidOrder(t, st, h.cfg, "T2002", wallet, true, 3)

		m := h.waitText(annID, 0, "Order paid\n", "Trade: T2001", "Merchant order: shop-T2001", "Amount: 100.5 CNY",
			"USDT: 13.96", "Chain: TRON", "Wallet: "+wallet, "Tx: "+o.BlockTransactionID)
		if _, ok := m.Button("or:T2001"); !ok {
			t.Errorf("paid notification has no details button: %+v", m.Markup)
		}
		h.waitText(annID, 0, "Order paid (LATE", "Trade: T2002", "Tx: "+late.BlockTransactionID)
		h.waitText(bobID, 0, "订单已支付\n", "交易号：T2001", "100.5 CNY", "USDT：13.96", wallet)
		h.waitText(bobID, 0, "订单已支付（超时支付）", "交易号：T2002")

		// Pressing the button shows the order with its callback state.
		n := len(h.tg.Sent())
		h.tg.PushPress(ann(), m, "or:T2001")
		h.waitText(annID, n, "Order T2001", "Status: paid", "Callback paid: pending, attempts 0 of 4")

		time.Sleep(100 * time.Millisecond) // a few more pump rounds
		sent := h.tg.Sent()
		want := map[string]int{"1001 T2001": 2, "1002 T2001": 1, "1001 T2002": 1, "1002 T2002": 1} // Ann also viewed T2001
		for key, n := range want {
			chat, trade, _ := strings.Cut(key, " ")
			id := int64(annID)
			if chat == "1002" {
				id = bobID
			}
			if got := countTo(sent, id, trade); got != n {
				t.Errorf("chat %s: %d messages about %s, want %d: %s", chat, got, trade, n, dump(sent))
			}
		}
	})
}

func TestNotificationsSurvive429And500(t *testing.T) {
	t.Parallel()
	func(t *testing.T, st *store.Store) {
		h := newHarness(t, st, nil, nil)
		h.tg.Fail("sendMessage", tgtest.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1},
			tgtest.Failure{Status: http.StatusInternalServerError}, tgtest.Failure{Status: http.StatusBadGateway})
		h.start()
		h.ready()
		o := paidOrder(t, st, h.cfg, "T3001", tronAddr(4), false, 3)
		h.waitText(annID, 0, "Trade: T3001")
		h.waitText(bobID, 0, "Trade: T3001")

		calls := h.tg.CallsOf("sendMessage")
		if len(calls) < 5 || calls[0].Status != http.StatusTooManyRequests {
			t.Fatalf("sendMessage calls = %+v, want the injected 429, 500, 502 first", calls)
		}
		if gap := calls[1].At.Sub(calls[0].At); gap < 900*time.Millisecond {
			t.Errorf("retried %s after a 429 with retry_after=1", gap)
		}
		time.Sleep(100 * time.Millisecond)
		sent := h.tg.Sent()
		if countTo(sent, annID, "T3001") != 1 || countTo(sent, bobID, "T3001") != 1 {
			t.Errorf("want exactly one notification per manager: %s", dump(sent))
		}
		jobs, _ := st.CallbackJobsForTrade(context.Background(), o.TradeID)
		if c, _ := st.GetSetting(context.Background(), cursorPaid); len(jobs) != 1 || c != "0:"+itoa(jobs[0].ID) {
			t.Errorf("paid cursor = %q after delivering job %+v", c, jobs)
		}
	}(t, storetest.Open(t, store.SQLite))
}

func TestUndeliveredNotificationSurvivesRestart(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	first := newHarness(t, st, nil, nil)
	fails := make([]tgtest.Failure, 1000)
	for i := range fails {
		fails[i] = tgtest.Failure{Status: http.StatusServiceUnavailable}
	}
	first.tg.Fail("sendMessage", fails...)
	first.start()
	first.ready()
	paidOrder(t, st, first.cfg, "T4001", tronAddr(5), false, 3)
	if _, err := first.tg.WaitFor(waitLong, func([]tgtest.Sent) bool { return len(first.tg.CallsOf("sendMessage")) >= 4 }); err != nil {
		t.Fatal(err)
	}
	first.stop() // the gateway stops while Telegram is down
	if c, _ := st.GetSetting(ctx, cursorPaid); c != "0:0" {
		t.Fatalf("paid cursor moved to %q though nothing was delivered", c)
	}
	first.tg.Heal("sendMessage")
	second := newHarness(t, st, first.tg, nil)
	second.start()
	second.waitText(annID, 0, "Trade: T4001")
	second.waitText(bobID, 0, "Trade: T4001")
}

func TestPumpWaitsForSettleLagAndHonoursSwitches(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	h := newHarness(t, st, nil, nil)
	clock := time.Now()
	h.bot.now = func() time.Time { return clock }
	h.bot.tune.settleLag = 10 * time.Second
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go h.bot.out.run(runCtx)

	if err := h.bot.pumpOnce(ctx); err != nil { // first run: cursors start at "now"
		t.Fatal(err)
	}
	// The order's paid job is stamped with the wall clock, which the bot's
	// clock now treats as fresh until it is settleLag old.
	clock = time.Now().Add(-5 * time.Second)
	paidOrder(t, st, h.cfg, "T5001", tronAddr(6), false, 3)
	if err := h.bot.pumpOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.GetSetting(ctx, cursorPaid); c != "0:0" || len(h.tg.Sent()) != 0 {
		t.Fatalf("a row younger than the settle lag was taken: cursor %q, sent %d", c, len(h.tg.Sent()))
	}
	clock = time.Now().Add(11 * time.Second)
	if err := h.bot.pumpOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h.waitText(annID, 0, "Trade: T5001")

	h.cfg.Telegram.NotifyPaid = false
	paidOrder(t, st, h.cfg, "T5002", tronAddr(6), false, 3)
	clock = time.Now().Add(11 * time.Second)
	if err := h.bot.pumpOnce(ctx); err != nil {
		t.Fatal(err)
	}
	jobs, _ := st.CallbackJobsForTrade(ctx, "T5002")
	if c, _ := st.GetSetting(ctx, cursorPaid); c != "0:"+itoa(jobs[0].ID) {
		t.Errorf("with paid notifications off the cursor should still move past the job: %q", c)
	}
	if countTo(h.tg.Sent(), annID, "T5002") != 0 {
		t.Errorf("a switched-off notification was sent")
	}
}

// settledTransfer stores a settled transfer with the given match result.
func settledTransfer(t *testing.T, st *store.Store, tx, to, match, trade, note string, units int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	tr := store.Transfer{Chain: "tron", TokenContract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", TxHash: tx, LogIndex: 0,
		BlockNumber: 100, BlockHash: "0xb", BlockTime: now, From: tronAddr(90), To: to,
		AmountUnits: big.NewInt(units), Decimals: 6, State: store.TransferSettled}
	if _, err := st.InsertScannedTransfer(ctx, &tr, now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetTransferMatch(ctx, tr.ID, match, trade, note, now); err != nil {
		t.Fatal(err)
	}
}

func TestTroubleTransferNotifications(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		h := newHarness(t, st, nil, nil)
		h.start()
		h.ready()
		h.chinese()
		wallet := tronAddr(8)
		settledTransfer(t, st, "0xaa1", wallet, store.MatchUnmatched, "", "partial payment: got 5, order T6000 wants 10", 5_000_000)
		settledTransfer(t, st, "0xaa2", wallet, store.MatchLate, "T6001", "paid after expiry", 10_000_000)
		settledTransfer(t, st, "0xaa3", wallet, store.MatchLateOnly, "T6002", "recorded only", 12_340_000)
		settledTransfer(t, st, "0xaa4", wallet, store.MatchPaid, "T6003", "", 1_000_000)

		h.waitText(annID, 0, "matched no order", "To: "+wallet, "Amount: 5 USDT", "Tx: 0xaa1", "partial payment")
		m := h.waitText(annID, 0, "Late payment, recorded only", "Amount: 12.34 USDT", "Trade: T6002")
		if _, ok := m.Button("or:T6002"); !ok {
			t.Errorf("no details button on a transfer with a trade")
		}
		h.waitText(bobID, 0, "转账未匹配到订单", "0xaa1")
		time.Sleep(100 * time.Millisecond)
		sent := h.tg.Sent()
		if countTo(sent, annID, "0xaa2") != 0 || countTo(sent, annID, "0xaa4") != 0 {
			t.Errorf("a matched (or late but paid) transfer was reported as trouble: %s", dump(sent))
		}
		if countTo(sent, annID, "0xaa1") != 1 || countTo(sent, annID, "0xaa3") != 1 {
			t.Errorf("trouble transfers must be told once each: %s", dump(sent))
		}
		if !strings.Contains(h.bot.trL(english, "n.late_paid"), "Late") {
			t.Fatal("catalog")
		}
	})
}

func TestBlockedManagerDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	h := newHarness(t, st, nil, nil)
	h.tg.Block(bobID, true)
	h.start()
	h.ready()
	paidOrder(t, st, h.cfg, "TB001", tronAddr(50), false, 3)
	paidOrder(t, st, h.cfg, "TB002", tronAddr(50), false, 3)
	h.waitText(annID, 0, "Trade: TB001")
	h.waitText(annID, 0, "Trade: TB002")
	if n := countTo(h.tg.Sent(), bobID, "TB00"); n != 0 {
		t.Errorf("a blocked chat got %d messages", n)
	}
	if w := h.logs.FilterMessageSnippet("not sent").All(); len(w) == 0 {
		t.Errorf("the refused message was not logged")
	}
}
