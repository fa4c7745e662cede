package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/notify"
	"github.com/epusdt/epusdt/internal/store"
)

// notifyResender resends through notify.Resend; the callback worker picks
// the job up at its next poll.
type notifyResender struct {
	st  *store.Store
	now func() time.Time
}

// Resend makes the order's callback due now (notify.Resend).
func (r notifyResender) Resend(ctx context.Context, tradeID string) error {
	_, err := notify.Resend(ctx, r.st, tradeID, r.now())
	return err
}

// orderCommand serves /order <trade_id|order_id>.
func (b *Bot) orderCommand(ctx context.Context, uid, chat int64, args string) {
	id := firstField(args)
	if id == "" {
		b.replyText(ctx, chat, b.tr(uid, "order.usage"), nil)
		return
	}
	b.audit(ctx, uid, "order.view", id, "")
	text, kb := b.orderView(ctx, uid, id)
	b.replyText(ctx, chat, text, kb)
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return cut(f[0], 64)
}

// orderView renders an order found by trade_id, or the trades of a
// merchant order_id.
func (b *Bot) orderView(ctx context.Context, uid int64, id string) (string, *Keyboard) {
	o, err := b.st.GetOrder(ctx, id)
	if err == nil {
		return b.orderDetail(ctx, uid, o)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err.Error(), b.backKeyboard(uid)
	}
	os, err := b.st.OrdersByOrderID(ctx, id, 5)
	switch {
	case err != nil:
		return err.Error(), b.backKeyboard(uid)
	case len(os) == 0:
		return b.tr(uid, "order.none", id), b.backKeyboard(uid)
	case len(os) == 1:
		return b.orderDetail(ctx, uid, os[0])
	}
	kb := &Keyboard{}
	for _, o := range os {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []Button{{Text: o.TradeID + " · " + b.statusText(uid, o),
			CallbackData: "or:" + o.TradeID}})
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, b.backKeyboard(uid).InlineKeyboard...)
	return b.tr(uid, "order.many", id), kb
}

func (b *Bot) statusText(uid int64, o store.Order) string {
	if o.Status == store.OrderExpired && o.Canceled {
		return b.tr(uid, "status.canceled")
	}
	return b.tr(uid, fmt.Sprintf("status.%d", o.Status))
}

// orderDetail renders status, amounts, chain, wallet, transaction and the
// callback state of an order.
func (b *Bot) orderDetail(ctx context.Context, uid int64, o store.Order) (string, *Keyboard) {
	var sb strings.Builder
	sb.WriteString(b.tr(uid, "order.head", o.TradeID, o.OrderID, b.statusText(uid, o), o.Amount, o.Fiat, o.ActualAmount,
		o.Rate, chainTitle(o.Chain), o.Token, fmtTime(o.CreatedAt), fmtTime(o.ExpiresAt)))
	if o.PaidAt != nil {
		late := ""
		if o.Late {
			late = b.tr(uid, "order.late")
		}
		sb.WriteString(b.tr(uid, "order.paid", fmtTime(*o.PaidAt), late, o.BlockTransactionID))
	}
	jobs, err := b.st.CallbackJobsForTrade(ctx, o.TradeID)
	if err != nil {
		sb.WriteString("\n" + err.Error())
	}
	if len(jobs) == 0 && err == nil {
		sb.WriteString(b.tr(uid, "order.no_cb"))
	}
	for _, j := range jobs {
		sb.WriteString(b.tr(uid, "order.callback", j.Kind, b.tr(uid, "cb."+j.Status), j.Attempts, j.MaxAttempts))
		if j.LastError != "" && j.Status != store.CallbackDelivered {
			sb.WriteString(b.tr(uid, "order.cb_error", cut(j.LastError, 300)))
		}
	}
	kb := &Keyboard{InlineKeyboard: [][]Button{{{Text: b.tr(uid, "btn.refresh"), CallbackData: "or:" + o.TradeID}}}}
	if len(jobs) > 0 {
		kb.InlineKeyboard[0] = append(kb.InlineKeyboard[0], Button{Text: b.tr(uid, "btn.resend"), CallbackData: "rs:" + o.TradeID})
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, b.backKeyboard(uid).InlineKeyboard...)
	return sb.String(), kb
}

// resendCommand serves /resend <trade_id>.
func (b *Bot) resendCommand(ctx context.Context, uid, chat int64, args string) {
	trade := firstField(args)
	if trade == "" {
		b.replyText(ctx, chat, b.tr(uid, "resend.usage"), nil)
		return
	}
	text, kb := b.resendView(ctx, uid, trade)
	b.replyText(ctx, chat, text, kb)
}

// resendView makes the order's callback due again and shows the order.
func (b *Bot) resendView(ctx context.Context, uid int64, trade string) (string, *Keyboard) {
	if _, err := b.st.GetOrder(ctx, trade); err != nil {
		b.audit(ctx, uid, "callback.resend", trade, resultText(err))
		if errors.Is(err, store.ErrNotFound) {
			return b.tr(uid, "order.none", trade), b.backKeyboard(uid)
		}
		return b.tr(uid, "resend.failed", trade, err.Error()), b.backKeyboard(uid)
	}
	err := b.resend.Resend(ctx, trade)
	b.audit(ctx, uid, "callback.resend", trade, resultText(err))
	if err != nil {
		return b.tr(uid, "resend.failed", trade, err.Error()), b.backKeyboard(uid)
	}
	o, err := b.st.GetOrder(ctx, trade)
	if err != nil {
		return b.tr(uid, "resend.ok", trade), b.backKeyboard(uid)
	}
	text, kb := b.orderDetail(ctx, uid, o)
	return b.tr(uid, "resend.ok", trade) + "\n\n" + text, kb
}
