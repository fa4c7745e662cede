package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/epusdt/epusdt/internal/devchain"
)

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--block-time", "fast"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || out.Len() != 0 {
			t.Errorf("run(%q) = %d, stdout %q; want 2 and nothing", args, code, out.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--listen", "256.0.0.1:1"}, &out, &errOut); code != 1 || out.Len() != 0 {
		t.Errorf("unusable --listen: exit %d, stdout %q", code, out.String())
	}
}

func TestBinaryPrintsInfoServesAndStopsOnSIGTERM(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "devchain")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--block-time", "200ms", "--finality-lag", "2", "--chain-id", "31337")
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill() // only our own child, by its pid
			<-exited
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	line, _, found := strings.Cut(stdout.String(), "\n")
	if !found {
		t.Fatalf("no JSON line within 30s; stderr:\n%s", stderr.String())
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first stdout line %q is not JSON: %v", line, err)
	}
	rpcURL, _ := info["rpc_url"].(string)
	if !strings.HasPrefix(rpcURL, "http://127.0.0.1:") || info["chain_id"] != float64(31337) ||
		info["usdt6"] != devchain.USDT6Address || info["usdt18"] != devchain.USDT18Address {
		t.Fatalf("info line = %s", line)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := ethclient.DialContext(ctx, rpcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if id, err := client.ChainID(ctx); err != nil || id.Uint64() != 31337 {
		t.Errorf("eth_chainId = %v, %v", id, err)
	}
	first, _ := client.BlockNumber(ctx)
	deadline = time.Now().Add(10 * time.Second)
	for n, _ := client.BlockNumber(ctx); n < first+2 && time.Now().Before(deadline); n, _ = client.BlockNumber(ctx) {
		time.Sleep(50 * time.Millisecond)
	}
	if n, _ := client.BlockNumber(ctx); n < first+2 {
		t.Errorf("head did not advance with --block-time 200ms: %d → %d", first, n)
	}

	resp, err := http.Get(rpcURL + "/control/info")
	if err != nil {
		t.Fatal(err)
	}
	var served map[string]any
	err = json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if err != nil || !reflect.DeepEqual(served, info) {
		t.Errorf("/control/info = %v, %v; want the startup line %v", served, err, info)
	}
	resp, err = http.Post(rpcURL+"/control/transfer", "application/json",
		strings.NewReader(`{"token":"usdt18","to":"0x00000000000000000000000000000000000000bb","amount":"7.91"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"tx_hash":"0x`) {
		t.Errorf("control transfer = %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM; stderr:\n%s", stderr.String())
	}
	if all := stdout.String(); all != line+"\n" {
		t.Errorf("stdout is not exactly one line: %q", all)
	}
	if !strings.Contains(stderr.String(), "devchain started") {
		t.Errorf("stderr lacks the start log:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the child's output copier and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
