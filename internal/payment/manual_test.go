package payment

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestPayWithTransfer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("man-1", "100"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.svc.CreateOrder(ctx, req("man-2", "50"))
		if err != nil {
			t.Fatal(err)
		}
		// Long after the grace: only an operator can still pay it.
		e.clock.Add(time.Hour)
		tr := transferFor(o, "0xmanual", o.ExpiresAt.Add(30*time.Minute))
		tr.State = store.TransferSettled
		wrong := tr
		wrong.AmountUnits = big.NewInt(1)
		var ve *ValidationError
		if err := e.svc.PayWithTransfer(ctx, o.TradeID, wrong); !errors.As(err, &ve) {
			t.Fatalf("wrong amount: %v", err)
		}
		unsettled := tr
		unsettled.State = store.TransferDetected
		if err := e.svc.PayWithTransfer(ctx, o.TradeID, unsettled); !errors.As(err, &ve) {
			t.Fatalf("unsettled: %v", err)
		}
		if err := e.svc.PayWithTransfer(ctx, o.TradeID, tr); err != nil {
			t.Fatal(err)
		}
		p := getOrder(t, st, o.TradeID)
		if p.Status != store.OrderPaid || !p.Late || p.BlockTransactionID != "0xmanual" {
			t.Fatalf("order: %+v", p)
		}
		stored, err := st.TransferByLog(ctx, "tron", "0xmanual", 0)
		if err != nil || stored.MatchStatus != store.MatchLate || stored.TradeID != o.TradeID {
			t.Fatalf("stored transfer: %+v %v", stored, err)
		}
		if jobs := callbackJobs(t, st); len(jobs) != 1 || jobs[0].TradeID != o.TradeID {
			t.Fatalf("jobs: %+v", jobs)
		}
		if err := e.svc.PayWithTransfer(ctx, o.TradeID, tr); !errors.Is(err, ErrAlreadyPaid) {
			t.Fatalf("twice: %v", err)
		}
		// The same transfer cannot pay another order (even one it would fit).
		reuse := tr
		reuse.To, reuse.AmountUnits = other.Token, units(other.AmountUnits)
		reuse.LogIndex = 0
		if err := e.svc.PayWithTransfer(ctx, other.TradeID, reuse); !errors.Is(err, ErrAlreadyPaid) {
			t.Fatalf("reused transfer: %v", err)
		}
		if err := e.svc.PayWithTransfer(ctx, "nope", tr); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	})
}
