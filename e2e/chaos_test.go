package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/devchain/faultproxy"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// Scenario 4: gateways read every chain through a fault-injecting RPC
// proxy while devchain runs several minutes of chain time (a block every
// 150 ms, each a second later than the last). Orders are paid throughout,
// while the proxy answers 429s, 5xxs and JSON-RPC errors, times out, lags
// behind the head, steps the head back and refuses large log ranges, and
// the chain reorganises twice (once dropping a payment the gateways had
// already detected). Nothing may be missed or counted twice. One gateway
// per available database (own wallets, own merchant) goes through the same
// chaos at the same time.
func TestRPCChaos(t *testing.T) {
	t.Parallel()
	rnd := testRand(t)
	chain := startChain(t, chainOpts{Heartbeat: -1, FinalityLag: 4})
	proxy := faultproxy.New(chain.RPC)
	if err := proxy.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var runs []*chaosRun
	var orders []*order
	for _, d := range storetest.Dialects(t) {
		r := newChaosRun(ctx, t, chain, proxy, d, rnd, scaled(90))
		runs = append(runs, r)
		orders = append(orders, r.orders...)
	}
	miner := &chaosMiner{chain: chain}
	go miner.run(ctx, 150*time.Millisecond)
	startHead := chain.head(t)

	phaseDur := 4 * time.Second
	p := &payer{chain: chain, rnd: rand.New(rand.NewPCG(rnd.Uint64(), 2))}
	payDone := make(chan error, 1)
	go func() {
		payDone <- p.paySlowly(ctx, &miner.RWMutex, orders, time.Duration(len(chaosPhases)+2)*phaseDur)
	}()
	began := time.Now()
	for i, ph := range chaosPhases {
		t.Logf("%5.1fs chaos: %s", time.Since(began).Seconds(), ph.name)
		ph.apply(proxy, rnd.Uint64())
		time.Sleep(phaseDur)
		proxy.ClearFaults()
		proxy.SetHeadLag(0)
		proxy.LimitLogRange(0, 0)
		switch i {
		case 2:
			reorgDropping(t, runs, miner)
		case 5:
			reorgKeeping(t, miner)
		}
	}
	if err := <-payDone; err != nil {
		t.Fatal(err)
	}
	if err := p.payBatch(ctx, "usdt6", victims(runs)); err != nil {
		t.Fatal(err)
	}
	blocks := chain.head(t) - startHead
	calls := proxy.Calls()
	t.Logf("chaos over after %s: %d blocks (≥ %s of chain time), %d RPC requests, %d eth_getLogs calls",
		time.Since(began).Round(time.Second), blocks, time.Duration(blocks)*time.Second, proxy.Requests(), calls["eth_getLogs"])
	for _, r := range runs {
		t.Run(string(r.d), r.verify)
	}
}

// chaosRun is one gateway (one database) going through the chaos.
type chaosRun struct {
	d      store.Dialect
	g      *gateway
	m      *merchant
	orders []*order // paid during the chaos
	victim *order   // paid in a block a reorg drops, then again
}

func newChaosRun(ctx context.Context, t *testing.T, chain *devchainProc, proxy *faultproxy.Proxy, d store.Dialect,
	rnd *rand.Rand, n int) *chaosRun {
	r := &chaosRun{d: d, m: newMerchant(t, apiToken)}
	r.g = newGateway(t, chain, gwOpts{Dialect: d, RPCURL: proxy.URL(), Env: map[string]string{
		"ORDER_EXPIRATION_TIME": "120", "TRON_RPC_TIMEOUT": "1s", "ETH_RPC_TIMEOUT": "1s", "BSC_RPC_TIMEOUT": "1s"}})
	r.g.name, r.g.seed = "gw-"+string(d), r.g.seed+"/"+string(d)
	for _, c := range e2eChains {
		for i := range 2 {
			r.g.addWallet(t, c.name, r.g.wallet(c.name, i))
		}
	}
	r.g.start(t)
	r.orders = newOrders(rnd, "chaos", n, r.m.url("/notify"))
	if err := createAll(ctx, t, r.g.shop(), r.orders, 4, nil); err != nil {
		t.Fatal(err)
	}
	r.victim = firstOn(t, r.orders, "ethereum")
	r.orders = without(r.orders, r.victim)
	return r
}

func victims(runs []*chaosRun) []*order {
	var out []*order
	for _, r := range runs {
		out = append(out, r.victim)
	}
	return out
}

// verify checks one gateway after the chaos: every order paid once by its
// last payment, the dropped payment never counted.
func (r *chaosRun) verify(t *testing.T) {
	all := append(append([]*order(nil), r.orders...), r.victim)
	waitCallbacks(t, r.m, all, 2*time.Minute)
	checkCallbacks(t, r.m, all)
	checkStatuses(t, r.g.shop(), all, store.OrderPaid)
	st := r.g.openStore(t)
	waitJobsDelivered(t, st, all, time.Minute)
	l := readLedger(t, st)
	checkLedger(t, l, all, true)
	for _, row := range l.transfers {
		if normTx(row.tx) == normTx(r.victim.firstTx) && row.state != store.TransferRemoved {
			t.Errorf("the payment dropped by the reorg is stored as %s/%s (trade %q), want removed", row.state, row.match, row.tradeID)
		}
	}
	if !r.g.alive() || strings.Contains(r.g.proc.Output(), "panic:") {
		t.Errorf("the gateway died or panicked:\n%s", tail(r.g.proc.Output(), 4000))
	}
}

// chaosPhase is one fault setting, held for a while.
type chaosPhase struct {
	name  string
	apply func(p *faultproxy.Proxy, seed uint64)
}

var chaosPhases = []chaosPhase{
	{"30% HTTP 429", func(p *faultproxy.Proxy, s uint64) { p.FailFraction(0.3, s, faultproxy.HTTPError(429)) }},
	{"30% HTTP 502", func(p *faultproxy.Proxy, s uint64) { p.FailFraction(0.3, s, faultproxy.HTTPError(502)) }},
	{"30% JSON-RPC errors", func(p *faultproxy.Proxy, s uint64) {
		p.FailFraction(0.3, s, faultproxy.RPCError(-32000, "header not found"))
	}},
	{"timeouts", func(p *faultproxy.Proxy, s uint64) { p.FailFraction(0.25, s, faultproxy.Delay(5*time.Second)) }},
	{"hanging getLogs", func(p *faultproxy.Proxy, s uint64) { p.FailNext(3, faultproxy.Hang().For("eth_getLogs")) }},
	{"node 12 blocks behind", func(p *faultproxy.Proxy, _ uint64) { p.SetHeadLag(12) }},
	{"head steps back", func(p *faultproxy.Proxy, _ uint64) { p.StepHeadBackOnce(6) }},
	{"log range capped at 3 blocks", func(p *faultproxy.Proxy, _ uint64) { p.LimitLogRange(3, faultproxy.TooManyResults) }},
	{"everything failing", func(p *faultproxy.Proxy, s uint64) { p.FailFraction(1, s, faultproxy.HTTPError(503)) }},
}

// chaosMiner mines a block every interval; Lock stops it (and the payers)
// so a reorg happens at a known head.
type chaosMiner struct {
	sync.RWMutex
	chain *devchainProc
}

func (m *chaosMiner) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.RLock()
			_ = m.chain.mine(ctx, 1)
			m.RUnlock()
		}
	}
}

// paySlowly pays orders in random batches spread over about d, holding
// lock's read lock (when not nil) for each payment.
func (p *payer) paySlowly(ctx context.Context, lock *sync.RWMutex, orders []*order, d time.Duration) error {
	shuffled := append([]*order(nil), orders...)
	p.rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	pause := d / time.Duration(max(len(shuffled), 1))
	for len(shuffled) > 0 {
		tok := specOf(shuffled[0].chain).token
		var batch, rest []*order
		for _, o := range shuffled {
			if specOf(o.chain).token == tok && len(batch) < 1+p.rnd.IntN(4) {
				batch = append(batch, o)
			} else {
				rest = append(rest, o)
			}
		}
		shuffled = rest
		if lock != nil {
			lock.RLock()
		}
		err := p.payBatch(ctx, tok, batch)
		if lock != nil {
			lock.RUnlock()
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(len(batch)) * pause):
		}
	}
	return nil
}

// reorgDropping pays every run's victim order in one transaction with
// the chain halted, waits until each gateway shows the payment as seen,
// then replaces that block with a branch that lacks it. The payment must
// never count.
func reorgDropping(t *testing.T, runs []*chaosRun, miner *chaosMiner) {
	miner.Lock()
	defer miner.Unlock()
	ps := make([]payment, len(runs))
	for i, r := range runs {
		ps[i] = payment{To: r.victim.data.Token, Amount: r.victim.usdt()}
	}
	tx, err := miner.chain.batch(context.Background(), "usdt6", ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		r.victim.firstTx = tx.TxHash
		waitFor(t, 20*time.Second, r.g.name+"'s cashier to show the victim's payment as seen", func() bool {
			s := statusOf(t, r.g.shop(), r.victim.data.TradeID)
			return s.Seen && normTx(s.TxHash) == normTx(tx.TxHash)
		})
	}
	if err := miner.chain.reorg(context.Background(), 1, tx.TxHash); err != nil {
		t.Fatalf("reorg dropping %s: %v", tx.TxHash, err)
	}
	t.Logf("reorg: block %d with the victims' payment %s replaced by a branch without it", tx.Block, tx.TxHash)
}

// reorgKeeping replaces the last three (unsettled) blocks; their
// transactions stay at the same heights in blocks with new hashes.
func reorgKeeping(t *testing.T, miner *chaosMiner) {
	miner.Lock()
	defer miner.Unlock()
	if err := miner.chain.reorg(context.Background(), 3, ""); err != nil {
		t.Fatalf("reorg of depth 3: %v", err)
	}
	t.Log("reorg: last 3 blocks replaced, transactions kept")
}

// cashierStatus is check-status's data with the cashier's extra fields.
type cashierStatus struct {
	Status int    `json:"status"`
	Seen   bool   `json:"seen"`
	TxHash string `json:"tx_hash"`
}

// statusOf reads check-status once (zero value on any failure).
func statusOf(t testing.TB, sh *shop, tradeID string) cashierStatus {
	var s cashierStatus
	resp, err := sh.hc.Get(sh.base + "/pay/check-status/" + tradeID)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	var env envelope
	if json.NewDecoder(resp.Body).Decode(&env) == nil && env.StatusCode == 200 {
		_ = json.Unmarshal(env.Data, &s)
	}
	return s
}

func firstOn(t *testing.T, orders []*order, chain string) *order {
	for _, o := range orders {
		if o.chain == chain {
			return o
		}
	}
	t.Fatalf("no %s order among %d", chain, len(orders))
	return nil
}

func without(orders []*order, x *order) []*order {
	var out []*order
	for _, o := range orders {
		if o != x {
			out = append(out, o)
		}
	}
	return out
}
