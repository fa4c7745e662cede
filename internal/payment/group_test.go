package payment

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// TestGroupIsolatesJobs runs many jobs through one group at once: the good
// ones commit, a failing one (a database error) and a panicking one do not
// take the others down, and every caller gets its own answer.
func TestGroupIsolatesJobs(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	g := &group{st: st}
	ctx := context.Background()
	const n = 60
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = g.do(ctx, func(tx *store.Tx) error {
				if i == 11 { // a rule failure: nothing written
					return ErrNoSlot
				}
				_, err := tx.ClaimSlot(ctx, store.Slot{Chain: "tron", TokenContract: "c", Wallet: "w",
					AmountUnits: fmt.Sprint(i), TradeID: fmt.Sprint("t", i), HeldUntil: store.FromMS(1 << 50)}, store.FromMS(0))
				switch {
				case err != nil:
					return err
				case i == 7: // a database-level failure after writing: its write must not commit
					return errors.New("db boom")
				case i == 9:
					panic("bug")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		switch i {
		case 7, 9:
			if err == nil {
				t.Errorf("job %d: no error", i)
			}
		case 11:
			if !errors.Is(err, ErrNoSlot) {
				t.Errorf("job 11: %v", err)
			}
		default:
			if err != nil {
				t.Errorf("job %d: %v", i, err)
			}
		}
	}
	var rows int
	if err := st.DB().QueryRow("SELECT COUNT(*) FROM amount_slots").Scan(&rows); err != nil || rows != n-3 {
		t.Fatalf("%d slot rows committed, want %d (%v)", rows, n-3, err)
	}
}
