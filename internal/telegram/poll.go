package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/store"
)

// offsetSetting keeps the getUpdates offset so a new lease holder goes on
// where the last one stopped.
const offsetSetting = "telegram.update_offset"

func (b *Bot) loadOffset(ctx context.Context) {
	v, err := b.st.GetSetting(ctx, offsetSetting)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			b.log.Warn("telegram update offset not read", zap.Error(err))
		}
		return
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		b.mu.Lock()
		b.offset = max(b.offset, n)
		b.mu.Unlock()
	}
}

// pollLoop long-polls for updates until ctx ends, backing off on errors.
func (b *Bot) pollLoop(ctx context.Context) {
	delay := b.tune.backoff
	for ctx.Err() == nil {
		if err := b.pollOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("telegram getUpdates failed; retrying", zap.Error(err), zap.Duration("after", delay))
			_ = sleep(ctx, delay)
			delay = min(delay*2, b.tune.backoffMax)
			continue
		}
		delay = b.tune.backoff
	}
}

// pollOnce fetches one batch of updates, handles them in order and stores
// the next offset.
func (b *Bot) pollOnce(ctx context.Context) error {
	b.mu.Lock()
	offset := b.offset
	b.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, b.tune.pollTimeout+b.tune.callTimeout)
	ups, err := b.api.GetUpdates(cctx, offset, b.tune.pollTimeout)
	cancel()
	if err != nil {
		return err
	}
	for _, u := range ups {
		b.handle(ctx, u)
		offset = max(offset, u.UpdateID+1)
	}
	if len(ups) == 0 {
		return nil
	}
	b.mu.Lock()
	b.offset = offset
	b.mu.Unlock()
	if err := b.st.PutSetting(ctx, offsetSetting, strconv.FormatInt(offset, 10), b.now()); err != nil {
		b.log.Warn("telegram update offset not stored", zap.Error(err))
	}
	return nil
}

// handle serves one update from a manager; anything from anyone else gets
// no answer at all and is logged. A panic in a handler is logged, never
// passed on.
func (b *Bot) handle(ctx context.Context, u Update) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("telegram update handler panicked", zap.Int64("update_id", u.UpdateID), zap.Any("panic", r))
		}
	}()
	var from *User
	switch {
	case u.Message != nil:
		from = u.Message.From
	case u.CallbackQuery != nil:
		from = &u.CallbackQuery.From
	}
	if from == nil {
		return
	}
	if !b.isManager(from.ID) {
		b.log.Warn("telegram: ignored an update from a user not in tg_manage", zap.Int64("user_id", from.ID),
			zap.String("username", from.Username), zap.String("kind", updateKind(u)), zap.String("command", firstWord(u)))
		return
	}
	if c := chatOf(u); c != nil && c.Type != "private" {
		b.log.Warn("telegram: ignored a manager's update from a group chat; the bot serves private chats only",
			zap.Int64("user_id", from.ID), zap.Int64("chat_id", c.ID), zap.String("chat_type", c.Type))
		return
	}
	b.seen(*from)
	switch {
	case u.Message != nil:
		b.onMessage(ctx, *u.Message)
	case u.CallbackQuery != nil:
		b.onPress(ctx, *u.CallbackQuery)
	}
}

func chatOf(u Update) *Chat {
	switch {
	case u.Message != nil:
		return &u.Message.Chat
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		return &u.CallbackQuery.Message.Chat
	}
	return nil
}

func updateKind(u Update) string {
	if u.CallbackQuery != nil {
		return "button"
	}
	return "message"
}

// firstWord is the command or button data of an update, cut short, for the
// log of refused updates (never the full text: it may be anything).
func firstWord(u Update) string {
	s := ""
	switch {
	case u.Message != nil:
		s, _, _ = strings.Cut(strings.TrimSpace(u.Message.Text), " ")
	case u.CallbackQuery != nil:
		s = u.CallbackQuery.Data
	}
	if len(s) > 32 {
		s = s[:32]
	}
	return s
}

// parseCommand splits "/cmd@bot args" into "cmd" and "args".
func parseCommand(text string) (cmd, args string, ok bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	head, rest, _ := strings.Cut(text[1:], " ")
	head, _, _ = strings.Cut(head, "@")
	return strings.ToLower(head), strings.TrimSpace(rest), true
}

// onMessage serves a text message: a command, or the answer to a question
// the bot asked.
func (b *Bot) onMessage(ctx context.Context, m Message) {
	uid := m.From.ID
	cmd, args, ok := parseCommand(m.Text)
	if !ok {
		if chain, waiting := b.pendingChain(uid); waiting {
			b.addWallet(ctx, uid, m.Chat.ID, chain, m.Text)
			return
		}
		b.replyText(ctx, m.Chat.ID, b.tr(uid, "unknown"), b.menuKeyboard(uid))
		return
	}
	b.command(ctx, uid, m.Chat.ID, cmd, args)
}

func (b *Bot) command(ctx context.Context, uid, chat int64, cmd, args string) {
	switch cmd {
	case "start", "menu", "help":
		b.clearPending(uid)
		b.audit(ctx, uid, "menu", "", "")
		b.replyText(ctx, chat, b.tr(uid, "menu"), b.menuKeyboard(uid))
	case "cancel":
		b.clearPending(uid)
		b.audit(ctx, uid, "cancel", "", "")
		b.replyText(ctx, chat, b.tr(uid, "cancelled"), b.menuKeyboard(uid))
	case "wallets":
		text, kb := b.walletList(ctx, uid)
		b.audit(ctx, uid, "wallet.list", "", "")
		b.replyText(ctx, chat, text, kb)
	case "addwallet":
		b.audit(ctx, uid, "wallet.add.start", "", "")
		b.replyText(ctx, chat, b.tr(uid, "add.chain"), b.chainKeyboard(uid))
	case "order":
		b.orderCommand(ctx, uid, chat, args)
	case "resend":
		b.resendCommand(ctx, uid, chat, args)
	case "stats":
		b.audit(ctx, uid, "stats", "", "")
		b.replyText(ctx, chat, b.statsText(ctx, uid), b.backKeyboard(uid))
	case "health":
		b.audit(ctx, uid, "health", "", "")
		b.replyText(ctx, chat, b.healthText(ctx, uid), b.backKeyboard(uid))
	case "lang":
		b.setLang(ctx, uid, chat, args)
	default:
		b.replyText(ctx, chat, b.tr(uid, "unknown"), b.menuKeyboard(uid))
	}
}

// replyText queues a reply message.
func (b *Bot) replyText(ctx context.Context, chat int64, text string, kb *Keyboard) {
	b.out.reply(ctx, outMsg{chatID: chat, text: text, kb: kb})
}

// audit records a manager's action in the audit log.
func (b *Bot) audit(ctx context.Context, uid int64, action, target, detail string) {
	if !b.cfg.AuditLogEnabled {
		return
	}
	err := b.st.AppendAudit(ctx, store.AuditEntry{Actor: strconv.FormatInt(uid, 10), ActorKind: store.ActorTelegram,
		Action: "telegram." + action, Target: target, Detail: detail, CreatedAt: b.now()})
	if err != nil {
		b.log.Error("telegram action not audited", zap.String("action", action), zap.Error(err))
	}
}
