package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

// Scenario 3: the gateway runs on a private PostgreSQL cluster that is
// stopped and started twice under load (once crashed with -m immediate,
// once shut down cleanly with -m fast). While the database is gone the
// gateway keeps answering: /healthz 200, /readyz 503 naming the database,
// the merchant API an Epusdt envelope with an error code and a request id
// (never a dropped connection or a crash). It recovers by itself, and every
// order created before, between and after the outages is paid once and
// called back.
func TestDatabaseRestart(t *testing.T) {
	t.Parallel()
	pg := startPGCluster(t)
	rnd := testRand(t)
	chain := startChain(t, chainOpts{})
	m := newMerchant(t, apiToken)
	g := newGateway(t, chain, gwOpts{Dialect: store.Postgres, DSN: pg.DSN()})
	for _, c := range e2eChains {
		for i := range 2 {
			g.addWallet(t, c.name, g.wallet(c.name, i))
		}
	}
	g.start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	load := &orderLoad{sh: g.shop(), m: m, rnd: rand.New(rand.NewPCG(rnd.Uint64(), 4))}
	loadCtx, stopLoad := context.WithCancel(ctx)
	created := make(chan *order, 4096)
	loadDone := make(chan struct{})
	go func() {
		load.run(loadCtx, t, 2, created)
		close(created)
		close(loadDone)
	}()
	p := &payer{chain: chain, rnd: rand.New(rand.NewPCG(rnd.Uint64(), 5))}
	payDone := make(chan error, 1)
	go func() { payDone <- p.payStream(ctx, created, 5, 2) }()

	for _, mode := range []string{"immediate", "fast"} {
		time.Sleep(3 * time.Second)
		before := load.count()
		if err := pg.stop(mode); err != nil {
			t.Fatal(err)
		}
		down := time.Now()
		probeOutage(t, g)
		time.Sleep(4 * time.Second) // loops keep failing against the missing database meanwhile
		if err := pg.start(); err != nil {
			t.Fatal(err)
		}
		back := time.Now()
		waitReady(t, g, 60*time.Second)
		t.Logf("database stopped (-m %s) for %s; gateway ready %s after the restart; %d orders created before",
			mode, back.Sub(down).Round(time.Millisecond), time.Since(back).Round(time.Millisecond), before)
		waitFor(t, 30*time.Second, "orders to be created again", func() bool { return load.count() > before })
	}
	time.Sleep(2 * time.Second)
	stopLoad()
	<-loadDone
	if err := <-payDone; err != nil {
		t.Fatal(err)
	}
	orders := load.all()
	st := load.stats()
	t.Logf("%d orders created under load; %d create attempts refused with an error envelope, %d transport errors",
		len(orders), st.refused, st.transport)
	if st.transport > 0 {
		t.Errorf("%d create attempts got no HTTP answer at all (first: %v)", st.transport, st.firstTransport)
	}
	if st.refused == 0 {
		t.Error("no create attempt was refused while the database was down: the outages did not happen under load")
	}

	waitCallbacks(t, m, orders, 2*time.Minute)
	checkCallbacks(t, m, orders)
	checkStatuses(t, g.shop(), orders, store.OrderPaid)
	db := g.openStore(t)
	waitJobsDelivered(t, db, orders, time.Minute)
	checkLedger(t, readLedger(t, db), orders, true)
	if !g.alive() || strings.Contains(g.proc.Output(), "panic:") {
		t.Errorf("the gateway died or panicked:\n%s", tail(g.proc.Output(), 4000))
	}
	g.stop(t)
}

// probeOutage asserts the gateway's answers while its database is down.
func probeOutage(t *testing.T, g *gateway) {
	t.Helper()
	hc := &http.Client{Timeout: 15 * time.Second}
	if code, body := httpGet(t, hc, g.base()+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the database down: HTTP %d %s, want 200 (the process is alive)", code, body)
	}
	waitFor(t, 20*time.Second, "/readyz to report the database down", func() bool {
		code, body := httpGet(t, hc, g.base()+"/readyz")
		var r struct {
			Status string `json:"status"`
			Checks map[string]struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			} `json:"checks"`
		}
		_ = json.Unmarshal([]byte(body), &r)
		db := r.Checks["database"]
		return code == http.StatusServiceUnavailable && r.Status == "not ready" && !db.OK && strings.Contains(db.Error, "database")
	})
	o := &order{id: fmt.Sprintf("outage-%d", time.Now().UnixNano()), chain: "tron", amount: "77", notify: "http://127.0.0.1:9/n"}
	env, err := g.shop().post(t, "/api/v1/order/create-transaction", o.fields())
	if env.StatusCode == 0 || env.StatusCode == 200 || env.Message == "" || env.RequestID == "" {
		t.Errorf("create with the database down: envelope %+v (%v); want an error code, a message and a request id", env, err)
	}
	if strings.Contains(strings.ToLower(env.Message), "dial") || strings.Contains(env.Message, "127.0.0.1") {
		t.Errorf("the error envelope leaks connection details: %q", env.Message)
	}
	if !g.alive() {
		t.Fatalf("the gateway exited while the database was down:\n%s", tail(g.proc.Output(), 4000))
	}
}

// waitReady waits until /readyz answers 200.
func waitReady(t *testing.T, g *gateway, within time.Duration) {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, within, "/readyz 200 after the database came back", func() bool {
		code, _ := httpGet(t, hc, g.base()+"/readyz")
		return code == http.StatusOK
	})
}

func httpGet(t testing.TB, hc *http.Client, url string) (int, string) {
	resp, err := hc.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// orderLoad creates new orders continuously, retrying each until the
// gateway accepts it, and counts how the refusals looked.
type orderLoad struct {
	sh  *shop
	m   *merchant
	rnd *rand.Rand

	mu      sync.Mutex
	created []*order
	st      loadStats
	next    int
}

type loadStats struct {
	refused, transport int
	firstTransport     error
}

func (l *orderLoad) run(ctx context.Context, t *testing.T, workers int, out chan<- *order) {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if o := l.one(ctx, t); o != nil {
					out <- o
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

// one creates one new order, retrying while the gateway refuses with 500.
func (l *orderLoad) one(ctx context.Context, t *testing.T) *order {
	l.mu.Lock()
	o := newOrders(l.rnd, fmt.Sprintf("dbr-%05d", l.next), 1, l.m.url("/notify"))[0]
	l.next++
	l.mu.Unlock()
	for ctx.Err() == nil {
		err := tryCreate(t, l.sh, o)
		var ref *errRefused
		l.mu.Lock()
		switch {
		case err == nil:
			l.created = append(l.created, o)
			l.mu.Unlock()
			return o
		case errors.As(err, &ref):
			l.st.refused++
		default:
			l.st.transport++
			if l.st.firstTransport == nil {
				l.st.firstTransport = err
			}
		}
		l.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func (l *orderLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.created)
}

func (l *orderLoad) all() []*order {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*order(nil), l.created...)
}

func (l *orderLoad) stats() loadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}
