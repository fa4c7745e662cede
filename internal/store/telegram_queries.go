package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Read models of the Telegram bot: the rows its notifier follows after a
// cursor, and the figures of /stats.

// TelegramWalletByID finds a live (not removed) wallet by id.
func (c conn) TelegramWalletByID(ctx context.Context, id int64) (Wallet, error) {
	w, err := scanWallet(c.queryRow(ctx, "SELECT "+walletCols+" FROM wallets WHERE id = ? AND deleted_at IS NULL", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, ErrNotFound
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("get wallet %d: %w", id, err)
	}
	return w, nil
}

// TelegramJob is a callback job as the notifier follows them: one "paid"
// job is written with every paid order, in the same transaction.
type TelegramJob struct {
	ID        int64
	TradeID   string
	Kind      string
	CreatedAt time.Time
}

// TelegramJobsAfter lists callback jobs with an id above afterID, in id
// order, at most limit.
func (c conn) TelegramJobsAfter(ctx context.Context, afterID int64, limit int) ([]TelegramJob, error) {
	rows, err := c.query(ctx, "SELECT id, trade_id, kind, created_at FROM callback_jobs WHERE id > ? ORDER BY id LIMIT ?",
		afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("callback jobs after %d: %w", afterID, err)
	}
	defer rows.Close()
	var out []TelegramJob
	for rows.Next() {
		var j TelegramJob
		var created int64
		if err := rows.Scan(&j.ID, &j.TradeID, &j.Kind, &created); err != nil {
			return nil, fmt.Errorf("callback jobs after %d: %w", afterID, err)
		}
		j.CreatedAt = FromMS(created)
		out = append(out, j)
	}
	return out, rows.Err()
}

// TelegramDelivery is a callback delivery attempt with its job's current
// state. FailedForGood is true when this attempt was the job's last and the
// job is failed now.
type TelegramDelivery struct {
	ID            int64
	JobID         int64
	TradeID       string
	Kind          string
	Attempt       int
	HTTPStatus    int
	Error         string
	URL           string
	CreatedAt     time.Time
	FailedForGood bool
}

// TelegramDeliveriesAfter lists callback deliveries with an id above
// afterID, in id order, at most limit.
func (c conn) TelegramDeliveriesAfter(ctx context.Context, afterID int64, limit int) ([]TelegramDelivery, error) {
	rows, err := c.query(ctx, `SELECT d.id, d.job_id, d.trade_id, j.kind, d.attempt, d.http_status, d.error, d.url, d.created_at,
 j.status, j.attempts FROM callback_deliveries d JOIN callback_jobs j ON j.id = d.job_id
 WHERE d.id > ? ORDER BY d.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("callback deliveries after %d: %w", afterID, err)
	}
	defer rows.Close()
	var out []TelegramDelivery
	for rows.Next() {
		var d TelegramDelivery
		var created int64
		var status string
		var attempts int
		if err := rows.Scan(&d.ID, &d.JobID, &d.TradeID, &d.Kind, &d.Attempt, &d.HTTPStatus, &d.Error, &d.URL, &created,
			&status, &attempts); err != nil {
			return nil, fmt.Errorf("callback deliveries after %d: %w", afterID, err)
		}
		d.CreatedAt, d.FailedForGood = FromMS(created), status == CallbackFailed && d.Attempt == attempts
		out = append(out, d)
	}
	return out, rows.Err()
}

// TelegramMaxJobID returns the highest callback job id (0 when none).
func (c conn) TelegramMaxJobID(ctx context.Context) (int64, error) {
	return c.maxID(ctx, "callback_jobs")
}

// TelegramMaxDeliveryID returns the highest callback delivery id (0 when
// none).
func (c conn) TelegramMaxDeliveryID(ctx context.Context) (int64, error) {
	return c.maxID(ctx, "callback_deliveries")
}

func (c conn) maxID(ctx context.Context, table string) (int64, error) {
	var id sql.NullInt64
	if err := c.queryRow(ctx, "SELECT MAX(id) FROM "+table).Scan(&id); err != nil {
		return 0, fmt.Errorf("max id of %s: %w", table, err)
	}
	return id.Int64, nil
}

// TelegramTransfersAfter lists settled transfers whose match result is
// unmatched, late or late_recorded, decided after the cursor (updated_at,
// id) and not after upTo, in that order, at most limit. Transfers detected
// before notBefore are not looked at (it bounds the index range).
func (c conn) TelegramTransfersAfter(ctx context.Context, afterMS, afterID int64, upTo, notBefore time.Time, limit int) ([]Transfer, error) {
	rows, err := c.query(ctx, "SELECT "+payTransferCols+` FROM transfers WHERE match_status IN (?, ?, ?) AND created_at >= ?
 AND (updated_at > ? OR (updated_at = ? AND id > ?)) AND updated_at <= ? ORDER BY updated_at, id LIMIT ?`,
		append(telegramTroubleArgs(), MS(notBefore), afterMS, afterMS, afterID, MS(upTo), limit)...)
	if err != nil {
		return nil, fmt.Errorf("trouble transfers: %w", err)
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanPayTransfer(rows)
		if err != nil {
			return nil, fmt.Errorf("trouble transfers: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// telegramTroubleArgs are the transfer match results the bot reports.
func telegramTroubleArgs() []any { return []any{MatchUnmatched, MatchLate, MatchLateOnly} }

// TelegramChainStats are the order figures of one chain over a period.
type TelegramChainStats struct {
	Chain     string
	Created   int             // orders created
	Paid      int             // of those, paid
	Late      int             // of the paid, paid late
	PaidUSDT  decimal.Decimal // USDT amount of the paid ones
	Unmatched int             // transfers that matched no order (or were late, recorded only)
}

// TelegramStats sums the orders created since since per chain, and the
// transfers that matched none, sorted by chain.
func (c conn) TelegramStats(ctx context.Context, since time.Time) ([]TelegramChainStats, error) {
	by := map[string]*TelegramChainStats{}
	get := func(chain string) *TelegramChainStats {
		if by[chain] == nil {
			by[chain] = &TelegramChainStats{Chain: chain}
		}
		return by[chain]
	}
	if err := c.orderStats(ctx, since, get); err != nil {
		return nil, err
	}
	rows, err := c.query(ctx, `SELECT chain, COUNT(*) FROM transfers WHERE match_status IN (?, ?) AND created_at >= ?
 GROUP BY chain`, MatchUnmatched, MatchLateOnly, MS(since))
	if err != nil {
		return nil, fmt.Errorf("unmatched transfer counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var chain string
		var n int
		if err := rows.Scan(&chain, &n); err != nil {
			return nil, fmt.Errorf("unmatched transfer counts: %w", err)
		}
		get(chain).Unmatched = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unmatched transfer counts: %w", err)
	}
	return sortedStats(by), nil
}

// orderStats adds up orders in Go: amounts are decimal text, and summing
// them in SQL would go through floats on SQLite.
func (c conn) orderStats(ctx context.Context, since time.Time, get func(string) *TelegramChainStats) error {
	rows, err := c.query(ctx, "SELECT chain, status, is_late, actual_amount FROM orders WHERE created_at >= ?", MS(since))
	if err != nil {
		return fmt.Errorf("order stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var chain, amount string
		var status, late int
		if err := rows.Scan(&chain, &status, &late, &amount); err != nil {
			return fmt.Errorf("order stats: %w", err)
		}
		s := get(chain)
		s.Created++
		if status != OrderPaid {
			continue
		}
		s.Paid++
		s.Late += late
		if d, err := decimal.NewFromString(amount); err == nil {
			s.PaidUSDT = s.PaidUSDT.Add(d)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("order stats: %w", err)
	}
	return nil
}

func sortedStats(by map[string]*TelegramChainStats) []TelegramChainStats {
	out := make([]TelegramChainStats, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b TelegramChainStats) int { return strings.Compare(a.Chain, b.Chain) })
	return out
}

// TelegramFailedCallbacks counts callback jobs that failed for good and
// were last changed since since.
func (c conn) TelegramFailedCallbacks(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := c.queryRow(ctx, "SELECT COUNT(*) FROM callback_jobs WHERE status = ? AND updated_at >= ?", CallbackFailed, MS(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count failed callbacks: %w", err)
	}
	return n, nil
}
