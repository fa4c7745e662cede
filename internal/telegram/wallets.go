package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
)

// pendingAdd is a manager's unfinished "add wallet": the chain is chosen,
// the address is awaited until the deadline.
type pendingAdd struct {
	chain string
	until time.Time
}

// maxListed caps the wallets shown in one list message.
const maxListed = 30

func (b *Bot) setPending(uid int64, chain string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.convs[uid] = pendingAdd{chain: chain, until: b.now().Add(b.tune.convTTL)}
}

func (b *Bot) clearPending(uid int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.convs, uid)
}

// pendingChain returns the chain whose address uid is asked for; an expired
// question is forgotten.
func (b *Bot) pendingChain(uid int64) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.convs[uid]
	if ok && b.now().After(p.until) {
		delete(b.convs, uid)
		return "", false
	}
	return p.chain, ok
}

func chainTitle(chain string) string {
	switch chain {
	case address.Tron:
		return "TRON"
	case address.BSC:
		return "BSC"
	}
	return strings.ToUpper(chain[:1]) + chain[1:]
}

func (b *Bot) menuKeyboard(uid int64) *Keyboard {
	return &Keyboard{InlineKeyboard: [][]Button{
		{{Text: b.tr(uid, "btn.wallets"), CallbackData: "wl"}, {Text: b.tr(uid, "btn.add"), CallbackData: "wa"}},
		{{Text: b.tr(uid, "btn.stats"), CallbackData: "st"}, {Text: b.tr(uid, "btn.health"), CallbackData: "hl"}},
	}}
}

func (b *Bot) backKeyboard(uid int64) *Keyboard {
	return &Keyboard{InlineKeyboard: [][]Button{{{Text: b.tr(uid, "btn.menu"), CallbackData: "m"}}}}
}

func (b *Bot) chainKeyboard(uid int64) *Keyboard {
	var row []Button
	for _, c := range address.Chains() {
		row = append(row, Button{Text: chainTitle(c), CallbackData: "wa:" + c})
	}
	return &Keyboard{InlineKeyboard: [][]Button{row, {{Text: b.tr(uid, "btn.menu"), CallbackData: "m"}}}}
}

// walletList renders the wallets, with each chain's status, and a button
// per wallet.
func (b *Bot) walletList(ctx context.Context, uid int64) (string, *Keyboard) {
	ws, err := b.st.ListWallets(ctx, "", false)
	if err != nil {
		return b.tr(uid, "wallet.failed", err.Error()), b.backKeyboard(uid)
	}
	var sb strings.Builder
	sb.WriteString(b.tr(uid, "wallets.title"))
	states := b.chainStates()
	for _, c := range address.Chains() {
		on, off := 0, 0
		for _, w := range ws {
			if w.Chain == c && w.Status == store.WalletEnabled {
				on++
			} else if w.Chain == c {
				off++
			}
		}
		sb.WriteString("\n" + b.tr(uid, "wallets.chain", chainTitle(c), on, off, b.chainNote(uid, c, states)))
	}
	if len(ws) == 0 {
		sb.WriteString("\n\n" + b.tr(uid, "wallets.none"))
	}
	kb := &Keyboard{}
	for i, w := range ws {
		if i == maxListed {
			sb.WriteString("\n" + b.tr(uid, "wallets.more", len(ws)-maxListed))
			break
		}
		mark := "✅"
		if w.Status != store.WalletEnabled {
			mark = "⏸"
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, []Button{{Text: fmt.Sprintf("%s %s %s", mark, chainTitle(w.Chain),
			shortAddr(w.Address)+labelSuffix(w.Label)), CallbackData: "ws:" + strconv.FormatInt(w.ID, 10)}})
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, []Button{{Text: b.tr(uid, "btn.add"), CallbackData: "wa"},
		{Text: b.tr(uid, "btn.menu"), CallbackData: "m"}})
	return sb.String(), kb
}

// chainNote says why a chain may not see payments: scanning off, watcher
// lagging or its RPC failing.
func (b *Bot) chainNote(uid int64, chain string, states map[string]ChainState) string {
	if cc := b.cfg.Chains()[chain]; cc == nil || !cc.Enabled {
		return b.tr(uid, "chain.scan_off")
	}
	s, ok := states[chain]
	switch {
	case !ok || !s.Leader:
		return ""
	case s.RPCFailing:
		return b.tr(uid, "chain.failing")
	case b.cfg.Telegram.ChainLagThreshold > 0 && s.Lag > b.cfg.Telegram.ChainLagThreshold:
		return b.tr(uid, "chain.lagging", s.Lag.Truncate(time.Second))
	}
	return ""
}

func shortAddr(a string) string {
	if len(a) <= 14 {
		return a
	}
	return a[:6] + "…" + a[len(a)-6:]
}

func labelSuffix(l string) string {
	if l == "" {
		return ""
	}
	return " (" + l + ")"
}

// walletDetail renders one wallet with its action buttons.
func (b *Bot) walletDetail(ctx context.Context, uid, id int64) (string, *Keyboard) {
	w, err := b.st.TelegramWalletByID(ctx, id)
	if err != nil {
		text, kb := b.walletList(ctx, uid)
		return b.tr(uid, "wallet.gone") + "\n\n" + text, kb
	}
	status, toggle := b.tr(uid, "wallet.enabled"), Button{Text: b.tr(uid, "btn.disable"), CallbackData: "wd:" + strconv.FormatInt(id, 10)}
	if w.Status != store.WalletEnabled {
		status, toggle = b.tr(uid, "wallet.disabled"), Button{Text: b.tr(uid, "btn.enable"), CallbackData: "we:" + strconv.FormatInt(id, 10)}
	}
	text := b.tr(uid, "wallet.detail", chainTitle(w.Chain), w.Address, w.Label, status, fmtTime(w.CreatedAt))
	return text, &Keyboard{InlineKeyboard: [][]Button{
		{toggle, {Text: b.tr(uid, "btn.remove"), CallbackData: "wr:" + strconv.FormatInt(id, 10)}},
		{{Text: b.tr(uid, "btn.list"), CallbackData: "wl"}},
	}}
}

// addWallet validates the address a manager sent for chain and stores the
// wallet enabled.
func (b *Bot) addWallet(ctx context.Context, uid, chat int64, chain, text string) {
	raw, label, _ := strings.Cut(strings.TrimSpace(text), " ")
	addr, err := address.Normalize(chain, raw)
	if err != nil {
		b.audit(ctx, uid, "wallet.add", chain+":"+cut(raw, 100), "refused: "+err.Error())
		b.replyText(ctx, chat, b.tr(uid, "add.invalid", chainTitle(chain), err.Error()), nil)
		return
	}
	label = cut(strings.TrimSpace(label), 128)
	_, err = b.st.AddWallet(ctx, chain, addr, label, b.now())
	switch {
	case errors.Is(err, store.ErrDuplicate):
		b.clearPending(uid)
		b.audit(ctx, uid, "wallet.add", chain+":"+addr, "refused: duplicate")
		b.replyText(ctx, chat, b.tr(uid, "add.duplicate", chainTitle(chain), addr), b.menuKeyboard(uid))
	case err != nil:
		b.audit(ctx, uid, "wallet.add", chain+":"+addr, "failed: "+err.Error())
		b.replyText(ctx, chat, b.tr(uid, "add.failed", err.Error()), nil)
	default:
		b.clearPending(uid)
		b.audit(ctx, uid, "wallet.add", chain+":"+addr, "ok; label="+label)
		msg := b.tr(uid, "add.ok", chainTitle(chain), addr)
		if cc := b.cfg.Chains()[chain]; cc == nil || !cc.Enabled {
			msg += b.tr(uid, "add.scan_off", chainTitle(chain))
		}
		list, kb := b.walletList(ctx, uid)
		b.replyText(ctx, chat, msg+"\n\n"+list, kb)
	}
}

// walletAction enables, disables or removes wallet id and returns what to
// show next.
func (b *Bot) walletAction(ctx context.Context, uid, id int64, verb string) (string, *Keyboard) {
	w, err := b.st.TelegramWalletByID(ctx, id)
	if err != nil {
		return b.walletDetail(ctx, uid, id)
	}
	target := w.Chain + ":" + w.Address
	switch verb {
	case "enable", "disable":
		status := store.WalletEnabled
		if verb == "disable" {
			status = store.WalletDisabled
		}
		err = b.st.SetWalletStatus(ctx, w.Chain, w.Address, status, b.now())
	case "remove":
		err = b.st.RemoveWallet(ctx, w.Chain, w.Address, b.now())
	}
	b.audit(ctx, uid, "wallet."+verb, target, resultText(err))
	if err != nil {
		return b.tr(uid, "wallet.failed", err.Error()), b.backKeyboard(uid)
	}
	if verb == "remove" {
		text, kb := b.walletList(ctx, uid)
		return b.tr(uid, "wallet.removed", chainTitle(w.Chain), w.Address) + "\n\n" + text, kb
	}
	return b.walletDetail(ctx, uid, id)
}

func (b *Bot) confirmRemove(ctx context.Context, uid, id int64) (string, *Keyboard) {
	w, err := b.st.TelegramWalletByID(ctx, id)
	if err != nil {
		return b.walletDetail(ctx, uid, id)
	}
	sid := strconv.FormatInt(id, 10)
	return b.tr(uid, "wallet.confirm", chainTitle(w.Chain), w.Address), &Keyboard{InlineKeyboard: [][]Button{
		{{Text: b.tr(uid, "btn.remove.yes"), CallbackData: "wx:" + sid}, {Text: b.tr(uid, "btn.list"), CallbackData: "ws:" + sid}},
	}}
}

func resultText(err error) string {
	if err != nil {
		return "failed: " + err.Error()
	}
	return "ok"
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func fmtTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }
