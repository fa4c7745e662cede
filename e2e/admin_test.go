package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

// consoleClient speaks the admin JSON API with a bearer token.
type consoleClient struct {
	base, token string
	hc          *http.Client
}

func consoleLogin(t *testing.T, g *gateway) *consoleClient {
	t.Helper()
	c := &consoleClient{base: g.base() + "/admin/api/v1/", hc: &http.Client{Timeout: 30 * time.Second}}
	code, body := c.do(t, "POST", "auth/login", map[string]string{"username": adminUser, "password": adminPassword})
	var tok struct {
		Data struct {
			AccessToken string `json:"access_token"`
		} `json:"data"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.Data.AccessToken == "" {
		t.Fatalf("admin login: %d %s", code, body)
	}
	c.token = tok.Data.AccessToken
	return c
}

func (c *consoleClient) do(t *testing.T, method, path string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		StatusCode int `json:"status_code"`
	}
	if json.Unmarshal(b, &env) == nil && env.StatusCode != 0 {
		return env.StatusCode, string(b) // the envelope's code decides
	}
	return resp.StatusCode, string(b)
}

// TestAdminMarkPaidVerifiesOnChain: a payment that arrives after the late
// grace stays unmatched; the operator finds it and marks the order paid by
// its tx hash, which the gateway verifies on devchain. Wrong hashes, a tx
// to another wallet, a wrong amount and an already used tx are refused with
// their reasons. The console finds the order by tx hash and resends its
// callback, which the shop receives again with the same event id.
func TestAdminMarkPaidVerifiesOnChain(t *testing.T) {
	chain := startChain(t, chainOpts{})
	g := newGateway(t, chain, gwOpts{Env: map[string]string{"ORDER_TIMEOUT_MIN": "1s", "LATE_PAYMENT_GRACE": "1s"}})
	m := newMerchant(t, apiToken)
	w0, w1 := g.wallet("tron", 0), g.wallet("tron", 1)
	g.addWallet(t, "tron", w0)
	g.addWallet(t, "tron", w1)
	g.start(t)
	sh := g.shop()

	// An order that expires before its payment arrives.
	env, err := sh.post(t, "/api/v1/order/create-transaction", map[string]string{"order_id": "late-1", "amount": "14",
		"notify_url": m.url("/notify"), "trade_type": "usdt.trc20", "timeout": "2"})
	if err != nil || env.StatusCode != 200 {
		t.Fatalf("create: %v %+v", err, env)
	}
	var late orderData
	_ = json.Unmarshal(env.Data, &late)
	waitFor(t, 20*time.Second, "order expired", func() bool { return sh.status(t, late.TradeID) == store.OrderExpired })
	time.Sleep(2500 * time.Millisecond) // past the 1 s grace, with block times in whole seconds
	amount := strconv.FormatFloat(late.ActualAmount, 'f', 2, 64)
	lateTx := chain.pay(t, "usdt6", late.Token, amount)

	other := sh.create(t, "other-1", "21", m.url("/notify"), "usdt.trc20")
	otherAmount := strconv.FormatFloat(other.ActualAmount, 'f', 2, 64)
	toOtherWallet := chain.pay(t, "usdt6", walletOtherThan(other.Token, w0, w1), otherAmount)
	wrongAmount := chain.pay(t, "usdt6", other.Token, "0.37")

	st := g.openStore(t)
	waitFor(t, 60*time.Second, "the late payment recorded as unmatched", func() bool {
		ts, _ := st.TransfersOfTx(t.Context(), "tron", normTx(lateTx.TxHash))
		return len(ts) == 1 && ts[0].MatchStatus == store.MatchUnmatched
	})
	waitFor(t, 60*time.Second, "the other payments settled", func() bool {
		ts, _ := st.TransfersOfTx(t.Context(), "tron", normTx(wrongAmount.TxHash))
		return len(ts) == 1 && ts[0].State == store.TransferSettled
	})
	if sh.status(t, late.TradeID) != store.OrderExpired {
		t.Fatal("a payment after the grace paid the order")
	}

	a := consoleLogin(t, g)
	markPaid := func(trade, tx string) (int, string) {
		return a.do(t, "POST", "orders/"+trade+"/mark-paid", map[string]any{"tx_hash": tx})
	}
	for name, c := range map[string]struct{ tx, reason string }{
		"unknown tx":     {strings.Repeat("ab", 32), "was not found"},
		"another wallet": {toOtherWallet.TxHash, "not the order's wallet"},
		"wrong amount":   {wrongAmount.TxHash, "the order expects exactly"},
	} {
		code, body := markPaid(other.TradeID, c.tx)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, c.reason) {
			t.Errorf("%s: mark-paid answered %d %s, want 422 with %q", name, code, body, c.reason)
		}
	}
	if code, body := markPaid(late.TradeID, lateTx.TxHash); code != 200 {
		t.Fatalf("mark-paid with the verified late tx: %d %s", code, body)
	}
	// The used tx cannot pay another order (here it also has the wrong
	// amount; the console's unit tests cover "already used" alone).
	if code, body := markPaid(other.TradeID, lateTx.TxHash); code != http.StatusUnprocessableEntity || !strings.Contains(body, "refused") {
		t.Errorf("reusing the tx: %d %s", code, body)
	}
	waitFor(t, 30*time.Second, "callback of the hand-paid order", func() bool { return len(m.callbacks()) == 1 })
	first := m.callbacks()[0]
	if first.Fields["trade_id"] != late.TradeID || first.Fields["status"] != "2" || first.Fields["amount"] != "14" {
		t.Fatalf("callback %+v", first.Fields)
	}
	if sh.status(t, late.TradeID) != store.OrderPaid || sh.status(t, other.TradeID) != store.OrderWaiting {
		t.Fatal("statuses after mark-paid are wrong")
	}

	code, body := a.do(t, "GET", "orders?q="+normTx(lateTx.TxHash), nil)
	if code != 200 || !strings.Contains(body, late.TradeID) {
		t.Fatalf("order search by tx hash: %d %s", code, tail(body, 500))
	}
	if code, body := a.do(t, "POST", "orders/"+late.TradeID+"/resend", nil); code != 200 {
		t.Fatalf("resend: %d %s", code, body)
	}
	waitFor(t, 30*time.Second, "the resent callback", func() bool { return len(m.callbacks()) == 2 })
	if again := m.callbacks()[1]; again.EventID != first.EventID || again.Fields["trade_id"] != late.TradeID {
		t.Fatalf("resent callback %s/%s, want event %s", again.EventID, again.Fields["trade_id"], first.EventID)
	}
	code, body = a.do(t, "GET", "audit?action=order.mark_paid", nil)
	if code != 200 || !strings.Contains(body, late.TradeID) || !strings.Contains(body, adminUser) {
		t.Errorf("audit log lacks the mark-paid: %d %s", code, tail(body, 500))
	}
	g.stop(t)
}

// walletOtherThan returns whichever of a, b is not w.
func walletOtherThan(w, a, b string) string {
	if w == a {
		return b
	}
	return a
}
