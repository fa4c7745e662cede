package api

import (
	"fmt"
	"sync"
	"testing"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// TestConcurrentCreatesSameAmount sends 200 creates for the same amount at
// once against one wallet with 150 amount slots: exactly 150 succeed, all
// with distinct amounts, the other 50 get 10005, and nothing fails with a
// server error. On every configured database.
func TestConcurrentCreatesSameAmount(t *testing.T) {
	t.Parallel()
	const requests, slots = 200, 150
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, serverOpts{tweak: func(c *config.Config) { c.Orders.AmountMaxTries = slots }})
		s.addWallet(t, "tron", 1)
		results := make([]envelope, requests)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < requests; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = s.signed(t, "/api/v1/order/create-transaction", createParams(fmt.Sprint("c-", i), 100))
			}()
		}
		close(start)
		wg.Wait()
		amounts := map[string]bool{}
		var ok, noSlot int
		for i, e := range results {
			switch {
			case e.HTTP != 200:
				t.Fatalf("request %d: HTTP %d %d %s", i, e.HTTP, e.StatusCode, e.Message)
			case e.StatusCode == 200:
				ok++
				a := decode[created](t, e).ActualAmount.String()
				if amounts[a] {
					t.Fatalf("amount %s handed out twice", a)
				}
				amounts[a] = true
			case e.StatusCode == codeNoSlot:
				noSlot++
			default:
				t.Fatalf("request %d: code %d %s", i, e.StatusCode, e.Message)
			}
		}
		if ok != slots || noSlot != requests-slots {
			t.Fatalf("%d succeeded, %d got 10005; want %d and %d", ok, noSlot, slots, requests-slots)
		}
		// 100 CNY at 7.2 = 13.89 USDT; the slots are 13.89 … 15.38.
		if !amounts["13.89"] || !amounts["15.38"] || amounts["15.39"] {
			t.Fatalf("amount range wrong: %v", amounts)
		}
	})
}
