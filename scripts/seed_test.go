package scripts_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

// seeded is what the drill puts into the database and expects back.
type seeded struct {
	wallets []string       // addresses
	orders  map[string]int // trade_id → status
}

func sqlExec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), s.Dialect().Rebind(q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// seed writes wallets, orders in every state, amount slots, transfers,
// callback jobs and deliveries, a scan cursor, a setting and an audit entry.
// Nothing in it is due for the running gateway to change: waiting orders
// and pending callbacks lie a day in the future, every chain is disabled.
func seed(t *testing.T, s *store.Store) seeded {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	later := now.Add(24 * time.Hour)
	out := seeded{orders: map[string]int{}}
	wallets := []struct{ chain, addr string }{
		{"tron", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"},
		{"ethereum", "0x52908400098527886E0F7030069857D2E4169EE7"},
		{"bsc", "0x8617E340B3D01FA5F11F306F4090FD50E238070D"},
	}
	for _, w := range wallets {
		if _, err := s.AddWallet(ctx, w.chain, w.addr, "drill "+w.chain, now); err != nil {
			t.Fatal(err)
		}
		out.wallets = append(out.wallets, w.addr)
	}
	if err := s.SetWalletStatus(ctx, "bsc", wallets[2].addr, store.WalletDisabled, now); err != nil {
		t.Fatal(err)
	}
	for i, st := range []int{store.OrderWaiting, store.OrderPaid, store.OrderExpired} {
		o := store.Order{TradeID: fmt.Sprintf("DRILL%02d%d", i, now.UnixNano()%1e9), OrderID: fmt.Sprintf("shop-%d", i),
			Chain: "tron", TradeType: "usdt.trc20", TokenContract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Decimals: 6,
			Fiat: "CNY", Amount: fmt.Sprintf("%d.5", 10+i), Rate: "7.2", ActualAmount: fmt.Sprintf("1.%02d", 46+i),
			AmountUnits: fmt.Sprintf("1%02d0000", 46+i), Token: wallets[0].addr, NotifyURL: "https://shop.test/notify",
			RedirectURL: "https://shop.test/done", CreatedAt: now, ExpiresAt: later}
		if ok, err := s.InsertOrder(ctx, o); err != nil || !ok {
			t.Fatalf("insert order: %v %v", ok, err)
		}
		switch st {
		case store.OrderPaid:
			sqlExec(t, s, "UPDATE orders SET status = 2, active_order_id = order_id, block_transaction_id = ?, paid_at = ?, callback_num = 1, callback_confirm = 1 WHERE trade_id = ?",
				"0xabc"+o.TradeID, store.MS(now), o.TradeID)
			seedPayment(t, s, o, now, later)
		case store.OrderExpired:
			sqlExec(t, s, "UPDATE orders SET status = 3, active_order_id = NULL, expires_at = ? WHERE trade_id = ?", store.MS(now.Add(-time.Hour)), o.TradeID)
		}
		sqlExec(t, s, `INSERT INTO amount_slots (chain, token_contract, wallet, amount_units, trade_id, held_until, created_at)
 VALUES ('tron', ?, ?, ?, ?, ?, ?)`, o.TokenContract, o.Token, o.AmountUnits, o.TradeID, store.MS(later), store.MS(now))
		out.orders[o.TradeID] = st
	}
	sqlExec(t, s, `INSERT INTO transfers (chain, token_contract, tx_hash, log_index, block_number, block_hash, block_time,
 from_address, to_address, amount_units, decimals, state, match_status, trade_id, note, created_at, updated_at)
 VALUES ('tron', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', '0xunmatched', 3, 901, '0xb901', ?, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', ?, '999', 6, 'settled', 'unmatched', NULL, 'no order', ?, ?)`,
		store.MS(now), wallets[0].addr, store.MS(now), store.MS(now))
	sqlExec(t, s, "INSERT INTO scan_cursors (chain, block_number, updated_at) VALUES ('tron', 1000, ?)", store.MS(now))
	if err := s.PutSetting(ctx, "drill", "kept", now); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{Actor: "drill", ActorKind: "cli", Action: "drill.seed", Target: "all",
		Detail: "{}", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return out
}

// seedPayment stores the paid order's transfer, callback job and delivery,
// plus a pending callback job due only tomorrow.
func seedPayment(t *testing.T, s *store.Store, o store.Order, now, later time.Time) {
	ctx := context.Background()
	sqlExec(t, s, `INSERT INTO transfers (chain, token_contract, tx_hash, log_index, block_number, block_hash, block_time,
 from_address, to_address, amount_units, decimals, state, match_status, trade_id, note, created_at, updated_at)
 VALUES ('tron', ?, ?, 0, 900, '0xb900', ?, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', ?, ?, 6, 'settled', 'matched', ?, '', ?, ?)`,
		o.TokenContract, "0xabc"+o.TradeID, store.MS(now), o.Token, o.AmountUnits, o.TradeID, store.MS(now), store.MS(now))
	id, err := s.EnqueueCallback(ctx, store.CallbackJob{EventID: "evt-paid-" + o.TradeID, TradeID: o.TradeID, Kind: store.CallbackKindPaid,
		Priority: 6, MaxAttempts: 11, NextAttemptAt: now, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	sqlExec(t, s, "UPDATE callback_jobs SET status = 'delivered', attempts = 1, delivered_at = ? WHERE id = ?", store.MS(now), id)
	sqlExec(t, s, `INSERT INTO callback_deliveries (job_id, event_id, trade_id, attempt, url, http_status, duration_ms, response_body, error, created_at)
 VALUES (?, ?, ?, 1, ?, 200, 12, 'ok', '', ?)`, id, "evt-paid-"+o.TradeID, o.TradeID, o.NotifyURL, store.MS(now))
	if _, err := s.EnqueueCallback(ctx, store.CallbackJob{EventID: "evt-resend-" + o.TradeID, TradeID: o.TradeID,
		Kind: store.CallbackKindPaid, Priority: 3, MaxAttempts: 1, NextAttemptAt: later, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

// snapshot is every row of every table, each row as one text line.
type snapshot map[string][]string

func tables(t *testing.T, db *sql.DB, d store.Dialect) []string {
	q := map[store.Dialect]string{
		store.SQLite:   "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
		store.MySQL:    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
		store.Postgres: "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
	}[d]
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func takeSnapshot(t *testing.T, s *store.Store) snapshot {
	t.Helper()
	snap := snapshot{}
	for _, tbl := range tables(t, s.DB(), s.Dialect()) {
		rows, err := s.DB().Query("SELECT * FROM " + tbl)
		if err != nil {
			t.Fatalf("read %s: %v", tbl, err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var lines []string
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(cols))
			for i, v := range vals {
				parts[i] = cols[i] + "=NULL"
				if v != nil {
					parts[i] = cols[i] + "=" + string(v)
				}
			}
			lines = append(lines, strings.Join(parts, " | "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(lines)
		snap[tbl] = lines
	}
	return snap
}

// exact are the tables that must come back row for row; the rest (which
// the gateway may append to or renew on its own, like leases and the audit
// log) must at least still hold every row the snapshot saw.
var exact = map[string]bool{
	"wallets": true, "orders": true, "amount_slots": true, "transfers": true, "callback_jobs": true,
	"callback_deliveries": true, "scan_cursors": true, "settings": true, "schema_migrations": true,
}

func compareSnapshots(t *testing.T, before, after snapshot) {
	t.Helper()
	for tbl, rows := range before {
		if tbl == "leases" {
			continue
		}
		got := after[tbl]
		if exact[tbl] {
			if strings.Join(rows, "\n") != strings.Join(got, "\n") {
				t.Errorf("table %s differs after restore:\nbefore:\n%s\nafter:\n%s", tbl, strings.Join(rows, "\n"), strings.Join(got, "\n"))
			}
			continue
		}
		have := map[string]bool{}
		for _, r := range got {
			have[r] = true
		}
		for _, r := range rows {
			if !have[r] {
				t.Errorf("table %s lost a row in the restore: %s", tbl, r)
			}
		}
	}
	for _, tbl := range []string{"wallets", "orders", "transfers", "callback_jobs", "callback_deliveries", "amount_slots"} {
		if len(before[tbl]) == 0 {
			t.Errorf("table %s was not seeded", tbl)
		}
	}
}
