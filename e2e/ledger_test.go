package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

// dbTransfer is one row of the transfers table.
type dbTransfer struct {
	chain, tx, to, units, state, match, tradeID, note string
	logIndex                                          int
}

// dbOrder is one row of the orders table.
type dbOrder struct {
	tradeID, orderID, chain, wallet, units, tx string
	status, late                               int
	created, paid                              int64 // unix ms; paid = when it was marked paid (0 unless status 2)
}

// dbJob is one row of callback_jobs.
type dbJob struct{ tradeID, kind, status string }

// ledger is what the gateway's database holds after a scenario.
type ledger struct {
	transfers []dbTransfer
	orders    map[string]dbOrder
	jobs      []dbJob
}

// readLedger reads transfers, orders and callback jobs (plain SELECTs
// without parameters, valid in every dialect).
func readLedger(t testing.TB, s *store.Store) ledger {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := ledger{orders: map[string]dbOrder{}}
	db := s.DB()
	rows, err := db.QueryContext(ctx, `SELECT chain, tx_hash, log_index, to_address, amount_units, state,
		match_status, COALESCE(trade_id, ''), note FROM transfers`)
	if err != nil {
		t.Fatalf("read transfers: %v", err)
	}
	for rows.Next() {
		var r dbTransfer
		if err := rows.Scan(&r.chain, &r.tx, &r.logIndex, &r.to, &r.units, &r.state, &r.match, &r.tradeID, &r.note); err != nil {
			t.Fatalf("scan transfer: %v", err)
		}
		l.transfers = append(l.transfers, r)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT trade_id, order_id, chain, token, amount_units, block_transaction_id,
		status, is_late, created_at, updated_at FROM orders`)
	if err != nil {
		t.Fatalf("read orders: %v", err)
	}
	for rows.Next() {
		var o dbOrder
		var updated int64
		if err := rows.Scan(&o.tradeID, &o.orderID, &o.chain, &o.wallet, &o.units, &o.tx, &o.status, &o.late,
			&o.created, &updated); err != nil {
			t.Fatalf("scan order: %v", err)
		}
		if o.status == store.OrderPaid {
			o.paid = updated // MarkOrderPaid's "now"; callbacks do not touch updated_at
		}
		l.orders[o.tradeID] = o
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, `SELECT trade_id, kind, status FROM callback_jobs`)
	if err != nil {
		t.Fatalf("read callback jobs: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var j dbJob
		if err := rows.Scan(&j.tradeID, &j.kind, &j.status); err != nil {
			t.Fatalf("scan job: %v", err)
		}
		l.jobs = append(l.jobs, j)
	}
	return l
}

// transferKey identifies a payment independently of log indexes.
func transferKey(chain, tx, to, units string) string {
	return fmt.Sprintf("%s|%s|%s|%s", chain, normTx(tx), to, units)
}

// checkLedger asserts the database agrees with the payments made: every
// paid order's transfer is stored exactly once, settled, matched to that
// order and no other; each such order is paid (status 2) by exactly that
// transaction with exactly one paid callback job, delivered. With exact,
// no other transfer may exist at all (nothing invented, nothing doubled).
func checkLedger(t testing.TB, l ledger, paid []*order, exact bool) {
	t.Helper()
	rows := map[string][]dbTransfer{}
	perTrade := map[string]int{}
	live := 0
	for _, r := range l.transfers {
		if r.state == store.TransferRemoved {
			continue
		}
		live++
		k := transferKey(r.chain, r.tx, r.to, r.units)
		rows[k] = append(rows[k], r)
		if r.match == store.MatchPaid || r.match == store.MatchLate {
			perTrade[r.tradeID]++
		}
	}
	jobs := map[string][]dbJob{}
	for _, j := range l.jobs {
		if j.kind == store.CallbackKindPaid {
			jobs[j.tradeID] = append(jobs[j.tradeID], j)
		}
	}
	errs := 0
	fail := func(format string, args ...any) {
		if errs++; errs <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, o := range paid {
		id := o.data.TradeID
		got := rows[transferKey(o.chain, o.paid.TxHash, o.data.Token, o.units())]
		switch {
		case len(got) != 1:
			fail("order %s (%s): %d transfer rows for its payment %s, want 1", id, o.chain, len(got), o.paid.TxHash)
		case got[0].state != store.TransferSettled || got[0].match != store.MatchPaid || got[0].tradeID != id:
			fail("order %s: its transfer is %s/%s for trade %q (note %q), want settled/matched for it",
				id, got[0].state, got[0].match, got[0].tradeID, got[0].note)
		}
		if n := perTrade[id]; n != 1 {
			fail("order %s: %d transfers are attributed to it, want 1", id, n)
		}
		row, ok := l.orders[id]
		switch {
		case !ok:
			fail("order %s is not in the database", id)
		case row.status != store.OrderPaid || normTx(row.tx) != normTx(o.paid.TxHash):
			fail("order %s: status %d paid by %q, want 2 paid by %s", id, row.status, row.tx, o.paid.TxHash)
		}
		if js := jobs[id]; len(js) != 1 || js[0].status != store.CallbackDelivered {
			fail("order %s: paid callback jobs %+v, want exactly one, delivered", id, js)
		}
	}
	if exact && live != len(paid) {
		fail("%d transfers stored, %d payments made", live, len(paid))
	}
	if errs > 10 {
		t.Errorf("… %d ledger problems in all", errs)
	}
}

// waitJobsDelivered waits until every paid callback job of orders is
// recorded as delivered (the merchant may see a delivery before the
// gateway records it).
func waitJobsDelivered(t testing.TB, s *store.Store, orders []*order, within time.Duration) {
	t.Helper()
	waitFor(t, within, "every paid callback job recorded as delivered", func() bool {
		l := readLedger(t, s)
		done := map[string]bool{}
		for _, j := range l.jobs {
			if j.kind == store.CallbackKindPaid && j.status == store.CallbackDelivered {
				done[j.tradeID] = true
			}
		}
		for _, o := range orders {
			if !done[o.data.TradeID] {
				return false
			}
		}
		return true
	})
}
