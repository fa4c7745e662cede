package chain

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/devchain"
	"github.com/epusdt/epusdt/internal/devchain/faultproxy"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// BenchmarkRPCCallsPer1000Blocks counts the JSON-RPC calls (at a counting
// proxy) the watcher makes to cover 1,000 blocks with 1, 100 and 10,000
// watched wallets (default limits: range 1,000 blocks, 1,000 addresses per
// call; 20 payments among the blocks):
//
//	catchup: one pass over 1,000 settled blocks behind the cursor;
//	steady:  one pass per new block, 100 blocks, scaled to 1,000.
//
// Run: go test -run '^$' -bench RPCCalls -benchtime 1x ./internal/chain/
func BenchmarkRPCCallsPer1000Blocks(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("wallets=%d", n), func(b *testing.B) {
			dc := startChain(b, 3)
			p := faultproxy.New(dc.RPCURL())
			if err := p.Start("127.0.0.1:0"); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = p.Close() })
			st := storetest.Open(b, store.SQLite)
			addWallets(b, st, n)
			for i := 0; i < 20; i++ {
				pay(b, dc, "usdt6", walletAddr(i%n), "1.23")
				mine(b, dc, 49)
			}
			mine(b, dc, 5)
			w := newWatcher(b, st, watcherSetup{cfg: benchConfig(p.URL(), dc), sink: &recSink{}})
			var catchup, steady float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				setCursor(b, st, dc.Finalized()-1000)
				p.ResetCounts()
				mustRun(b, w)
				catchup += float64(total(p.Calls()))
				p.ResetCounts()
				for k := 0; k < 100; k++ {
					mine(b, dc, 1)
					mustRun(b, w)
				}
				steady += float64(total(p.Calls())) * 10
			}
			b.ReportMetric(catchup/float64(b.N), "calls/1000blocks-catchup")
			b.ReportMetric(steady/float64(b.N), "calls/1000blocks-steady")
			b.ReportMetric(steady/float64(b.N)/1000, "calls/pass-steady")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkDetectionLatency measures, with the real Run loop polling every
// 100 ms against a devchain with finality lag 3, the time from the block
// that finalizes a payment to the payment reaching the Sink.
func BenchmarkDetectionLatency(b *testing.B) {
	dc := startChain(b, 3)
	st := storetest.Open(b, store.SQLite)
	sink := &recSink{}
	cfg := benchConfig(dc.RPCURL(), dc)
	cfg.PollInterval = 100 * time.Millisecond
	w := newWatcher(b, st, watcherSetup{cfg: cfg, sink: sink})
	addWallets(b, st, 1)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { stop(); <-done }()
	var sum time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pay(b, dc, "usdt6", walletAddr(0), "2.5")
		mine(b, dc, 3)
		at := time.Now()
		for len(sink.all()) < i+1 {
			if time.Since(at) > 30*time.Second {
				b.Fatal("payment never settled")
			}
			time.Sleep(time.Millisecond)
		}
		sum += time.Since(at)
	}
	b.ReportMetric(float64(sum.Milliseconds())/float64(b.N), "ms-after-settle")
	b.ReportMetric(float64(sum)/float64(b.N)/float64(cfg.PollInterval), "poll-intervals")
	b.ReportMetric(0, "ns/op")
}

func benchConfig(url string, dc *devchain.Chain) configChain {
	cfg := chainConfig(url, dc.Token("usdt6"), 6)
	cfg.MaxBlockRange, cfg.AddressChunk = 1000, 1000
	return cfg
}

func addWallets(b testing.TB, st *store.Store, n int) {
	b.Helper()
	err := st.InTx(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.AddWallet(context.Background(), address.Ethereum,
				address.FromBytes(address.Ethereum, [20]byte(walletAddr(i))), "", time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// setCursor moves the scan cursor anywhere (the store only moves it forward).
func setCursor(b testing.TB, st *store.Store, block uint64) {
	b.Helper()
	if _, err := st.InitScanCursor(context.Background(), address.Ethereum, block, time.Now()); err != nil {
		b.Fatal(err)
	}
	if _, err := st.DB().Exec("UPDATE scan_cursors SET block_number = ? WHERE chain = ?", int64(block), address.Ethereum); err != nil {
		b.Fatal(err)
	}
}

func total(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}
