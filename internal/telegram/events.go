package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/money"
	"github.com/epusdt/epusdt/internal/store"
)

// The notifier follows three streams of database rows, each after a cursor
// kept in settings:
//
//   - paid orders: callback jobs of kind "paid" (one is written with every
//     paid order, in the same transaction), after a job id;
//   - callbacks failed for good: delivery attempts that were their job's
//     last, after a delivery id;
//   - unmatched, late and late-recorded transfers, after (updated_at, id).
//
// A row is taken only once it is settleLag old, so a transaction that took
// its id or timestamp earlier but committed later is not skipped. A cursor
// moves past a row only after Telegram took its message for every manager
// (at-least-once: a restart may repeat the last message, never lose one).
const (
	cursorPaid      = "telegram.cursor.paid"
	cursorCallbacks = "telegram.cursor.callback_failed"
	cursorTransfers = "telegram.cursor.transfers"
)

// batch is how many rows one read of a stream takes.
const batch = 100

// cursor is a stream position: a row id, and for the transfer stream the
// updated_at (unix ms) it is ordered by first.
type cursor struct{ ts, id int64 }

// String is the stored form "ts:id".
func (c cursor) String() string {
	return strconv.FormatInt(c.ts, 10) + ":" + strconv.FormatInt(c.id, 10)
}

func parseCursor(s string) (cursor, error) {
	a, b, ok := strings.Cut(s, ":")
	ts, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return cursor{}, fmt.Errorf("bad cursor %q", s)
	}
	return cursor{ts: ts, id: id}, nil
}

// loadCursor reads a stream's cursor; a stream never followed before
// starts at start() (now: history is not replayed).
func (b *Bot) loadCursor(ctx context.Context, name string, start func() (cursor, error)) (cursor, error) {
	v, err := b.st.GetSetting(ctx, name)
	if err == nil {
		return parseCursor(v)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return cursor{}, err
	}
	c, err := start()
	if err != nil {
		return cursor{}, err
	}
	return c, b.saveCursor(ctx, name, c)
}

func (b *Bot) saveCursor(ctx context.Context, name string, c cursor) error {
	return b.st.PutSetting(ctx, name, c.String(), b.now())
}

// pumpLoop reads the streams every pumpInterval until ctx ends.
func (b *Bot) pumpLoop(ctx context.Context) {
	for {
		if err := b.pumpOnce(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("telegram notifications not read; retrying", zap.Error(err))
		}
		if sleep(ctx, b.tune.pumpInterval) != nil {
			return
		}
	}
}

// pumpOnce sends the notifications of every stream's settled new rows and
// moves the cursors on.
func (b *Bot) pumpOnce(ctx context.Context) error {
	return errors.Join(b.pumpPaid(ctx), b.pumpCallbacks(ctx), b.pumpTransfers(ctx))
}

// idRow is a row of an id-ordered stream: tell sends its notification
// (nil: nothing to tell).
type idRow struct {
	id   int64
	at   time.Time
	tell func(ctx context.Context) error
}

// followIDs walks an id-ordered stream after its cursor, stopping at the
// first row younger than settleLag, and saves the cursor after every told
// row and at the end.
func (b *Bot) followIDs(ctx context.Context, name string, maxID func(context.Context) (int64, error),
	read func(after int64) ([]idRow, error)) error {
	cur, err := b.loadCursor(ctx, name, func() (cursor, error) {
		id, err := maxID(ctx)
		return cursor{id: id}, err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for {
		rows, err := read(cur.id)
		if err != nil {
			return err
		}
		saved, upTo := cur, b.now().Add(-b.tune.settleLag)
		for _, r := range rows {
			if r.at.After(upTo) {
				return b.saveIfMoved(ctx, name, saved, cur)
			}
			if r.tell != nil {
				if err := r.tell(ctx); err != nil {
					return errors.Join(err, b.saveIfMoved(ctx, name, saved, cur))
				}
				saved = cursor{id: r.id}
			}
			cur.id = r.id
			if saved == cur {
				if err := b.saveCursor(ctx, name, cur); err != nil {
					return err
				}
			}
		}
		if err := b.saveIfMoved(ctx, name, saved, cur); err != nil || len(rows) < batch {
			return err
		}
	}
}

func (b *Bot) saveIfMoved(ctx context.Context, name string, from, to cursor) error {
	if from == to {
		return nil
	}
	return b.saveCursor(ctx, name, to)
}

// pumpPaid tells paid orders, found through their "paid" callback jobs.
func (b *Bot) pumpPaid(ctx context.Context) error {
	return b.followIDs(ctx, cursorPaid, b.st.TelegramMaxJobID, func(after int64) ([]idRow, error) {
		jobs, err := b.st.TelegramJobsAfter(ctx, after, batch)
		rows := make([]idRow, len(jobs))
		for i, j := range jobs {
			rows[i] = idRow{id: j.ID, at: j.CreatedAt}
			if j.Kind == store.CallbackKindPaid && b.cfg.Telegram.NotifyPaid {
				rows[i].tell = func(ctx context.Context) error { return b.tellPaid(ctx, j.TradeID) }
			}
		}
		return rows, err
	})
}

func (b *Bot) tellPaid(ctx context.Context, tradeID string) error {
	o, err := b.st.GetOrder(ctx, tradeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // nothing left to tell
	}
	if err != nil {
		return err
	}
	return b.broadcast(ctx, func(l lang) (string, *Keyboard) { return b.paidText(l, o) })
}

// pumpCallbacks tells callbacks whose last attempt failed for good.
func (b *Bot) pumpCallbacks(ctx context.Context) error {
	return b.followIDs(ctx, cursorCallbacks, b.st.TelegramMaxDeliveryID, func(after int64) ([]idRow, error) {
		ds, err := b.st.TelegramDeliveriesAfter(ctx, after, batch)
		rows := make([]idRow, len(ds))
		for i, d := range ds {
			rows[i] = idRow{id: d.ID, at: d.CreatedAt}
			if d.FailedForGood && b.cfg.Telegram.NotifyCallbackFailed {
				rows[i].tell = func(ctx context.Context) error {
					orderID := ""
					if o, err := b.st.GetOrder(ctx, d.TradeID); err == nil {
						orderID = o.OrderID
					}
					return b.broadcast(ctx, func(l lang) (string, *Keyboard) { return b.callbackFailedText(l, d, orderID) })
				}
			}
		}
		return rows, err
	})
}

func (b *Bot) pumpTransfers(ctx context.Context) error {
	cur, err := b.loadCursor(ctx, cursorTransfers, func() (cursor, error) {
		return cursor{ts: store.MS(b.now().Add(-b.tune.settleLag))}, nil
	})
	if err != nil {
		return fmt.Errorf("transfer notifications: %w", err)
	}
	for {
		upTo := b.now().Add(-b.tune.settleLag)
		rows, err := b.st.TelegramTransfersAfter(ctx, cur.ts, cur.id, upTo, store.FromMS(cur.ts).Add(-7*24*time.Hour), batch)
		if err != nil {
			return err
		}
		start := cur
		for _, t := range rows {
			if b.reportTransfer(t) {
				if err := b.broadcast(ctx, func(l lang) (string, *Keyboard) { return b.transferText(l, t) }); err != nil {
					return errors.Join(err, b.saveIfMoved(ctx, cursorTransfers, start, cur))
				}
			}
			cur = cursor{ts: store.MS(t.UpdatedAt), id: t.ID}
		}
		if err := b.saveIfMoved(ctx, cursorTransfers, start, cur); err != nil || len(rows) < batch {
			return err
		}
	}
}

// reportTransfer decides whether a trouble transfer is told: a late
// payment that paid its order is already told by the paid message (with
// its late flag) when paid notifications are on.
func (b *Bot) reportTransfer(t store.Transfer) bool {
	if !b.cfg.Telegram.NotifyTransfer {
		return false
	}
	return t.MatchStatus != store.MatchLate || !b.cfg.Telegram.NotifyPaid
}

// broadcast sends a notification to every manager, each in their language,
// and waits until Telegram took it (or refused it for good, e.g. a manager
// who blocked the bot). It fails only when ctx ends.
func (b *Bot) broadcast(ctx context.Context, render func(l lang) (string, *Keyboard)) error {
	var waits []<-chan error
	for _, uid := range b.managers {
		text, kb := render(b.langOf(uid))
		waits = append(waits, b.out.notify(ctx, outMsg{chatID: uid, text: text, kb: kb}))
	}
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return ctx.Err()
}

func (b *Bot) paidText(l lang, o store.Order) (string, *Keyboard) {
	late := ""
	if o.Late {
		late = b.trL(l, "n.late")
	}
	text := b.trL(l, "n.paid", late, o.TradeID, o.OrderID, o.Amount, o.Fiat, o.ActualAmount, chainTitle(o.Chain),
		o.Token, o.BlockTransactionID)
	return text, &Keyboard{InlineKeyboard: [][]Button{{{Text: b.trL(l, "btn.details"), CallbackData: "or:" + o.TradeID}}}}
}

func (b *Bot) callbackFailedText(l lang, d store.TelegramDelivery, orderID string) (string, *Keyboard) {
	answer := d.Error
	if d.HTTPStatus > 0 {
		answer = strings.TrimSpace("HTTP " + strconv.Itoa(d.HTTPStatus) + " " + d.Error)
	}
	text := b.trL(l, "n.cbfail", d.TradeID, orderID, d.Attempt, cut(answer, 300), cut(d.URL, 200), d.TradeID)
	return text, &Keyboard{InlineKeyboard: [][]Button{{{Text: b.trL(l, "btn.resend"), CallbackData: "rs:" + d.TradeID}}}}
}

func (b *Bot) transferText(l lang, t store.Transfer) (string, *Keyboard) {
	head := map[string]string{store.MatchUnmatched: "n.unmatched", store.MatchLate: "n.late_paid",
		store.MatchLateOnly: "n.late_only"}[t.MatchStatus]
	amount := money.FromUnits(t.AmountUnits, t.Decimals).String()
	text := b.trL(l, "n.transfer", b.trL(l, head), chainTitle(t.Chain), t.To, t.From, amount, t.TxHash, t.TradeID, t.Note)
	if t.TradeID == "" {
		return text, nil
	}
	return text, &Keyboard{InlineKeyboard: [][]Button{{{Text: b.trL(l, "btn.details"), CallbackData: "or:" + t.TradeID}}}}
}
