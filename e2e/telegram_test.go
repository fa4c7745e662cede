package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/telegram/tgtest"
)

const tgManager = 4242

// TestTelegramWalletAndPaidNotification drives the real gateway's bot
// through a fake Bot API: a manager adds a TRON wallet with the keyboard,
// the next order uses it, the payment on devchain settles, and every
// manager gets the paid notification with the order's fields.
func TestTelegramWalletAndPaidNotification(t *testing.T) {
	tg := tgtest.New("123456:e2e-bot-token")
	t.Cleanup(tg.Close)
	chain := startChain(t, chainOpts{})
	g := newGateway(t, chain, gwOpts{Env: map[string]string{
		"TG_BOT_TOKEN": "123456:e2e-bot-token", "TG_PROXY": tg.URL, "TG_MANAGE": strconv.Itoa(tgManager),
	}})
	m := newMerchant(t, apiToken)
	g.start(t)
	manager := tgtest.User{ID: tgManager, FirstName: "Op", LanguageCode: "en"}
	wait := func(skip int, parts ...string) tgtest.Sent {
		t.Helper()
		msg, err := tg.WaitSent(30*time.Second, skip, func(s tgtest.Sent) bool {
			for _, p := range parts {
				if !strings.Contains(s.Text, p) {
					return false
				}
			}
			return s.ChatID == tgManager
		})
		if err != nil {
			t.Fatalf("no bot message with %q: %v; sent: %+v", parts, err, tg.Sent())
		}
		return msg
	}
	tg.PushText(manager, "/addwallet")
	q := wait(0, "Which chain")
	n := len(tg.Sent())
	tg.PushPress(manager, q, "wa:tron")
	wait(n, "Send the TRON address")
	n = len(tg.Sent())
	tg.PushText(manager, "TNotAValidAddress1234")
	wait(n, "Not a valid TRON address")
	addr := g.wallet("tron", 7)
	n = len(tg.Sent())
	tg.PushText(manager, addr)
	wait(n, "Added TRON wallet "+addr)

	o := g.shop().create(t, "tg-order-1", "35", m.url("/notify"), "usdt.trc20")
	if o.Token != addr {
		t.Fatalf("the order pays %s, not the wallet the manager added (%s)", o.Token, addr)
	}
	n = len(tg.Sent())
	tx := chain.pay(t, "usdt6", addr, strconv.FormatFloat(o.ActualAmount, 'f', 2, 64))
	waitFor(t, 60*time.Second, "the callback", func() bool { return len(m.callbacks()) == 1 })
	paid := wait(n, o.TradeID, "tg-order-1")
	for _, want := range []string{"35", strconv.FormatFloat(o.ActualAmount, 'f', -1, 64), addr, strings.TrimPrefix(strings.ToLower(tx.TxHash), "0x")} {
		if !strings.Contains(strings.ToLower(paid.Text), strings.ToLower(want)) {
			t.Errorf("paid notification lacks %q:\n%s", want, paid.Text)
		}
	}
	g.stop(t)
}
