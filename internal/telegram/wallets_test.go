package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
	"github.com/epusdt/epusdt/internal/telegram/tgtest"
)

func press(t *testing.T, h *harness, who tgtest.User, on tgtest.Sent, data string) {
	t.Helper()
	if _, ok := on.Button(data); !ok {
		t.Fatalf("message %q has no button %q", on.Text, data)
	}
	h.tg.PushPress(who, on, data)
}

func TestManagerAddsTronWalletThroughKeyboard(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		h := newHarness(t, st, nil, nil)
		h.start()
		ctx := context.Background()

		h.tg.PushText(ann(), "/start")
		menu := h.waitText(annID, 0, "/addwallet")
		n := len(h.tg.Sent())
		press(t, h, ann(), menu, "wa")
		chains := h.waitText(annID, n, "Which chain")
		if chains.Method != "editMessageText" || chains.MessageID != menu.MessageID {
			t.Fatalf("the chain question should replace the menu, got %s of message %d", chains.Method, chains.MessageID)
		}
		n = len(h.tg.Sent())
		press(t, h, ann(), chains, "wa:tron")
		h.waitText(annID, n, "Send the TRON address")

		n = len(h.tg.Sent())
		h.tg.PushText(ann(), "TXYZnotAnAddress")
		h.waitText(annID, n, "Not a valid TRON address")
		if ws, _ := st.ListWallets(ctx, "", true); len(ws) != 0 {
			t.Fatalf("an invalid address was stored: %+v", ws)
		}
		n = len(h.tg.Sent())
		h.tg.PushText(ann(), "0x52908400098527886E0F7030069857D2E4169EE7") // EVM address on TRON: refused too
		h.waitText(annID, n, "Not a valid TRON address")

		addr := tronAddr(7)
		n = len(h.tg.Sent())
		h.tg.PushText(ann(), addr+" shop main")
		done := h.waitText(annID, n, "Added TRON wallet "+addr, "enabled")
		if _, ok := done.Button("ws:"); !ok {
			t.Errorf("the answer should list the wallets with buttons: %+v", done.Markup)
		}
		ws, err := st.EnabledWallets(ctx, "tron")
		if err != nil || len(ws) != 1 || ws[0].Address != addr || ws[0].Label != "shop main" {
			t.Fatalf("enabled TRON wallets = %+v, %v; want %s labelled", ws, err, addr)
		}

		// The same address again is answered clearly and stored once.
		n = len(h.tg.Sent())
		h.tg.PushText(ann(), "/addwallet")
		q := h.waitText(annID, n, "Which chain")
		n = len(h.tg.Sent())
		press(t, h, ann(), q, "wa:tron")
		h.waitText(annID, n, "Send the TRON address")
		n = len(h.tg.Sent())
		h.tg.PushText(ann(), addr)
		h.waitText(annID, n, "exists already", addr)
		if all, _ := st.ListWallets(ctx, "", true); len(all) != 1 {
			t.Fatalf("duplicate stored: %+v", all)
		}

		audits, err := st.ListAudit(ctx, store.AuditFilter{Action: "telegram.wallet.add"})
		if err != nil {
			t.Fatal(err)
		}
		var results []string
		for _, a := range audits {
			if a.Actor != "1001" || a.ActorKind != store.ActorTelegram {
				t.Errorf("audit actor = %s/%s, want 1001/telegram", a.Actor, a.ActorKind)
			}
			switch {
			case strings.HasPrefix(a.Detail, "refused: duplicate"):
				results = append(results, "duplicate")
			case strings.HasPrefix(a.Detail, "refused: "):
				results = append(results, "refused")
			default:
				results = append(results, a.Detail)
			}
		}
		if strings.Join(results, ",") != "duplicate,ok; label=shop main,refused,refused" { // newest first
			t.Errorf("audit of wallet.add = %v (%+v)", results, audits)
		}
	})
}

func TestWalletEnableDisableRemove(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctx := context.Background()
		h := newHarness(t, st, nil, nil)
		addr := tronAddr(40)
		w, err := st.AddWallet(ctx, "tron", addr, "", h.bot.now())
		if err != nil {
			t.Fatal(err)
		}
		h.start()
		h.tg.PushText(bob(), "/wallets")
		list := h.waitText(bobID, 0, "TRON：1 个启用") // Bob's Telegram speaks Chinese
		n := len(h.tg.Sent())
		press(t, h, bob(), list, "ws:"+itoa(w.ID))
		detail := h.waitText(bobID, n, addr, "已启用")
		n = len(h.tg.Sent())
		press(t, h, bob(), detail, "wd:"+itoa(w.ID))
		detail = h.waitText(bobID, n, addr, "已停用")
		if ws, _ := st.EnabledWallets(ctx, "tron"); len(ws) != 0 {
			t.Fatalf("disabled wallet still enabled: %+v", ws)
		}
		n = len(h.tg.Sent())
		press(t, h, bob(), detail, "we:"+itoa(w.ID))
		detail = h.waitText(bobID, n, addr, "已启用")
		if ws, _ := st.EnabledWallets(ctx, "tron"); len(ws) != 1 {
			t.Fatalf("re-enabled wallet not enabled: %+v", ws)
		}
		n = len(h.tg.Sent())
		press(t, h, bob(), detail, "wr:"+itoa(w.ID))
		confirm := h.waitText(bobID, n, "删除")
		n = len(h.tg.Sent())
		press(t, h, bob(), confirm, "wx:"+itoa(w.ID))
		h.waitText(bobID, n, "已删除")
		if ws, _ := st.ListWallets(ctx, "tron", false); len(ws) != 0 {
			t.Fatalf("removed wallet still listed: %+v", ws)
		}
		for _, action := range []string{"telegram.wallet.disable", "telegram.wallet.enable", "telegram.wallet.remove"} {
			a, err := st.ListAudit(ctx, store.AuditFilter{Action: action})
			if err != nil || len(a) != 1 || a[0].Actor != "1002" || a[0].Target != "tron:"+addr || a[0].Detail != "ok" {
				t.Errorf("audit %s = %+v, %v", action, a, err)
			}
		}
		if got := len(h.tg.Answers()); got < 5 {
			t.Errorf("every button press must be answered; %d answers", got)
		}
	})
}

func TestStrangerGetsNothingAndIsLogged(t *testing.T) {
	t.Parallel()
	func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		h := newHarness(t, st, nil, nil)
		h.start()
		h.tg.PushText(evil(), "/start")
		h.tg.PushText(evil(), "/addwallet")
		h.tg.PushText(evil(), "/resend T123")
		h.tg.PushPress(evil(), tgtest.Sent{ChatID: evilID, MessageID: 1}, "wa:tron")
		h.tg.PushText(evil(), tronAddr(9))
		h.tg.PushTextIn(tgtest.Chat{ID: -100123, Type: "supergroup"}, ann(), "/wallets") // managers: private chats only
		// A manager's command queued after them is answered: the stranger's
		// updates were read and dropped before it.
		h.tg.PushText(ann(), "/start")
		h.waitText(annID, 0, "/addwallet")

		for _, m := range h.tg.Sent() {
			if m.ChatID == evilID || m.ChatID == -100123 {
				t.Errorf("the stranger got a message: %q", m.Text)
			}
		}
		if a := h.tg.Answers(); len(a) != 0 {
			t.Errorf("the stranger's button press was answered: %+v", a)
		}
		if ws, _ := st.ListWallets(ctx, "", true); len(ws) != 0 {
			t.Errorf("the stranger added a wallet: %+v", ws)
		}
		if g := h.logs.FilterMessageSnippet("group chat").All(); len(g) != 1 {
			t.Errorf("the group message was not logged as ignored: %d", len(g))
		}
		logged := h.logs.FilterMessageSnippet("not in tg_manage").All()
		if len(logged) != 5 {
			t.Fatalf("want 5 refused updates logged, got %d", len(logged))
		}
		f := logged[0].ContextMap()
		if f["user_id"] != int64(evilID) || f["username"] != "mallory" || f["command"] != "/start" {
			t.Errorf("refusal log fields = %v", f)
		}
		audits, _ := st.ListAudit(ctx, store.AuditFilter{})
		for _, a := range audits {
			if a.Actor == itoa(evilID) {
				t.Errorf("the stranger's update was handled as an action: %+v", a)
			}
		}
	}(t, storetest.Open(t, store.SQLite))
}
