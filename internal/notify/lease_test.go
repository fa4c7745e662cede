package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// TestLeaseTakeoverAfterDeadWorker: a worker claims a job and dies; nobody
// touches the job while the lease lives, another worker delivers it after,
// and the dead worker's late report cannot overwrite the result.
func TestLeaseTakeoverAfterDeadWorker(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newMerchant(t, nil)
		insertOrder(t, s, "T600", m.URL, "8", "1.11", clk.Now())
		job := enqueue(t, s, "T600", store.CallbackKindPaid, 10, clk.Now())
		claimed, err := s.ClaimCallbackJobs(ctx, store.CallbackClaim{Want: map[int]int{job.Priority: 5},
			Holder: "dead/1", Now: clk.Now(), LeaseUntil: clk.Now().Add(time.Minute)})
		if err != nil || len(claimed) != 1 || claimed[0].LeaseHolder != "dead/1" {
			t.Fatalf("dead worker's claim: %+v %v", claimed, err)
		}
		w := newTestWorker(t, s, &workerSetup{clock: clk})
		clk.Add(59 * time.Second)
		if n := w.runOnce(ctx); n != 0 {
			t.Fatal("job taken while its lease was alive")
		}
		clk.Add(time.Second)
		if n := w.runOnce(ctx); n != 1 {
			t.Fatal("job not taken over after its lease expired")
		}
		if j := getJob(t, s, job.ID); j.Status != store.CallbackDelivered || j.Attempts != 1 {
			t.Fatalf("after takeover: %+v", j)
		}
		late := store.CallbackAttempt{Holder: "dead/1", Status: store.CallbackFailed, NextAttemptAt: clk.Now(),
			Delivery: store.CallbackDelivery{JobID: job.ID, EventID: job.EventID, TradeID: "T600", Attempt: 1,
				Error: "late", CreatedAt: clk.Now()}}
		if err := s.RecordCallbackAttempt(ctx, late); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("late report of the dead worker: %v", err)
		}
		if j := getJob(t, s, job.ID); j.Status != store.CallbackDelivered {
			t.Fatalf("late report overwrote the job: %+v", j)
		}
		if got := m.received(); len(got) != 1 || got[0].EventID != job.EventID {
			t.Fatalf("merchant got %+v", got)
		}
	})
}

// TestClaimByPriority: slots go to the priorities asked for, oldest due
// first, and slots a priority cannot fill go to any due job.
func TestClaimByPriority(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		var low, high []int64
		for i := range 4 {
			j := enqueue(t, s, fmt.Sprintf("L%d", i), store.CallbackKindExpired, 10, clk.Now().Add(time.Duration(i)*time.Second))
			low = append(low, j.ID)
			j = enqueue(t, s, fmt.Sprintf("H%d", i), store.CallbackKindPaid, 10, clk.Now().Add(time.Duration(i)*time.Second))
			high = append(high, j.ID)
		}
		clk.Add(time.Minute)
		claim := func(holder string, want map[int]int) []int64 {
			jobs, err := s.ClaimCallbackJobs(ctx, store.CallbackClaim{Want: want, Holder: holder, Now: clk.Now(), LeaseUntil: clk.Now().Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			return ids
		}
		cfg := config.Default()
		got := claim("a", map[int]int{cfg.QueueLevelCritical: 2, cfg.QueueLevelLow: 1})
		if !slices.Equal(got, []int64{low[0], high[0], high[1]}) {
			t.Fatalf("claimed %v, want %v", got, []int64{low[0], high[0], high[1]})
		}
		// Only 2 high left: the third slot falls back to the oldest low.
		got = claim("b", map[int]int{cfg.QueueLevelCritical: 3})
		if !slices.Equal(got, []int64{low[1], high[2], high[3]}) {
			t.Fatalf("claimed %v, want %v", got, []int64{low[1], high[2], high[3]})
		}
		if got = claim("c", map[int]int{cfg.QueueLevelCritical: 5}); len(got) != 2 {
			t.Fatalf("claimed %v, want the 2 unleased low jobs", got)
		}
		if got = claim("d", map[int]int{99: 5}); len(got) != 0 {
			t.Fatalf("leased jobs claimed again: %v", got)
		}
	})
}

// TestTwoWorkersNeverDoubleDeliver runs two Worker loops (as two instances
// would) over one queue and checks every event reached the merchant exactly
// once, never concurrently.
func TestTwoWorkersNeverDoubleDeliver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const jobs = 60
		var mu sync.Mutex
		inFlight, overlaps := map[string]int{}, 0
		m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(HeaderEventID)
			mu.Lock()
			if inFlight[id]++; inFlight[id] > 1 {
				overlaps++
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			inFlight[id]--
			mu.Unlock()
			w.Write([]byte("ok"))
		})
		now := time.Now()
		for i := range jobs {
			id := fmt.Sprintf("T7%03d", i)
			insertOrder(t, s, id, m.URL, "8", "1.11", now)
			enqueue(t, s, id, store.CallbackKindPaid, 10, now)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := range 2 {
			w := newTestWorker(t, s, &workerSetup{})
			w.o.Instance = fmt.Sprintf("inst%d", i)
			wg.Add(1)
			go func() { defer wg.Done(); _ = w.Run(ctx) }()
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(m.received()) < jobs && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // room for a duplicate to show up
		cancel()
		wg.Wait()
		seen := map[string]int{}
		for _, r := range m.received() {
			seen[r.EventID]++
		}
		if len(seen) != jobs || len(m.received()) != jobs || overlaps != 0 {
			t.Fatalf("%d callbacks for %d events (want %d each once), %d concurrent duplicates", len(m.received()), len(seen), jobs, overlaps)
		}
		pending, err := ListJobs(context.Background(), s, store.CallbackJobFilter{Status: store.CallbackPending})
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending after run: %d %v", len(pending), err)
		}
	})
}

// TestRunWakesAndStops checks the Run loop: an idle worker picks up a new
// job quickly after Wake, and returns nil when its context ends.
func TestRunWakesAndStops(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := newMerchant(t, nil)
		ws := &workerSetup{}
		w := newTestWorker(t, s, ws)
		w.o.PollInterval = time.Hour // only Wake can start the attempt
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		time.Sleep(50 * time.Millisecond) // let Run go idle
		insertOrder(t, s, "T800", m.URL, "8", "1.11", time.Now())
		enqueue(t, s, "T800", store.CallbackKindPaid, 10, time.Now())
		w.Wake()
		deadline := time.Now().Add(10 * time.Second)
		for len(m.received()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run returned %v", err)
		}
		if len(m.received()) != 1 {
			t.Fatal("woken worker did not deliver")
		}
	})
}
