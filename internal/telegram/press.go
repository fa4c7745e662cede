package telegram

import (
	"context"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
)

// Button data (at most 64 bytes, Telegram's limit):
//
//	m          menu             wl         wallet list
//	wa         choose a chain   wa:<chain> chain chosen, ask the address
//	ws:<id>    one wallet       we:/wd:<id> enable/disable
//	wr:<id>    confirm removal  wx:<id>    remove
//	st         stats            hl         health
//	or:<trade> order details    rs:<trade> resend its callback

// onPress serves a button press: it answers the query (ending the
// button's spinner) and shows the result in place of the pressed message.
func (b *Bot) onPress(ctx context.Context, q CallbackQuery) {
	uid := q.From.ID
	b.answerPress(ctx, q.ID)
	text, kb := b.pressResult(ctx, uid, q.Data)
	if text == "" {
		return
	}
	if q.Message == nil {
		b.replyText(ctx, uid, text, kb)
		return
	}
	b.out.reply(ctx, outMsg{chatID: q.Message.Chat.ID, messageID: q.Message.MessageID, text: text, kb: kb})
}

func (b *Bot) answerPress(ctx context.Context, id string) {
	cctx, cancel := context.WithTimeout(ctx, b.tune.callTimeout)
	defer cancel()
	if err := b.api.AnswerCallbackQuery(cctx, id, ""); err != nil {
		b.log.Debug("telegram button press not answered", zap.Error(err))
	}
}

// pressResult performs the button's action and returns the new text and
// keyboard of the message.
func (b *Bot) pressResult(ctx context.Context, uid int64, data string) (string, *Keyboard) {
	verb, arg, _ := strings.Cut(data, ":")
	id, _ := strconv.ParseInt(arg, 10, 64)
	switch verb {
	case "m":
		b.clearPending(uid)
		b.audit(ctx, uid, "menu", "", "")
		return b.tr(uid, "menu"), b.menuKeyboard(uid)
	case "wl":
		b.audit(ctx, uid, "wallet.list", "", "")
		return b.walletList(ctx, uid)
	case "wa":
		return b.chooseChain(ctx, uid, arg)
	case "ws":
		b.audit(ctx, uid, "wallet.view", arg, "")
		return b.walletDetail(ctx, uid, id)
	case "we":
		return b.walletAction(ctx, uid, id, "enable")
	case "wd":
		return b.walletAction(ctx, uid, id, "disable")
	case "wr":
		return b.confirmRemove(ctx, uid, id)
	case "wx":
		return b.walletAction(ctx, uid, id, "remove")
	case "st":
		b.audit(ctx, uid, "stats", "", "")
		return b.statsText(ctx, uid), b.backKeyboard(uid)
	case "hl":
		b.audit(ctx, uid, "health", "", "")
		return b.healthText(ctx, uid), b.backKeyboard(uid)
	case "or":
		b.audit(ctx, uid, "order.view", arg, "")
		return b.orderView(ctx, uid, arg)
	case "rs":
		return b.resendView(ctx, uid, arg)
	}
	return b.tr(uid, "unknown"), b.menuKeyboard(uid)
}

// chooseChain shows the chain keyboard, or, once a chain is chosen, asks
// for the address.
func (b *Bot) chooseChain(ctx context.Context, uid int64, chain string) (string, *Keyboard) {
	if chain == "" || !address.IsChain(chain) {
		b.audit(ctx, uid, "wallet.add.start", "", "")
		return b.tr(uid, "add.chain"), b.chainKeyboard(uid)
	}
	b.setPending(uid, chain)
	b.audit(ctx, uid, "wallet.add.chain", chain, "")
	return b.tr(uid, "add.address", chainTitle(chain)), nil
}
