package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/epusdt/epusdt/internal/proctest"
)

// TestLoadgenAgainstGateway runs cmd/loadgen's three measurements against
// a real gateway and devchain, so the figure script's tool keeps working.
// It checks what the tool reports, never how fast anything was.
func TestLoadgenAgainstGateway(t *testing.T) {
	t.Parallel()
	bin, err := proctest.Build(t.TempDir(), "github.com/epusdt/epusdt/cmd/loadgen")
	if err != nil {
		t.Fatal(err)
	}
	chain := startChain(t, chainOpts{})
	g := newGateway(t, chain, gwOpts{})
	for i := range 3 {
		g.addWallet(t, "ethereum", g.wallet("ethereum", i))
	}
	g.start(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("loadgen %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("loadgen %s:\n%s", args[0], out)
		return string(out)
	}
	out := run("create", "-url", g.base(), "-token", apiToken, "-trade-type", "usdt.erc20", "-c", "4", "-n", "40")
	if !regexp.MustCompile(`created 40 orders \(0 failed\) .* orders/s; latency p50 .* p99 .*\(40 samples\)`).MatchString(out) {
		t.Errorf("create summary: %q", out)
	}
	out = run("settle", "-url", g.base(), "-token", apiToken, "-rpc", chain.RPC, "-trade-type", "usdt.erc20",
		"-token-name", "usdt6", "-n", "4", "-batch", "2")
	if !regexp.MustCompile(`detection latency after settlement: p50 .*\(4 samples\)\ncallback received after settlement: p50 .*\(4 samples\)`).MatchString(out) {
		t.Errorf("settle summary: %q", out)
	}
	out = run("rpc-cost", "-url", g.base(), "-rpc", chain.RPC, "-chain", "ethereum", "-blocks", "30", "-finality-lag", "2")
	if !regexp.MustCompile(`ethereum: \d+ RPC calls for 30 blocks`).MatchString(out) {
		t.Errorf("rpc-cost summary: %q", out)
	}
}
