// Package e2e proves the gateway as a user meets it: the real epusdt and
// devchain binaries run as processes on free loopback ports, and the tests
// talk to them only through public interfaces (the signed merchant API, the
// cashier/check-status endpoints, the admin API, devchain's control API and
// a fake merchant that verifies callbacks).
//
// # Harness (this file)
//
// TestMain builds both binaries once (bins.epusdt, bins.devchain).
//
//	chain := startChain(t, chainOpts{})                 // devchain process, a block per second, finality lag 2
//	chain.pay(t, "usdt6", addr, "7.91")                  // one transfer (TRON "T…" or 0x address), mined at once
//	chain.batch(ctx, "usdt18", []payment{{To, Amount}})  // many transfers in one transaction
//	chain.mine(ctx, n); chain.reorg(ctx, depth, dropTx); chain.head(t)
//
//	g := newGateway(t, chain, gwOpts{})   // config only; SQLite in a temp runtime dir by default
//	g.addWallet(t, "tron", g.wallet("tron", 0))          // `epusdt wallet add` (also disableWallet, cli)
//	g.start(t)                            // `epusdt http start`, waits for /healthz
//	g.kill(t); g.stop(t); g.alive()       // SIGKILL / SIGTERM (clean exit required)
//	g2 := g.clone(t, "gw2")               // a second instance on the same database and wallets
//	sh := g.shop()                        // PHP-style signed client (client_test.go)
//	adm := g.admin(t)                     // admin JSON API, logged in (adminclient_test.go)
//	st := g.openStore(t)                  // the gateway's database, for assertions (ledger_test.go)
//
// Options: gwOpts.Dialect picks store.SQLite (default), store.MySQL or
// store.Postgres (an isolated database from storetest, skipped when its DSN
// is unset), or gwOpts.DSN for a database the test runs itself;
// gwOpts.RPCURL replaces the devchain URL (a fault proxy); gwOpts.Env
// overrides any EPUSDT_* key. Wallet addresses derive from g.seed (the test
// name): change it to give two gateways on one chain different wallets.
//
// Scenario helpers: workload_test.go (orders, createAll with retries,
// payer), ledger_test.go (readLedger, checkLedger), crash_test.go
// (killLoop). Counts scale with EPUSDT_E2E_SCALE (a float, default 1)
// through scaled(n); EPUSDT_E2E_SEED repeats a run's random choices.
package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/proctest"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// bins are the binaries TestMain built.
var bins struct{ epusdt, devchain string }

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "epusdt-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, b := range []struct {
		dst *string
		pkg string
	}{{&bins.epusdt, "github.com/epusdt/epusdt/cmd/epusdt"}, {&bins.devchain, "github.com/epusdt/epusdt/cmd/devchain"}} {
		if *b.dst, err = proctest.Build(dir, b.pkg); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	return m.Run()
}

// scaled multiplies n by EPUSDT_E2E_SCALE (default 1), never below min(n, 5).
func scaled(n int) int {
	f, err := strconv.ParseFloat(os.Getenv("EPUSDT_E2E_SCALE"), 64)
	if err != nil || f <= 0 {
		return n
	}
	return max(int(math.Round(float64(n)*f)), min(n, 5))
}

// Fixed secrets of every e2e gateway.
const (
	apiToken      = "e2e-merchant-token-7f3a9c2b41d8"
	adminUser     = "admin"
	adminPassword = "E2e-Adm1n-Pass-4d9f!"
)

// gwOpts configures newGateway.
type gwOpts struct {
	Dialect store.Dialect     // default SQLite
	DSN     string            // a DSN of Dialect the test provides (else storetest's isolated one)
	RPCURL  string            // default: the devchain's URL, for every chain
	Env     map[string]string // EPUSDT_<KEY> overrides, keys without the prefix (e.g. "ORDER_EXPIRATION_TIME")
}

// gateway is one epusdt instance's configuration and, once started, its process.
type gateway struct {
	name  string
	dir   string // runtime_root_path
	addr  string
	env   []string
	db    store.Options
	proc  *proctest.Proc
	seed  string
	chain *devchainProc
}

// newGateway prepares (does not start) a gateway watching chain on TRON
// (usdt6 as a TRC-20), Ethereum (usdt6) and BSC (usdt18, 18 decimals).
func newGateway(t *testing.T, chain *devchainProc, o gwOpts) *gateway {
	t.Helper()
	dir := t.TempDir()
	g := &gateway{name: "gw", dir: dir, addr: proctest.FreeAddr(t), chain: chain, seed: t.Name()}
	if o.Dialect == "" {
		o.Dialect = store.SQLite
	}
	switch {
	case o.DSN != "":
		g.db = store.Options{Dialect: o.Dialect, DSN: o.DSN}
	case o.Dialect == store.SQLite:
		g.db = store.Options{Dialect: store.SQLite, DSN: filepath.Join(dir, "epusdt.db")}
	default:
		g.db = storetest.Options(t, o.Dialect)
	}
	rpc := o.RPCURL
	if rpc == "" {
		rpc = chain.RPC
	}
	env := baseEnv(dir, g.addr, g.db)
	for k, v := range chainEnv(t, chain, rpc) {
		env[k] = v
	}
	for k, v := range o.Env {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g.env = append(g.env, "EPUSDT_"+k+"="+env[k])
	}
	return g
}

// baseEnv is every non-chain key the e2e gateways share.
func baseEnv(dir, addr string, db store.Options) map[string]string {
	env := map[string]string{
		"RUNTIME_ROOT_PATH": dir, "HTTP_LISTEN": addr, "APP_URI": "http://" + addr,
		"API_AUTH_TOKEN": apiToken, "ADMIN_JWT_SECRET": "e2e-jwt-secret-2b7c91e04f6a5d38",
		"ADMIN_INIT_USERNAME": adminUser, "ADMIN_INIT_PASSWORD": adminPassword,
		"FORCED_USDT_RATE": "7", "RATE_SOURCES": "",
		"RATE_LIMIT_API": "1000000/1m", "RATE_LIMIT_STATUS": "1000000/1m", "RATE_LIMIT_LOGIN": "1000/1m",
		"ORDER_EXPIRATION_TIME": "30", "EXPIRE_INTERVAL": "200ms", "LATE_PAYMENT_GRACE": "10m",
		"CHAIN_LEASE_TTL": "3s", "CALLBACK_TIMEOUT": "1s", "CALLBACK_LEASE_TTL": "3s",
		"ORDER_NOTICE_MAX_RETRY": "20", "SHUTDOWN_TIMEOUT": "5s", "DB_TYPE": string(db.Dialect),
	}
	if db.Dialect == store.SQLite {
		env["SQLITE_DATABASE_FILENAME"] = db.DSN
	} else {
		env["DB_DSN"] = db.DSN
	}
	return env
}

// chainEnv enables tron, ethereum and bsc on rpc, settling on finalized.
func chainEnv(t *testing.T, chain *devchainProc, rpc string) map[string]string {
	usdt6, err := address.Bytes(address.Ethereum, chain.USDT6)
	if err != nil {
		t.Fatalf("devchain usdt6 %q: %v", chain.USDT6, err)
	}
	env := map[string]string{"POLYGON_ENABLED": "false",
		"TRON_USDT_CONTRACT": address.FromBytes(address.Tron, usdt6), "TRON_USDT_DECIMALS": "6",
		"ETH_USDT_CONTRACT": chain.USDT6, "ETH_USDT_DECIMALS": "6",
		"BSC_USDT_CONTRACT": chain.USDT18, "BSC_USDT_DECIMALS": "18"}
	for _, p := range []string{"TRON_", "ETH_", "BSC_"} {
		env[p+"ENABLED"], env[p+"RPC_URLS"], env[p+"SETTLE"] = "true", rpc, "finalized"
		env[p+"POLL_INTERVAL"], env[p+"RPC_TIMEOUT"], env[p+"START_LOOKBACK"] = "200ms", "3s", "20"
	}
	return env
}

// clone returns a second instance sharing g's database, chain and wallets
// but with its own runtime directory and port (for multi-instance tests).
func (g *gateway) clone(t *testing.T, name string) *gateway {
	t.Helper()
	c := *g
	c.name, c.dir, c.addr, c.proc = name, t.TempDir(), proctest.FreeAddr(t), nil
	c.env = nil
	for _, e := range g.env {
		switch {
		case strings.HasPrefix(e, "EPUSDT_RUNTIME_ROOT_PATH="):
			e = "EPUSDT_RUNTIME_ROOT_PATH=" + c.dir
		case strings.HasPrefix(e, "EPUSDT_HTTP_LISTEN="):
			e = "EPUSDT_HTTP_LISTEN=" + c.addr
		case strings.HasPrefix(e, "EPUSDT_APP_URI="):
			e = "EPUSDT_APP_URI=http://" + c.addr
		}
		c.env = append(c.env, e)
	}
	return &c
}

// base is the gateway's base URL.
func (g *gateway) base() string { return "http://" + g.addr }

// shop is a merchant client of this gateway.
func (g *gateway) shop() *shop {
	return &shop{base: g.base(), token: apiToken, hc: &http.Client{Timeout: 15 * time.Second}}
}

// wallet is the i-th deterministic test wallet of chain (distinct bytes per
// chain, so TRON and Ethereum wallets never share an address on devchain).
func (g *gateway) wallet(chain string, i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("e2e wallet|%s|%s|%d", g.seed, chain, i)))
	var b [20]byte
	copy(b[:], sum[:20])
	return address.FromBytes(chain, b)
}

// cli runs `epusdt args…` with the gateway's configuration.
func (g *gateway) cli(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(bins.epusdt, args...)
	cmd.Dir, cmd.Env = g.dir, proctest.CleanEnv(g.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("epusdt %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// addWallet adds a receiving wallet through the CLI.
func (g *gateway) addWallet(t testing.TB, chain, addr string) {
	t.Helper()
	if out := g.cli(t, "wallet", "add", "--chain", chain, addr); !strings.Contains(out, "added") {
		t.Fatalf("wallet add printed %q", out)
	}
}

// disableWallet disables a wallet through the CLI.
func (g *gateway) disableWallet(t testing.TB, chain, addr string) {
	t.Helper()
	g.cli(t, "wallet", "disable", "--chain", chain, addr)
}

// start runs `epusdt http start` and waits until /healthz answers.
func (g *gateway) start(t testing.TB) {
	t.Helper()
	g.proc = proctest.Start(t, bins.epusdt, g.dir, g.env, "http", "start")
	g.proc.WaitHTTP(t, g.base()+"/healthz", 60*time.Second)
}

// kill sends SIGKILL and waits for the process to be gone.
func (g *gateway) kill(t testing.TB) {
	t.Helper()
	g.proc.Kill(t)
}

// stop sends SIGTERM and requires a clean exit.
func (g *gateway) stop(t testing.TB) {
	t.Helper()
	if err := g.proc.Stop(t); err != nil {
		t.Errorf("%s stopped with %v; output:\n%s", g.name, err, tail(g.proc.Output(), 4000))
	}
}

// alive reports whether the process is still running.
func (g *gateway) alive() bool {
	select {
	case <-g.proc.Exited():
		return false
	default:
		return true
	}
}

// openStore opens the gateway's database for assertions.
func (g *gateway) openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), g.db)
	if err != nil {
		t.Fatalf("open the gateway's database: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor polls cond every 100 ms until it holds or within passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
