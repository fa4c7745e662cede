package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestLeaseTakeRenewExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, t0, ttl := context.Background(), time.UnixMilli(1_700_000_000_000), 15*time.Second
		mustLease := func(holder string, at time.Time, want bool) {
			t.Helper()
			got, err := s.AcquireLease(ctx, "scan:tron", holder, at, ttl)
			if err != nil || got != want {
				t.Fatalf("%s at +%s: got %v (%v), want %v", holder, at.Sub(t0), got, err, want)
			}
		}
		mustLease("a", t0, true)
		mustLease("b", t0.Add(time.Second), false)
		mustLease("a", t0.Add(10*time.Second), true) // renewal: now valid until +25 s
		mustLease("a", t0.Add(10*time.Second), true) // same-millisecond renewal is still held
		mustLease("b", t0.Add(20*time.Second), false)
		mustLease("b", t0.Add(25*time.Second), true) // expired: taken over
		mustLease("a", t0.Add(26*time.Second), false)
		if h, exp, err := s.LeaseHolder(ctx, "scan:tron"); err != nil || h != "b" || !exp.Equal(t0.Add(40*time.Second)) {
			t.Fatalf("holder %s until %v (%v)", h, exp, err)
		}
		// A release lets the other instance in at once; releasing someone else's lease does nothing.
		if err := s.ReleaseLease(ctx, "scan:tron", "a"); err != nil {
			t.Fatal(err)
		}
		mustLease("a", t0.Add(27*time.Second), false)
		if err := s.ReleaseLease(ctx, "scan:tron", "b"); err != nil {
			t.Fatal(err)
		}
		mustLease("a", t0.Add(27*time.Second), true)
		if ok, err := s.AcquireLease(ctx, "scan:bsc", "b", t0, ttl); err != nil || !ok {
			t.Fatalf("another lease name is not independent: %v %v", ok, err)
		}
	})
}

// Many instances racing for one expired lease: exactly one wins.
func TestLeaseRaceHasOneWinner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, now := context.Background(), time.UnixMilli(1_700_000_000_000)
		for round, name := range []string{"fresh", "expired"} {
			if name == "expired" {
				if _, err := s.AcquireLease(ctx, "scan:"+name, "old", now.Add(-time.Minute), time.Second); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			winners := 0
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.AcquireLease(ctx, "scan:"+name, fmt.Sprintf("i%d", i), now, 15*time.Second)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						winners++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if winners != 1 {
				t.Fatalf("round %d (%s): %d winners", round, name, winners)
			}
		}
	})
}
