package admin

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestOrdersListDetailAndCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tok := e.login(testUser, testPassword).AccessToken
		paid := e.order("TRADE0001", walletA, "10000000", store.OrderPaid)
		e.order("TRADE0002", walletB, "20000000", store.OrderWaiting)
		e.order("TRADE0003", walletA, "=cmd|' /C calc'!A0", store.OrderWaiting)

		var l OrderList
		r := e.call("GET", "/admin/api/v1/orders?status=paid", tok, nil)
		expect(t, r, 200, "")
		r.into(t, &l)
		if l.Total != 1 || l.Orders[0].TradeID != "TRADE0001" || l.Orders[0].ExplorerURL == "" {
			t.Fatalf("paid filter: %+v", l)
		}
		for q, want := range map[string]string{"TRADE0002": "TRADE0002", "shop-TRADE0002": "TRADE0002", paid.BlockTransactionID: "TRADE0001",
			strings.ToUpper(paid.BlockTransactionID): "TRADE0001", walletB: "TRADE0002"} {
			r = e.call("GET", "/admin/api/v1/orders?q="+q, tok, nil)
			r.into(t, &l)
			if l.Total != 1 || l.Orders[0].TradeID != want {
				t.Errorf("search %s: %+v", q, l.Orders)
			}
		}
		r = e.call("GET", "/admin/api/v1/orders?per_page=2&page=2", tok, nil)
		r.into(t, &l)
		if l.Total != 3 || len(l.Orders) != 1 || l.Orders[0].TradeID != "TRADE0001" {
			t.Fatalf("page 2: %+v", l)
		}
		today := e.clock.now().Format("2006-01-02")
		r = e.call("GET", "/admin/api/v1/orders?chain=tron&from="+today+"&to="+today, tok, nil)
		r.into(t, &l)
		if l.Total != 3 {
			t.Fatalf("date range: %d", l.Total)
		}
		expect(t, e.call("GET", "/admin/api/v1/orders?status=bogus", tok, nil), 400, "status")
		expect(t, e.call("GET", "/admin/api/v1/orders?chain=doge", tok, nil), 400, "chain")
		expect(t, e.call("GET", "/admin/api/v1/orders?from=yesterday", tok, nil), 400, "from")

		r = e.call("GET", "/admin/api/v1/orders?format=csv", tok, nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.Data))).ReadAll()
		if err != nil || len(rows) != 4 || rows[0][0] != "trade_id" {
			t.Fatalf("csv: %v %v", rows, err)
		}
		var d OrderDetail
		r = e.call("GET", "/admin/api/v1/orders/TRADE0001", tok, nil)
		expect(t, r, 200, "")
		r.into(t, &d)
		kinds := []string{}
		for _, ev := range d.Timeline {
			kinds = append(kinds, ev.Kind)
		}
		if strings.Join(kinds, ",") != "created,paid,callback" || len(d.Deliveries) != 1 || len(d.Callbacks) != 1 {
			t.Fatalf("detail: %v %+v", kinds, d)
		}
		expect(t, e.call("GET", "/admin/api/v1/orders/NOPE", tok, nil), 404, "not found")
	})
}

func TestCSVCellsAreDefused(t *testing.T) {
	if csvCell("=1+1") != "'=1+1" || csvCell("@x") != "'@x" || csvCell("ok") != "ok" {
		t.Fatal("csv cell")
	}
}

func TestResendAndCancel(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(testUser, testPassword).AccessToken
	e.order("TRADE0001", walletA, "10000000", store.OrderPaid)
	e.order("TRADE0002", walletB, "20000000", store.OrderWaiting)
	r := e.call("POST", "/admin/api/v1/orders/TRADE0001/resend", tok, nil)
	expect(t, r, 200, "")
	var d OrderDetail
	r.into(t, &d)
	if len(d.Deliveries) != 2 || d.Callbacks[0].Status != store.CallbackPending {
		t.Fatalf("after resend: %+v", d)
	}
	expect(t, e.call("POST", "/admin/api/v1/orders/TRADE0002/resend", tok, nil), 409, "no callback")
	expect(t, e.call("POST", "/admin/api/v1/orders/NOPE/resend", tok, nil), 404, "")
	expect(t, e.call("POST", "/admin/api/v1/orders/TRADE0001/cancel", tok, nil), 409, "only a waiting order")
	r = e.call("POST", "/admin/api/v1/orders/TRADE0002/cancel", tok, nil)
	expect(t, r, 200, "")
	r.into(t, &d)
	if d.Order.Status != store.OrderExpired || !d.Order.Canceled {
		t.Fatalf("cancel: %+v", d.Order)
	}
	expect(t, e.call("POST", "/admin/api/v1/orders/TRADE0002/cancel", tok, nil), 409, "expired")
	acts := e.auditActions(t)
	if !contains(acts, "order.resend_callback") || !contains(acts, "order.cancel") {
		t.Fatalf("audit %v", acts)
	}
}

func TestMarkPaidVerifiesOnChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tok := e.login(testUser, testPassword).AccessToken
		ctx := context.Background()
		e.order("TRADE0010", walletA, "12340000", store.OrderWaiting)
		e.order("TRADE0011", walletA, "12350000", store.OrderWaiting)
		hash := func(c string) string { return strings.Repeat(c, 64) }
		e.verifier.add(e.chainTransfer(hash("1"), 0, walletB, "12340000")) // another wallet
		e.verifier.add(e.chainTransfer(hash("2"), 0, walletA, "12000000")) // wrong amount
		pending := e.chainTransfer(hash("3"), 0, walletA, "12340000")      // not settled
		pending.State = store.TransferDetected
		e.verifier.add(pending)
		fake := e.chainTransfer(hash("4"), 0, walletA, "12340000") // another token contract
		fake.TokenContract = walletB
		e.verifier.add(fake)
		early := e.chainTransfer(hash("5"), 0, walletA, "12340000") // before the order existed
		early.BlockTime = e.clock.now().Add(-time.Hour)
		e.verifier.add(early)
		e.verifier.add(e.chainTransfer(hash("6"), 0, walletA, "12340000")) // good
		e.verifier.add(e.chainTransfer(hash("7"), 0, walletA, "12350000")) // good for TRADE0011

		mp := func(trade, tx string) reply {
			return e.call("POST", "/admin/api/v1/orders/"+trade+"/mark-paid", tok, MarkPaidRequest{TxHash: tx})
		}
		expect(t, mp("TRADE0010", "0xnothex"), 400, "not a transaction hash")
		expect(t, mp("TRADE0010", hash("9")), 422, "not found on tron")
		expect(t, mp("TRADE0010", hash("1")), 422, "pays wallet "+walletB)
		expect(t, mp("TRADE0010", hash("2")), 422, "is 12 USDT, the order expects exactly 12.34 USDT")
		expect(t, mp("TRADE0010", hash("3")), 422, "not settled")
		expect(t, mp("TRADE0010", hash("4")), 422, "not the order's USDT contract")
		expect(t, mp("TRADE0010", hash("5")), 422, "before the order was created")
		one := uint(1)
		expect(t, e.call("POST", "/admin/api/v1/orders/TRADE0010/mark-paid", tok, MarkPaidRequest{TxHash: hash("6"), LogIndex: &one}), 422, "log index 1")
		if o, _ := st.GetOrder(ctx, "TRADE0010"); o.Status != store.OrderWaiting {
			t.Fatal("a refused mark-paid changed the order")
		}
		r := mp("TRADE0010", "0x"+strings.ToUpper(hash("6")))
		expect(t, r, 200, "")
		var d OrderDetail
		r.into(t, &d)
		if d.Order.Status != store.OrderPaid || d.Order.BlockTransactionID != hash("6") || len(d.Callbacks) != 1 {
			t.Fatalf("paid: %+v", d)
		}
		expect(t, mp("TRADE0010", hash("6")), 409, "already paid")
		// The same tx cannot pay a second order.
		e.order("TRADE0012", walletA, "12340000", store.OrderWaiting)
		expect(t, mp("TRADE0012", hash("6")), 422, "already used: it paid trade TRADE0010")
		expect(t, mp("TRADE0011", hash("7")), 200, "")
		acts := e.auditActions(t)
		if !contains(acts, "order.mark_paid") || !contains(acts, "order.mark_paid_refused") {
			t.Fatalf("audit %v", acts)
		}
	})
}

func TestWalletsAPI(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(testUser, testPassword).AccessToken
	expect(t, e.call("POST", "/admin/api/v1/wallets", tok, WalletRequest{Chain: "tron", Address: "0x52908400098527886E0F7030069857D2E4169EE7"}), 400, "not a valid tron address")
	expect(t, e.call("POST", "/admin/api/v1/wallets", tok, WalletRequest{Chain: "ethereum", Address: "0x0000000000000000000000000000000000000000"}), 400, "address")
	expect(t, e.call("POST", "/admin/api/v1/wallets", tok, WalletRequest{Chain: "doge", Address: walletA}), 400, "chain")
	r := e.call("POST", "/admin/api/v1/wallets", tok, WalletRequest{Chain: "tron", Address: walletA, Label: "main"})
	expect(t, r, 200, "")
	var w WalletView
	r.into(t, &w)
	expect(t, e.call("POST", "/admin/api/v1/wallets", tok, WalletRequest{Chain: "tron", Address: walletA}), 409, "already")
	r = e.call("POST", "/admin/api/v1/wallets", tok, WalletRequest{Chain: "ethereum", Address: "0x52908400098527886e0f7030069857d2e4169ee7"})
	expect(t, r, 200, "")
	var ew WalletView
	r.into(t, &ew)
	if ew.Address != "0x52908400098527886E0F7030069857D2E4169EE7" {
		t.Fatalf("not checksummed: %s", ew.Address)
	}
	id := func(v WalletView) string { return "/admin/api/v1/wallets/" + itoa(v.ID) }
	expect(t, e.call("POST", id(w)+"/label", tok, WalletRequest{Label: "renamed"}), 200, "")
	expect(t, e.call("POST", id(w)+"/disable", tok, nil), 200, "")
	expect(t, e.call("POST", id(w)+"/enable", tok, nil), 200, "")
	expect(t, e.call("POST", id(w)+"/remove", tok, nil), 200, "")
	expect(t, e.call("POST", id(w)+"/enable", tok, nil), 404, "")
	expect(t, e.call("POST", "/admin/api/v1/wallets/abc/enable", tok, nil), 400, "id")

	ctx := context.Background()
	tr := e.chainTransfer(strings.Repeat("c", 64), 0, ew.Address, "1500000")
	tr.Chain, tr.TokenContract = "ethereum", "0xdAC17F958D2ee523a2206206994597C13D831ec7"
	if _, err := e.st.InsertScannedTransfer(ctx, &tr, e.clock.now()); err != nil {
		t.Fatal(err)
	}
	r = e.call("GET", "/admin/api/v1/wallets", tok, nil)
	var l struct{ Wallets []WalletView }
	r.into(t, &l)
	if len(l.Wallets) != 2 || l.Wallets[0].Status != "removed" || l.Wallets[0].Label != "renamed" || l.Wallets[1].Received != "1.5" {
		t.Fatalf("wallets %+v", l.Wallets)
	}
	acts := e.auditActions(t)
	for _, a := range []string{"wallet.add", "wallet.label", "wallet.disable", "wallet.enable", "wallet.remove"} {
		if !contains(acts, a) {
			t.Errorf("audit lacks %s", a)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTransfersAndAttribute(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(testUser, testPassword).AccessToken
	ctx := context.Background()
	e.order("TRADE0020", walletA, "5000000", store.OrderWaiting)
	tr := e.chainTransfer(strings.Repeat("d", 64), 2, walletA, "5000000")
	if _, err := e.st.InsertScannedTransfer(ctx, &tr, e.clock.now()); err != nil {
		t.Fatal(err)
	}
	_ = e.st.SetTransferMatch(ctx, tr.ID, store.MatchUnmatched, "", "no order for amount", e.clock.now())
	e.verifier.add(tr)
	var l TransferList
	r := e.call("GET", "/admin/api/v1/transfers?match=attention", tok, nil)
	r.into(t, &l)
	if l.Total != 1 || !l.Transfers[0].Attention || l.Transfers[0].Amount != "5" {
		t.Fatalf("attention %+v", l)
	}
	expect(t, e.call("GET", "/admin/api/v1/transfers?match=weird", tok, nil), 400, "match")
	expect(t, e.call("POST", "/admin/api/v1/transfers/"+itoa(tr.ID)+"/attribute", tok, map[string]string{"trade_id": "NOPE"}), 404, "")
	r = e.call("POST", "/admin/api/v1/transfers/"+itoa(tr.ID)+"/attribute", tok, map[string]string{"trade_id": "TRADE0020"})
	expect(t, r, 200, "")
	var v TransferView
	r.into(t, &v)
	if v.MatchStatus != store.MatchPaid || v.TradeID != "TRADE0020" {
		t.Fatalf("attributed %+v", v)
	}
	if o, _ := e.st.GetOrder(ctx, "TRADE0020"); o.Status != store.OrderPaid {
		t.Fatal("order not paid")
	}
	e.order("TRADE0021", walletA, "5000000", store.OrderWaiting)
	expect(t, e.call("POST", "/admin/api/v1/transfers/"+itoa(tr.ID)+"/attribute", tok, map[string]string{"trade_id": "TRADE0021"}), 422, "already used")
}

func TestCallbacksAuditSettingsDashboard(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.login(testUser, testPassword).AccessToken
	ctx := context.Background()
	e.order("TRADE0031", walletA, "10000000", store.OrderPaid)
	e.order("TRADE0032", walletA, "11000000", store.OrderWaiting)
	var cl CallbackList
	r := e.call("GET", "/admin/api/v1/callbacks", tok, nil)
	r.into(t, &cl)
	if len(cl.Jobs) != 1 || len(cl.Deliveries) != 1 {
		t.Fatalf("callbacks %+v", cl)
	}
	expect(t, e.call("GET", "/admin/api/v1/callbacks?status=odd", tok, nil), 400, "")
	var br BulkResendResult
	r = e.call("POST", "/admin/api/v1/callbacks/resend", tok, BulkResendRequest{TradeIDs: []string{"TRADE0031", "TRADE0032"}})
	expect(t, r, 200, "")
	r.into(t, &br)
	if len(br.Resent) != 1 || br.Failed["TRADE0032"] == "" {
		t.Fatalf("bulk %+v", br)
	}
	expect(t, e.call("POST", "/admin/api/v1/callbacks/resend", tok, BulkResendRequest{}), 400, "trade_ids")

	var s Settings
	r = e.call("GET", "/admin/api/v1/settings", tok, nil)
	r.into(t, &s)
	if strings.Contains(string(r.Data), e.cfg.AdminJWTSecret) || strings.Contains(string(r.Data), e.cfg.APIAuthToken) || len(s.Effective) < 20 {
		t.Fatalf("settings leak or empty: %s", r.Data)
	}
	r = e.call("POST", "/admin/api/v1/settings/api-token/rotate", tok, nil)
	var rot struct {
		Token string `json:"api_auth_token"`
	}
	r.into(t, &rot)
	if len(rot.Token) < 32 || e.tokens.Current() != rot.Token {
		t.Fatalf("rotate: %+v current %s", rot, e.tokens.Current())
	}
	if v, _ := e.st.GetSetting(ctx, APITokenSetting); v != rot.Token {
		t.Fatal("not stored")
	}
	other := NewTokens(e.st, "configured", nil)
	if err := other.Load(ctx); err != nil || other.Current() != rot.Token || !other.Rotated() {
		t.Fatal("another instance does not load the rotated token")
	}
	r = e.call("GET", "/admin/api/v1/settings", tok, nil)
	if strings.Contains(string(r.Data), rot.Token) || !strings.Contains(string(r.Data), `"rotated"`) {
		t.Fatalf("settings after rotation: %s", r.Data)
	}

	var al struct{ Entries []AuditView }
	r = e.call("GET", "/admin/api/v1/audit?action=settings.rotate_api_token", tok, nil)
	r.into(t, &al)
	if len(al.Entries) != 1 || al.Entries[0].Actor != testUser || al.Entries[0].IP != "127.0.0.1" || strings.Contains(al.Entries[0].Detail, rot.Token) {
		t.Fatalf("audit %+v", al)
	}
	r = e.call("GET", "/admin/api/v1/audit?actor="+testUser, tok, nil)
	r.into(t, &al)
	if len(al.Entries) < 3 {
		t.Fatalf("audit by actor %+v", al)
	}

	var d Dashboard
	r = e.call("GET", "/admin/api/v1/dashboard", tok, nil)
	r.into(t, &d)
	if d.Orders["paid"] != 1 || d.Orders["waiting"] != 1 || d.ConversionRate != "100.0" || len(d.Volume) != 1 || d.Volume[0].Week != "10.00" {
		t.Fatalf("dashboard %+v", d)
	}
}
