package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/money"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		if _, err := e.svc.CreateOrder(ctx, req("o1", "100")); !errors.Is(err, ErrNoWallet) {
			t.Fatalf("no wallet: %v", err)
		}
		w := e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("o1", "100"))
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		if o.Token != w || o.ActualAmount != "13.89" || o.AmountUnits != "13890000" || o.Rate != "7.2" ||
			o.Chain != "tron" || o.TradeType != "usdt.trc20" || o.Fiat != "CNY" || o.Amount != "100" ||
			o.TokenContract != "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t" || o.Decimals != 6 {
			t.Fatalf("order: %+v", o)
		}
		if len(o.TradeID) != 32 || !strings.HasPrefix(o.TradeID, "20260301") || !o.ExpiresAt.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("trade id / expiry: %s %v", o.TradeID, o.ExpiresAt)
		}
		stored := getOrder(t, st, o.TradeID)
		if stored.Status != store.OrderWaiting || stored.AmountUnits != o.AmountUnits || stored.Token != w {
			t.Fatalf("stored: %+v", stored)
		}
		// The same amount for another order_id gets the next slot.
		o2, err := e.svc.CreateOrder(ctx, req("o2", "100"))
		if err != nil || o2.ActualAmount != "13.9" || o2.TradeID == o.TradeID {
			t.Fatalf("second: %+v %v", o2, err)
		}
		// BEP-20: 18 decimals.
		bw := e.addWallet(t, "bsc", 2)
		r := req("o3", "100")
		r.TradeType = "usdt.bep20"
		o3, err := e.svc.CreateOrder(ctx, r)
		if err != nil || o3.Token != bw || o3.AmountUnits != "13890000000000000000" || o3.Decimals != 18 || o3.Chain != "bsc" {
			t.Fatalf("bsc: %+v %v", o3, err)
		}
		// Timeout is clamped to the configured bounds.
		r = req("o4", "50")
		r.Timeout = 5 * time.Second
		o4, err := e.svc.CreateOrder(ctx, r)
		if err != nil || !o4.ExpiresAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("timeout min: %v %v", o4.ExpiresAt, err)
		}
		r = req("o5", "50")
		r.Timeout = 48 * time.Hour
		o5, err := e.svc.CreateOrder(ctx, r)
		if err != nil || !o5.ExpiresAt.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("timeout max: %v %v", o5.ExpiresAt, err)
		}
		if got := testutilCount(e.m, "tron"); got != 4 {
			t.Fatalf("orders_created{tron} = %v", got)
		}
	})
}

func TestCreateOrderErrors(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEnv(t, st, nil)
	e.addWallet(t, "tron", 1)
	e.addWallet(t, "polygon", 1) // polygon is not enabled in config
	long := strings.Repeat("x", 33)
	cases := []struct {
		name  string
		mod   func(*CreateRequest)
		field string
		err   error
	}{
		{"no order_id", func(r *CreateRequest) { r.OrderID = "" }, "order_id", nil},
		{"long order_id", func(r *CreateRequest) { r.OrderID = long }, "order_id", nil},
		{"zero amount", func(r *CreateRequest) { r.Amount = decimal.Zero }, "amount", nil},
		{"negative amount", func(r *CreateRequest) { r.Amount = decimal.NewFromInt(-1) }, "amount", nil},
		{"ftp notify", func(r *CreateRequest) { r.NotifyURL = "ftp://x/y" }, "notify_url", nil},
		{"relative notify", func(r *CreateRequest) { r.NotifyURL = "/notify" }, "notify_url", nil},
		{"bad redirect", func(r *CreateRequest) { r.RedirectURL = "javascript:alert(1)" }, "redirect_url", nil},
		{"trade type", func(r *CreateRequest) { r.TradeType = "usdt.xyz" }, "trade_type", nil},
		{"fiat", func(r *CreateRequest) { r.Fiat = "EUR" }, "fiat", nil},
		{"below 0.01 fiat", func(r *CreateRequest) { r.Amount = decimal.RequireFromString("0.009") }, "", ErrAmountTooSmall},
		{"below 0.01 usdt", func(r *CreateRequest) { r.Amount = decimal.RequireFromString("0.03") }, "", ErrAmountTooSmall},
		{"disabled chain", func(r *CreateRequest) { r.TradeType = "usdt.polygon" }, "", ErrNoWallet},
		{"no wallet on chain", func(r *CreateRequest) { r.TradeType = "usdt.erc20" }, "", ErrNoWallet},
	}
	for _, c := range cases {
		r := req("e1", "10")
		c.mod(&r)
		_, err := e.svc.CreateOrder(ctx, r)
		var ve *ValidationError
		switch {
		case c.field != "" && (!errors.As(err, &ve) || ve.Field != c.field):
			t.Errorf("%s: got %v, want a validation error on %s", c.name, err, c.field)
		case c.err != nil && !errors.Is(err, c.err):
			t.Errorf("%s: got %v, want %v", c.name, err, c.err)
		}
	}
	// 0.05 CNY is 0.0069 USDT, which rounds to the smallest unit.
	if o, err := e.svc.CreateOrder(ctx, req("small", "0.05")); err != nil || o.ActualAmount != "0.01" {
		t.Fatalf("0.05: %+v %v", o, err)
	}
	e.svc.rates = fixedRate{err: errors.New("stale")}
	if _, err := e.svc.CreateOrder(ctx, req("norate", "10")); !errors.Is(err, ErrNoRate) {
		t.Fatalf("no rate: %v", err)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		a, err := e.svc.CreateOrder(ctx, req("o1", "100"))
		if err != nil {
			t.Fatal(err)
		}
		again := req("o1", "100")
		again.RedirectURL = "https://shop.example/back" // not part of the comparison
		if b, err := e.svc.CreateOrder(ctx, again); err != nil || b.TradeID != a.TradeID {
			t.Fatalf("same request: %s %v", b.TradeID, err)
		}
		for name, mod := range map[string]func(*CreateRequest){
			"amount":     func(r *CreateRequest) { r.Amount, r.AmountText = decimal.NewFromInt(101), "101" },
			"notify_url": func(r *CreateRequest) { r.NotifyURL = "https://other.example/n" },
			"trade_type": func(r *CreateRequest) { r.TradeType = "usdt.bep20" },
			"fiat":       func(r *CreateRequest) { r.Fiat = "USD" },
		} {
			r := req("o1", "100")
			mod(&r)
			if _, err := e.svc.CreateOrder(ctx, r); !errors.Is(err, ErrOrderExists) {
				t.Errorf("different %s: %v", name, err)
			}
		}
		// Past its expiry (before the expirer ran) the order_id gets a new trade.
		e.clock.Add(11 * time.Minute)
		b, err := e.svc.CreateOrder(ctx, req("o1", "100"))
		if err != nil || b.TradeID == a.TradeID {
			t.Fatalf("after expiry: %s %v", b.TradeID, err)
		}
		if old := getOrder(t, st, a.TradeID); old.Status != store.OrderExpired {
			t.Fatalf("old trade status %d", old.Status)
		}
		// Its amount slot is still held (grace), so the new trade has another amount.
		if b.AmountUnits == a.AmountUnits {
			t.Fatalf("new trade reused a held slot: %s", b.AmountUnits)
		}
		// Cancelled → a new trade again.
		if _, err := e.svc.CancelOrder(ctx, b.TradeID); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.CreateOrder(ctx, req("o1", "100"))
		if err != nil || c.TradeID == b.TradeID {
			t.Fatalf("after cancel: %s %v", c.TradeID, err)
		}
		// Paid → 10002 for good.
		e.settle(t, transferFor(c, "0xpaid", e.clock.Now()))
		if _, err := e.svc.CreateOrder(ctx, req("o1", "100")); !errors.Is(err, ErrOrderExists) {
			t.Fatalf("after paid: %v", err)
		}
		e.clock.Add(time.Hour)
		if _, err := e.svc.CreateOrder(ctx, req("o1", "100")); !errors.Is(err, ErrOrderExists) {
			t.Fatalf("long after paid: %v", err)
		}
	})
}

func TestSlots(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, func(c *config.Config) { c.Orders.AmountMaxTries = 2 })
		w1, w2 := e.addWallet(t, "tron", 1), e.addWallet(t, "tron", 2)
		type got struct{ wallet, amount string }
		var seen []got
		for i := 0; i < 4; i++ {
			o, err := e.svc.CreateOrder(ctx, req("s"+string(rune('a'+i)), "72"))
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, got{o.Token, o.ActualAmount})
		}
		want := []got{{w1, "10"}, {w2, "10"}, {w1, "10.01"}, {w2, "10.01"}}
		for i := range want {
			if seen[i] != want[i] {
				t.Fatalf("slot order: got %v, want %v", seen, want)
			}
		}
		if _, err := e.svc.CreateOrder(ctx, req("full", "72")); !errors.Is(err, ErrNoSlot) {
			t.Fatalf("all slots taken: %v", err)
		}
		// Expired but within the grace: still held.
		e.clock.Add(15 * time.Minute)
		if err := e.svc.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateOrder(ctx, req("full", "72")); !errors.Is(err, ErrNoSlot) {
			t.Fatalf("slots within grace: %v", err)
		}
		// After expiry + grace the slot is reclaimed inside the create
		// transaction, even before the expirer deleted it.
		e.clock.Add(6 * time.Minute)
		o, err := e.svc.CreateOrder(ctx, req("full", "72"))
		if err != nil || o.Token != w1 || o.ActualAmount != "10" {
			t.Fatalf("reclaimed: %+v %v", o, err)
		}
	})
}

func TestPaidOrderFreesSlot(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEnv(t, st, func(c *config.Config) { c.Orders.AmountMaxTries = 1 })
	e.addWallet(t, "tron", 1)
	a, err := e.svc.CreateOrder(ctx, req("p1", "72"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateOrder(ctx, req("p2", "72")); !errors.Is(err, ErrNoSlot) {
		t.Fatalf("taken: %v", err)
	}
	// A repeated request still gets its order while no slot is left.
	if again, err := e.svc.CreateOrder(ctx, req("p1", "72")); err != nil || again.TradeID != a.TradeID {
		t.Fatalf("repeat with slots full: %v", err)
	}
	e.settle(t, transferFor(a, "0xa", e.clock.Now()))
	b, err := e.svc.CreateOrder(ctx, req("p2", "72"))
	if err != nil || b.AmountUnits != a.AmountUnits {
		t.Fatalf("after payment: %+v %v", b, err)
	}
}

func TestCancelAndQuery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("c1", "10"))
		if err != nil {
			t.Fatal(err)
		}
		if q, err := e.svc.QueryOrder(ctx, "", "c1"); err != nil || q.TradeID != o.TradeID {
			t.Fatalf("query by order_id: %v", err)
		}
		if _, err := e.svc.QueryOrder(ctx, o.TradeID, "other"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("mismatched order_id: %v", err)
		}
		if _, err := e.svc.QueryOrder(ctx, "nope", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		e.clock.Add(time.Minute)
		c, err := e.svc.CancelOrder(ctx, o.TradeID)
		now := e.clock.Now()
		if err != nil || c.Status != store.OrderExpired || !c.Canceled || !c.ExpiresAt.Equal(now) {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		stored := getOrder(t, st, o.TradeID)
		if stored.Status != store.OrderExpired || !stored.Canceled || !stored.ExpiresAt.Equal(now) {
			t.Fatalf("stored after cancel: %+v", stored)
		}
		// Held for the grace from the cancel, then free.
		holds, err := st.SlotHolds(ctx, "tron", o.TokenContract, []string{o.AmountUnits})
		if err != nil || len(holds) != 1 || !holds[0].HeldUntil.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("slot after cancel: %+v %v", holds, err)
		}
		if again, err := e.svc.CancelOrder(ctx, o.TradeID); err != nil || again.Status != store.OrderExpired {
			t.Fatalf("second cancel: %v", err)
		}
		if _, err := e.svc.CancelOrder(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("cancel unknown: %v", err)
		}
		p, err := e.svc.CreateOrder(ctx, req("c2", "10"))
		if err != nil {
			t.Fatal(err)
		}
		e.settle(t, transferFor(p, "0xp", e.clock.Now()))
		if _, err := e.svc.CancelOrder(ctx, p.TradeID); !errors.Is(err, ErrOrderPaid) {
			t.Fatalf("cancel paid: %v", err)
		}
	})
}

// TestConcurrentIdenticalCreates sends the same request 20 times at once:
// every caller gets the one order that was created.
func TestConcurrentIdenticalCreates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		const n = 20
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, err := e.svc.CreateOrder(ctx, req("same", "100"))
				ids[i], errs[i] = o.TradeID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("caller %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
			}
		}
		var orders, slots int
		_ = st.DB().QueryRow("SELECT COUNT(*) FROM orders").Scan(&orders)
		_ = st.DB().QueryRow("SELECT COUNT(*) FROM amount_slots").Scan(&slots)
		if orders != 1 || slots != 1 {
			t.Fatalf("%d orders, %d slots; want 1 and 1", orders, slots)
		}
	})
}

// TestSlotsFillInOrder fills every slot of 30 amounts on 2 wallets, which
// takes the free-slot search through all its windows (1, 4, 16 and the
// last 9 amounts), then frees one slot deep in the range: the next order
// gets exactly that one.
func TestSlotsFillInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const tries = 30
		e := newEnv(t, st, func(c *config.Config) { c.Orders.AmountMaxTries = tries })
		wallets := []string{e.addWallet(t, "tron", 1), e.addWallet(t, "tron", 2)}
		var orders []store.Order
		for i := 0; i < 2*tries; i++ {
			o, err := e.svc.CreateOrder(ctx, req(fmt.Sprintf("f%d", i), "72"))
			if err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
			want := decimal.RequireFromString("10").Add(decimal.New(int64(i/2), -2))
			if o.Token != wallets[i%2] || o.ActualAmount != money.Format(want) {
				t.Fatalf("order %d got %s %s, want %s %s", i, o.Token, o.ActualAmount, wallets[i%2], money.Format(want))
			}
			orders = append(orders, o)
		}
		if _, err := e.svc.CreateOrder(ctx, req("over", "72")); !errors.Is(err, ErrNoSlot) {
			t.Fatalf("all %d slots taken: %v", 2*tries, err)
		}
		hole := orders[45]
		e.settle(t, transferFor(hole, "0xa", e.clock.Now()))
		o, err := e.svc.CreateOrder(ctx, req("over", "72"))
		if err != nil || o.Token != hole.Token || o.ActualAmount != hole.ActualAmount {
			t.Fatalf("freed slot %s %s: got %+v %v", hole.Token, hole.ActualAmount, o, err)
		}
	})
}
