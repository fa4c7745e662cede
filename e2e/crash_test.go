package e2e

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// Scenario 2: 500 orders on three chains (TRON mode, Ethereum with a
// 6-decimal USDT, BSC with an 18-decimal one) are created and paid in
// random order and random batches while the gateway is killed with SIGKILL
// at random moments (at least 5 times) and restarted. Every paid order must
// end with status 2 and a verified callback, no order paid twice, no
// transfer lost or attributed twice.
func TestCrashRecovery(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			runCrash(t, d, crashOrders(d))
		})
	}
}

// crashOrders is the scenario's order count: 500 on SQLite (the issue's
// figure) and on the server databases, scaled by EPUSDT_E2E_SCALE.
func crashOrders(store.Dialect) int { return scaled(500) }

// testRand returns a generator seeded from EPUSDT_E2E_SEED or the clock,
// logging the seed so a failing run can be repeated.
func testRand(t testing.TB) *rand.Rand {
	seed, err := strconv.ParseUint(os.Getenv("EPUSDT_E2E_SEED"), 10, 64)
	if err != nil {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("random seed %d (set EPUSDT_E2E_SEED to repeat)", seed)
	return rand.New(rand.NewPCG(seed, seed>>7|1))
}

func runCrash(t *testing.T, d store.Dialect, n int) {
	rnd := testRand(t)
	chain := startChain(t, chainOpts{})
	m := newMerchant(t, apiToken)
	g := newGateway(t, chain, gwOpts{Dialect: d})
	for _, c := range e2eChains {
		for i := range 3 {
			g.addWallet(t, c.name, g.wallet(c.name, i))
		}
	}
	g.start(t)
	orders := newOrders(rnd, "crash", n, m.url("/notify"))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	began := time.Now()
	p := &payer{chain: chain, rnd: rand.New(rand.NewPCG(rnd.Uint64(), 1))}
	done := make(chan error, 1)
	go func() {
		created := make(chan *order, len(orders))
		createErr := make(chan error, 1)
		go func() {
			createErr <- createAll(ctx, t, g.shop(), orders, 8, created)
			close(created)
		}()
		payErr := p.payStream(ctx, created, 8, 4)
		done <- errors.Join(<-createErr, payErr)
	}()

	kills := killLoop(t, g, rnd, done, 5)
	t.Logf("%d orders created and paid in %s; the gateway was killed %d times (during and after)",
		n, time.Since(began).Round(time.Millisecond), kills)

	waitCallbacks(t, m, orders, 2*time.Minute)
	t.Logf("every order called back %s after the start", time.Since(began).Round(time.Millisecond))
	dups := checkCallbacks(t, m, orders)
	t.Logf("%d callbacks, %d repeated deliveries (at-least-once across kills)", len(m.callbacks()), dups)
	checkStatuses(t, g.shop(), orders, store.OrderPaid)
	st := g.openStore(t)
	waitJobsDelivered(t, st, orders, time.Minute)
	checkLedger(t, readLedger(t, st), orders, true)
	if strings.Contains(g.proc.Output(), "panic:") {
		t.Errorf("the gateway panicked:\n%s", tail(g.proc.Output(), 4000))
	}
	g.stop(t)
}

// killLoop kills the gateway with SIGKILL at random moments and restarts
// it, until the work reports on done and at least minKills kills happened,
// two of them after the work finished (while transfers settle and
// callbacks go out). It fails the test if the work failed. It returns the
// number of kills.
func killLoop(t *testing.T, g *gateway, rnd *rand.Rand, done <-chan error, minKills int) int {
	kills, after, finished := 0, 0, false
	for !finished || kills < minKills || after < 2 {
		wait := time.Duration(500+rnd.IntN(2500)) * time.Millisecond
		if finished {
			wait /= 2
		}
		timer := time.NewTimer(wait)
		if !finished {
			select {
			case err := <-done:
				timer.Stop()
				if err != nil {
					t.Fatalf("orders or payments failed: %v", err)
				}
				finished = true
				continue
			case <-timer.C:
			}
		} else {
			<-timer.C
			after++
		}
		g.kill(t)
		kills++
		time.Sleep(time.Duration(rnd.IntN(800)) * time.Millisecond)
		g.start(t)
	}
	return kills
}

// payStream pays orders as they arrive on in: per token it gathers a pool
// and pays a random batch of 1–maxBatch of them in random order, workers
// transactions at a time; what is left when in closes is paid last.
func (p *payer) payStream(ctx context.Context, in <-chan *order, maxBatch, workers int) error {
	batches := make(chan []*order)
	errc := make(chan error, 1)
	go func() {
		errc <- parallelFrom(ctx, workers, batches, func(b []*order) error {
			return p.payBatch(ctx, specOf(b[0].chain).token, b)
		})
	}()
	pools := map[string][]*order{}
	target := map[string]int{}
	emit := func(tok string, all bool) {
		pool := pools[tok]
		p.rnd.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		k := len(pool)
		if !all {
			k = target[tok]
		}
		select {
		case batches <- pool[:k]:
		case <-ctx.Done():
		}
		pools[tok] = append([]*order(nil), pool[k:]...)
		target[tok] = 1 + p.rnd.IntN(maxBatch)
	}
	for o := range in {
		tok := specOf(o.chain).token
		if target[tok] == 0 {
			target[tok] = 1 + p.rnd.IntN(maxBatch)
		}
		pools[tok] = append(pools[tok], o)
		if len(pools[tok]) >= target[tok]+p.rnd.IntN(3) {
			emit(tok, false)
		}
	}
	for tok, pool := range pools {
		if len(pool) > 0 {
			emit(tok, true)
		}
	}
	close(batches)
	return <-errc
}

// parallelFrom runs fn on every item of in with workers goroutines.
func parallelFrom[T any](ctx context.Context, workers int, in <-chan T, fn func(T) error) error {
	errc := make(chan error, workers)
	for range workers {
		go func() {
			var errs error
			for item := range in {
				if ctx.Err() == nil {
					errs = errors.Join(errs, fn(item))
				}
			}
			errc <- errs
		}()
	}
	var errs error
	for range workers {
		errs = errors.Join(errs, <-errc)
	}
	return errors.Join(errs, ctx.Err())
}
