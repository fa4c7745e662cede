package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/proctest"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "epusdt-bin")
	if err != nil {
		panic(err)
	}
	binPath, err = proctest.Build(dir, "github.com/epusdt/epusdt/cmd/epusdt")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Dir, cmd.Env = dir, proctest.CleanEnv(env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// gateway is a running `epusdt http start`.
type gateway struct {
	*proctest.Proc
	addr string
}

func startGateway(t *testing.T, dir string, env ...string) *gateway {
	t.Helper()
	addr := proctest.FreeAddr(t)
	// Tests never reach the internet: rate providers and the default TRON
	// RPC point at a closed local port.
	offline := []string{"EPUSDT_HTTP_LISTEN=" + addr, "EPUSDT_RATE_OKX_URL=http://127.0.0.1:9/okx",
		"EPUSDT_RATE_COINGECKO_URL=http://127.0.0.1:9/cg", "EPUSDT_TRON_RPC_URLS=http://127.0.0.1:9/jsonrpc"}
	p := proctest.Start(t, binPath, dir, append(offline, env...), "http", "start")
	return &gateway{Proc: p, addr: addr}
}

func (g *gateway) waitHealthy(t *testing.T, within time.Duration) {
	t.Helper()
	g.WaitHTTP(t, "http://"+g.addr+"/healthz", within)
}

var tokenLine = regexp.MustCompile(`generated api_auth_token .*: ([0-9a-f]{64})`)

func TestEmbeddedDefaultStartsAndKeepsToken(t *testing.T) {
	dir := t.TempDir()
	p := startGateway(t, dir)
	p.waitHealthy(t, 2*time.Second)
	if err := p.Stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Output())
	}
	m := tokenLine.FindStringSubmatch(p.Output())
	if m == nil {
		t.Fatalf("no generated token printed:\n%s", p.Output())
	}
	st, err := os.Stat(filepath.Join(dir, "runtime", "api_auth_token"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, "runtime", "api_auth_token"))
	if strings.TrimSpace(string(stored)) != m[1] {
		t.Fatal("printed token differs from stored token")
	}
	if _, err := os.Stat(filepath.Join(dir, "runtime", "epusdt.db")); err != nil {
		t.Fatalf("no sqlite database: %v", err)
	}
	// Second start: same token, not printed again.
	p2 := startGateway(t, dir)
	p2.waitHealthy(t, 2*time.Second)
	if err := p2.Stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p2.Output(), "generated api_auth_token") {
		t.Fatalf("token generated again on restart:\n%s", p2.Output())
	}
	again, _ := os.ReadFile(filepath.Join(dir, "runtime", "api_auth_token"))
	if string(again) != string(stored) {
		t.Fatal("token changed across restart")
	}
	logs, _ := os.ReadFile(filepath.Join(dir, "runtime", "logs", "epusdt.log"))
	if strings.Contains(string(logs), m[1]) {
		t.Fatal("token appears in the log file")
	}
}

func TestReadyOnEveryDatabase(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			opts := storetest.Options(t, d)
			env := []string{"EPUSDT_DB_TYPE=" + string(d)}
			if d == store.SQLite {
				env = append(env, "EPUSDT_SQLITE_DATABASE_FILENAME="+opts.DSN)
			} else {
				env = append(env, "EPUSDT_DB_DSN="+opts.DSN)
			}
			dir := t.TempDir()
			out, code := run(t, dir, env, "migrate")
			if code != 0 || !strings.Contains(out, "applied migrations") {
				t.Fatalf("first migrate (%d): %s", code, out)
			}
			out, code = run(t, dir, env, "migrate")
			if code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("second migrate should be a no-op (%d): %s", code, out)
			}
			p := startGateway(t, dir, env...)
			p.waitHealthy(t, 5*time.Second)
			resp, err := http.Get("http://" + p.addr + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"ready"`) {
				t.Fatalf("readyz %d %s", resp.StatusCode, b)
			}
			if err := p.Stop(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadConfigIsOneClearLine(t *testing.T) {
	cases := map[string][]string{
		"http_listen":  {"EPUSDT_HTTP_LISTEN=abc"},
		"db_type":      {"EPUSDT_DB_TYPE=oracle"},
		"mysql_port":   {"EPUSDT_DB_TYPE=mysql", "EPUSDT_MYSQL_PORT=notanumber"},
		"log_max_size": {"EPUSDT_LOG_MAX_SIZE=-5"},
		"tron_settle":  {"EPUSDT_TRON_SETTLE=soon"},
	}
	for key, env := range cases {
		out, code := run(t, t.TempDir(), env, "config", "check")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code == 0 || len(lines) != 1 || !strings.Contains(out, key) || strings.Contains(out, "goroutine") {
			t.Errorf("%s: exit %d, output %q", key, code, out)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("app_name=shop\nunknown_key=1\nhttp_listen=127.0.0.1:9999\napi_auth_token=supersecret-token\n"), 0o600)
	out, code := run(t, dir, nil, "config", "check")
	if code != 0 || !strings.Contains(out, "unknown config key \"unknown_key\"") || !strings.Contains(out, "http_listen=127.0.0.1:9999") {
		t.Fatalf("unknown key should warn only (%d): %s", code, out)
	}
	if strings.Contains(out, "supersecret-token") || !strings.Contains(out, "api_auth_token=su****en") {
		t.Fatalf("secret not masked: %s", out)
	}
	out, code = run(t, dir, []string{"EPUSDT_HTTP_LISTEN=127.0.0.1:7777"}, "config", "check")
	if code != 0 || !strings.Contains(out, "http_listen=127.0.0.1:7777") {
		t.Fatalf("env should override .env: %s", out)
	}
}

func TestWalletCommands(t *testing.T) {
	dir := t.TempDir()
	ok := func(args ...string) string {
		out, code := run(t, dir, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, out)
		}
		return out
	}
	fail := func(want string, args ...string) {
		out, code := run(t, dir, nil, args...)
		if code != 1 || !strings.Contains(out, want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%v: exit %d, output %q, want one line with %q", args, code, out, want)
		}
	}
	ok("wallet", "add", "--chain", "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "--label", "main")
	ok("wallet", "add", "--chain", "bsc", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
	ok("wallet", "add", "--chain", "polygon", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	fail("already on tron", "wallet", "add", "--chain", "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	fail("checksum", "wallet", "add", "--chain", "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T")
	fail("EIP-55", "wallet", "add", "--chain", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
	fail("TRON address", "wallet", "add", "--chain", "ethereum", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	fail("zero address", "wallet", "add", "--chain", "bsc", "0x0000000000000000000000000000000000000000")
	fail("--chain \"doge\"", "wallet", "add", "--chain", "doge", "x")
	fail("say which with --chain", "wallet", "disable", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
	ok("wallet", "disable", "--chain", "bsc", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
	ok("wallet", "remove", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	fail("no wallet", "wallet", "enable", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	out := ok("wallet", "list", "--all")
	for _, want := range []string{"removed", "disabled", "enabled", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "main"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if out := ok("wallet", "list"); strings.Contains(out, "TR7NHq") {
		t.Errorf("removed wallet listed without --all:\n%s", out)
	}
}

// TestSIGTERMFinishesInFlight sends a request whose body arrives slowly,
// signals SIGTERM while the handler is still reading it, then completes
// the body: the response must arrive whole and the process exit 0.
func TestSIGTERMFinishesInFlight(t *testing.T) {
	dir := t.TempDir()
	p := startGateway(t, dir)
	p.waitHealthy(t, 2*time.Second)
	body := `{"order_id":"sigterm-1","amount":10,"notify_url":"http://127.0.0.1:1/n","signature":"x"}`
	conn, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/order/create-transaction HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	conn.Write([]byte(body[:10]))
	time.Sleep(300 * time.Millisecond)
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(500 * time.Millisecond)
	conn.Write([]byte(body[10:]))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status_code":401`) {
		t.Fatalf("unexpected response %d %s", resp.StatusCode, b)
	}
	select {
	case <-p.Exited():
		if err := p.Err(); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Output())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit")
	}
}

func TestREADMEDocumentsEveryKey(t *testing.T) {
	out, code := run(t, t.TempDir(), nil, "config", "keys")
	if code != 0 {
		t.Fatal(out)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(string(readme), line) {
			t.Errorf("README lacks the row %q: regenerate it with `epusdt config keys`", line)
		}
	}
}
