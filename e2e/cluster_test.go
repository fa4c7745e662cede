package e2e

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// Scenario 5: two gateway instances on one PostgreSQL and one Redis serve
// the same shop. Orders are created on both (one wallet per chain and two
// base amounts, so every order fights for amount slots), paid on devchain,
// and the instance that holds the scan leases is killed with SIGKILL
// mid-run. The survivor must take over scanning and callbacks; every order
// is paid once and called back, and no two orders ever hold the same
// (chain, wallet, amount) slot at the same time.
func TestTwoInstancesFailover(t *testing.T) {
	t.Parallel()
	if _, ok := storetest.DSN(t, store.Postgres); !ok {
		t.Skip("NOTICE: PostgreSQL not configured: two-instance failover SKIPPED")
	}
	redisAddr := os.Getenv("EPUSDT_TEST_REDIS_ADDR")
	if redisAddr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EPUSDT_TEST_REDIS_ADDR is not set: CI must run the two-instance test")
		}
		t.Skip("NOTICE: EPUSDT_TEST_REDIS_ADDR not set: two-instance failover SKIPPED")
	}
	host, port, err := net.SplitHostPort(redisAddr)
	if err != nil {
		t.Fatalf("EPUSDT_TEST_REDIS_ADDR %q: %v", redisAddr, err)
	}
	rnd := testRand(t)
	chain := startChain(t, chainOpts{})
	m := newMerchant(t, apiToken)
	gs := []*gateway{newGateway(t, chain, gwOpts{Dialect: store.Postgres, Env: map[string]string{
		"REDIS_HOST": host, "REDIS_PORT": port, "REDIS_DB": strconv.Itoa(1 + rnd.IntN(15))}})}
	gs = append(gs, gs[0].clone(t, "gw2"))
	for _, c := range e2eChains {
		gs[0].addWallet(t, c.name, gs[0].wallet(c.name, 0))
	}
	for _, g := range gs {
		g.start(t)
	}
	n := scaled(200)
	orders := contendedOrders(rnd, n, m.url("/notify"))
	first, second := orders[:n/2], orders[n/2:]
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// Phase 1: half the orders, alternating between the instances, then paid
	// in the background while the lease holder is killed.
	if err := createOnBoth(ctx, t, gs, first); err != nil {
		t.Fatal(err)
	}
	checkDistinctSlots(t, first)
	p := &payer{chain: chain, rnd: rand.New(rand.NewPCG(rnd.Uint64(), 3))}
	paid1 := make(chan error, 1)
	go func() { paid1 <- p.paySlowly(ctx, nil, first, 6*time.Second) }()

	victim, survivor := leaseHolder(t, gs)
	time.Sleep(time.Duration(2500+rnd.IntN(2000)) * time.Millisecond)
	victim.kill(t)
	t.Logf("killed %s (it held scan leases) mid-run: %d of the first %d orders were paid then",
		victim.name, countStatus(t, survivor.shop(), first, store.OrderPaid), len(first))

	// Phase 2: the rest of the orders on the survivor only.
	if err := createOnBoth(ctx, t, []*gateway{survivor}, second); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(<-paid1, p.payAll(ctx, second, 6, 2)); err != nil {
		t.Fatal(err)
	}
	waitCallbacks(t, m, orders, 2*time.Minute)
	checkCallbacks(t, m, orders)
	checkStatuses(t, survivor.shop(), orders, store.OrderPaid)
	st := survivor.openStore(t)
	waitJobsDelivered(t, st, orders, time.Minute)
	l := readLedger(t, st)
	checkLedger(t, l, orders, true)
	checkSlotHistory(t, l)
	if led := leads(t, survivor); len(led) != len(e2eChains) {
		t.Errorf("the survivor leads %v, want every chain", led)
	}
	survivor.stop(t)
}

// countStatus counts the orders whose check-status is want.
func countStatus(t testing.TB, sh *shop, orders []*order, want int) int {
	n := 0
	for _, o := range orders {
		if sh.status(t, o.data.TradeID) == want {
			n++
		}
	}
	return n
}

// contendedOrders makes n orders of CNY 70 or 140 (10.00 or 20.00 USDT):
// with one wallet per chain every order needs its own amount step.
func contendedOrders(rnd *rand.Rand, n int, notify string) []*order {
	out := newOrders(rnd, "cluster", n, notify)
	for _, o := range out {
		o.amount = []string{"70", "140"}[rnd.IntN(2)]
	}
	return out
}

// createOnBoth creates orders round-robin on the gateways, concurrently.
func createOnBoth(ctx context.Context, t *testing.T, gs []*gateway, orders []*order) error {
	parts := make([][]*order, len(gs))
	for i, o := range orders {
		parts[i%len(gs)] = append(parts[i%len(gs)], o)
	}
	errc := make(chan error, len(gs))
	for i, g := range gs {
		go func() { errc <- createAll(ctx, t, g.shop(), parts[i], 4, nil) }()
	}
	var errs error
	for range gs {
		errs = errors.Join(errs, <-errc)
	}
	return errs
}

// checkDistinctSlots asserts that orders waiting at the same time never
// share a (chain, wallet, amount) slot, as their create answers show.
func checkDistinctSlots(t *testing.T, orders []*order) {
	t.Helper()
	seen := map[string]string{}
	for _, o := range orders {
		k := o.chain + "|" + o.data.Token + "|" + o.usdt()
		if prev, ok := seen[k]; ok {
			t.Errorf("orders %s and %s both hold slot %s", prev, o.data.TradeID, k)
		}
		seen[k] = o.data.TradeID
	}
}

// checkSlotHistory asserts from the database that no two orders on the
// same (chain, wallet, amount) were ever waiting at the same time: the
// later one was created only after the earlier one was paid.
func checkSlotHistory(t *testing.T, l ledger) {
	t.Helper()
	bySlot := map[string][]dbOrder{}
	for _, o := range l.orders {
		k := o.chain + "|" + o.wallet + "|" + o.units
		bySlot[k] = append(bySlot[k], o)
	}
	for k, os := range bySlot {
		for i := range os {
			for j := range os {
				a, b := os[i], os[j]
				if i != j && a.created <= b.created && (a.paid == 0 || b.created < a.paid) {
					t.Errorf("slot %s: order %s (created %d, paid %d) and %s (created %d) overlap",
						k, a.tradeID, a.created, a.paid, b.tradeID, b.created)
				}
			}
		}
	}
}

// leads returns the chains whose scan lease g holds, from its dashboard.
func leads(t *testing.T, g *gateway) []string {
	t.Helper()
	var d struct {
		Chains []struct {
			Chain  string `json:"chain"`
			Leader bool   `json:"leader"`
		} `json:"chains"`
	}
	if err := g.admin(t).do("GET", "dashboard", nil, &d); err != nil {
		t.Fatalf("%s dashboard: %v", g.name, err)
	}
	var out []string
	for _, c := range d.Chains {
		if c.Leader {
			out = append(out, c.Chain)
		}
	}
	return out
}

// leaseHolder waits until the instances have split the scan leases and
// returns the one holding the most (the victim) and the other.
func leaseHolder(t *testing.T, gs []*gateway) (victim, survivor *gateway) {
	t.Helper()
	var n0, n1 int
	waitFor(t, 30*time.Second, "every chain to have a scanning instance", func() bool {
		n0, n1 = len(leads(t, gs[0])), len(leads(t, gs[1]))
		return n0+n1 == len(e2eChains)
	})
	t.Logf("scan leases: %s holds %d, %s holds %d", gs[0].name, n0, gs[1].name, n1)
	if n0 >= n1 {
		return gs[0], gs[1]
	}
	return gs[1], gs[0]
}
