package ops

import (
	"context"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func mustExec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), s.Dialect().Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func addJob(t *testing.T, s *store.Store, event, status string, next time.Time) {
	mustExec(t, s, `INSERT INTO callback_jobs (event_id, trade_id, kind, priority, status, attempts, max_attempts,
 next_attempt_at, last_error, created_at, updated_at) VALUES (?, 'T1', 'paid', 6, ?, 0, 10, ?, '', ?, ?)`,
		event, status, store.MS(next), store.MS(next), store.MS(next))
}

func addSlot(t *testing.T, s *store.Store, chain, units string, until time.Time) {
	mustExec(t, s, `INSERT INTO amount_slots (chain, token_contract, wallet, amount_units, trade_id, held_until, created_at)
 VALUES (?, 'C', 'W', ?, 'T', ?, ?)`, chain, units, store.MS(until), store.MS(until))
}

func TestCollector(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		m := metrics.New()
		c := NewCollector(CollectorOptions{Store: s, Metrics: m, Chains: []string{"tron", "bsc", "polygon"},
			Now: func() time.Time { return now }})
		ctx := context.Background()

		c.runOnce(ctx)
		if got := read(t, m.CallbackQueue); got != 0 {
			t.Errorf("empty queue depth = %v", got)
		}
		if got := read(t, m.SlotsHeld.WithLabelValues("polygon")); got != 0 {
			t.Errorf("polygon slots = %v", got)
		}

		addJob(t, s, "e1", store.CallbackPending, now.Add(-90*time.Second)) // due for 90 s
		addJob(t, s, "e2", store.CallbackPending, now.Add(-10*time.Second))
		addJob(t, s, "e3", store.CallbackPending, now.Add(time.Hour)) // retry later: pending, not due
		addJob(t, s, "e4", store.CallbackDelivered, now.Add(-time.Hour))
		addJob(t, s, "e5", store.CallbackFailed, now.Add(-2*time.Hour))
		addSlot(t, s, "tron", "1000000", now.Add(time.Minute))
		addSlot(t, s, "tron", "1010000", now) // held until exactly now: still held
		addSlot(t, s, "tron", "1020000", now.Add(-time.Second))
		addSlot(t, s, "bsc", "5", now.Add(time.Hour))

		c.runOnce(ctx)
		want := map[string]float64{"queue": 3, "age": 90, "tron": 2, "bsc": 1, "polygon": 0, "db": 1}
		got := map[string]float64{
			"queue":   read(t, m.CallbackQueue),
			"age":     read(t, m.CallbackOldestAge),
			"tron":    read(t, m.SlotsHeld.WithLabelValues("tron")),
			"bsc":     read(t, m.SlotsHeld.WithLabelValues("bsc")),
			"polygon": read(t, m.SlotsHeld.WithLabelValues("polygon")),
			"db":      read(t, m.DBUp),
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s = %v, want %v", k, got[k], w)
			}
		}

		// Only future retries left: depth counts them, nothing is overdue.
		mustExec(t, s, "DELETE FROM callback_jobs WHERE event_id IN ('e1', 'e2')")
		mustExec(t, s, "DELETE FROM amount_slots WHERE chain = 'bsc'")
		c.runOnce(ctx)
		if got := read(t, m.CallbackQueue); got != 1 {
			t.Errorf("queue after deliveries = %v, want 1", got)
		}
		if got := read(t, m.CallbackOldestAge); got != 0 {
			t.Errorf("oldest due age with nothing due = %v, want 0", got)
		}
		if got := read(t, m.SlotsHeld.WithLabelValues("bsc")); got != 0 {
			t.Errorf("bsc slots after release = %v, want 0", got)
		}
	})
}

func TestCollectorDatabaseDown(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	m := metrics.New()
	c := NewCollector(CollectorOptions{Store: s, Metrics: m})
	addJob(t, s, "e1", store.CallbackPending, time.Now().Add(-time.Minute))
	c.runOnce(context.Background())
	if read(t, m.DBUp) != 1 || read(t, m.CallbackQueue) != 1 {
		t.Fatalf("first run: db_up %v queue %v", read(t, m.DBUp), read(t, m.CallbackQueue))
	}
	s.Close()
	c.runOnce(context.Background())
	if got := read(t, m.DBUp); got != 0 {
		t.Errorf("db_up after the database closed = %v, want 0", got)
	}
	if got := read(t, m.CallbackQueue); got != 1 {
		t.Errorf("queue depth must keep its last value, got %v", got)
	}
}

func TestCollectorRunStops(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	m := metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- NewCollector(CollectorOptions{Store: s, Metrics: m, Interval: 10 * time.Millisecond}).Run(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for read(t, m.DBUp) != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("collector did not stop")
	}
	if read(t, m.DBUp) != 1 {
		t.Fatal("collector never ran")
	}
}
