package store_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestAdminsAndLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		a, err := s.CreateAdmin(ctx, "alice", "hash1", now)
		if err != nil || a.ID == 0 || a.Status != store.AdminActive || !a.PasswordChangedAt.Equal(now) {
			t.Fatalf("create: %+v %v", a, err)
		}
		if _, err := s.CreateAdmin(ctx, "alice", "x", now); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate: %v", err)
		}
		if n, _ := s.CountAdmins(ctx); n != 1 {
			t.Fatalf("count %d", n)
		}
		lock := func(n int) time.Duration {
			if n >= 2 {
				return time.Minute
			}
			return 0
		}
		got, err := s.AdminLoginFailed(ctx, a.ID, now, lock)
		if err != nil || got.FailedLogins != 1 || !got.LockedUntil.IsZero() {
			t.Fatalf("first failure: %+v %v", got, err)
		}
		got, _ = s.AdminLoginFailed(ctx, a.ID, now, lock)
		if got.FailedLogins != 2 || !got.LockedUntil.Equal(now.Add(time.Minute)) {
			t.Fatalf("second failure: %+v", got)
		}
		if err := s.AdminLoginSucceeded(ctx, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.GetAdmin(ctx, a.ID); got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
			t.Fatalf("after success: %+v", got)
		}
		later := now.Add(time.Hour)
		if err := s.SetAdminPassword(ctx, a.ID, "hash2", later); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdminTOTP(ctx, a.ID, "SECRET", 7, later); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetAdminByName(ctx, "alice")
		if got.PasswordHash != "hash2" || got.TOTPSecret != "SECRET" || !got.PasswordChangedAt.Equal(later) {
			t.Fatalf("after updates: %+v", got)
		}
		if err := s.SetAdminPassword(ctx, 999, "h", later); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown admin: %v", err)
		}
	})
}

func TestRefreshTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		a, _ := s.CreateAdmin(ctx, "bob", "h", now)
		for i, h := range []string{"h1", "h2"} {
			if err := s.InsertRefreshToken(ctx, store.RefreshToken{AdminID: a.ID, TokenHash: h, Family: "fam",
				ExpiresAt: now.Add(time.Hour), CreatedAt: now.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		rt, err := s.GetRefreshToken(ctx, "h1")
		if err != nil || rt.Family != "fam" || rt.UsedAt != nil || !rt.ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("get: %+v %v", rt, err)
		}
		if err := s.UseRefreshToken(ctx, rt.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := s.UseRefreshToken(ctx, rt.ID, now); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second use: %v", err)
		}
		if live, _ := s.RefreshFamilyLive(ctx, "fam", now); !live {
			t.Fatal("family should be live")
		}
		if live, _ := s.RefreshFamilyLive(ctx, "fam", now.Add(2*time.Hour)); live {
			t.Fatal("expired family live")
		}
		if n, err := s.RevokeRefreshFamily(ctx, "fam", now); err != nil || n != 2 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if live, _ := s.RefreshFamilyLive(ctx, "fam", now); live {
			t.Fatal("revoked family live")
		}
		_ = s.InsertRefreshToken(ctx, store.RefreshToken{AdminID: a.ID, TokenHash: "h3", Family: "f2", ExpiresAt: now.Add(time.Hour), CreatedAt: now})
		if n, _ := s.RevokeAdminRefreshTokens(ctx, a.ID, now); n != 1 {
			t.Fatalf("revoke admin: %d", n)
		}
		if n, _ := s.DeleteOldRefreshTokens(ctx, now.Add(2*time.Hour)); n != 3 {
			t.Fatalf("delete old: %d", n)
		}
		if _, err := s.GetRefreshToken(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted token: %v", err)
		}
	})
}

func adminOrder(tradeID, orderID, wallet string, created time.Time) store.Order {
	return store.Order{TradeID: tradeID, OrderID: orderID, Chain: "tron", TradeType: "usdt.trc20", TokenContract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
		Decimals: 6, Fiat: "CNY", Amount: "72", Rate: "7.2", ActualAmount: "10.00", AmountUnits: "10000000", Token: wallet,
		NotifyURL: "http://shop/notify", CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}
}

func TestAdminOrderQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		for i, id := range []string{"T1", "T2", "T3"} {
			if ok, err := s.InsertOrder(ctx, adminOrder(id, "O"+id, "TWallet"+id, now.Add(time.Duration(i)*time.Hour))); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		o2, _ := s.GetOrder(ctx, "T2")
		if err := s.MarkOrderPaid(ctx, o2.ID, "abc123", now.Add(90*time.Minute), false, now); err != nil {
			t.Fatal(err)
		}
		got, total, err := s.SearchOrders(ctx, store.OrderFilter{Status: store.OrderPaid})
		if err != nil || total != 1 || got[0].TradeID != "T2" {
			t.Fatalf("by status: %v %d %v", got, total, err)
		}
		for _, term := range []string{"T3", "OT3", "TWalletT3"} {
			got, total, _ = s.SearchOrders(ctx, store.OrderFilter{Terms: []string{term}})
			if total != 1 || got[0].TradeID != "T3" {
				t.Fatalf("term %s: %v", term, got)
			}
		}
		got, total, _ = s.SearchOrders(ctx, store.OrderFilter{Terms: []string{"abc123"}})
		if total != 1 || got[0].TradeID != "T2" {
			t.Fatalf("by tx: %v", got)
		}
		got, total, _ = s.SearchOrders(ctx, store.OrderFilter{Since: now.Add(30 * time.Minute), Limit: 1})
		if total != 2 || len(got) != 1 || got[0].TradeID != "T3" {
			t.Fatalf("since + page: %v %d", got, total)
		}
		got, _, _ = s.SearchOrders(ctx, store.OrderFilter{Limit: 1, Offset: 2})
		if len(got) != 1 || got[0].TradeID != "T1" {
			t.Fatalf("offset: %v", got)
		}
		counts, _ := s.OrderStatusCounts(ctx, now, now.Add(24*time.Hour))
		if counts[store.OrderWaiting] != 2 || counts[store.OrderPaid] != 1 {
			t.Fatalf("counts %v", counts)
		}
		paid, _ := s.PaidAmountsSince(ctx, now)
		if len(paid) != 1 || paid[0].ActualAmount != "10.00" || paid[0].Chain != "tron" {
			t.Fatalf("paid amounts %v", paid)
		}
		if os, _ := s.OrdersWithTx(ctx, "abc123"); len(os) != 1 {
			t.Fatalf("orders with tx %v", os)
		}
	})
}

func TestAdminTransferQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		mk := func(tx string, li uint, to string, units int64) store.Transfer {
			tr := store.Transfer{Chain: "tron", TokenContract: "C", TxHash: tx, LogIndex: li, BlockNumber: 7, BlockHash: "bh",
				BlockTime: now, From: "TFrom", To: to, AmountUnits: big.NewInt(units), Decimals: 6, State: store.TransferDetected}
			if ok, err := s.InsertScannedTransfer(ctx, &tr, now); !ok || err != nil {
				t.Fatal(ok, err)
			}
			return tr
		}
		a := mk("tx1", 0, "TW1", 1_500_000)
		b := mk("tx1", 1, "TW2", 2_000_000)
		c := mk("tx2", 0, "TW1", 250_000)
		for _, tr := range []store.Transfer{a, c} {
			if ok, err := s.SettleScannedTransfer(ctx, tr.ID, 7, "bh", now, now); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		_ = s.SetTransferMatch(ctx, c.ID, store.MatchUnmatched, "", "no order", now)
		_ = s.SetTransferMatch(ctx, a.ID, store.MatchPaid, "T1", "", now)
		got, total, err := s.SearchTransfers(ctx, store.TransferFilter{Match: store.MatchAttention})
		if err != nil || total != 1 || got[0].ID != c.ID {
			t.Fatalf("attention: %v %d %v", got, total, err)
		}
		if _, total, _ = s.SearchTransfers(ctx, store.TransferFilter{Terms: []string{"tx1"}}); total != 2 {
			t.Fatalf("by tx: %d", total)
		}
		if _, total, _ = s.SearchTransfers(ctx, store.TransferFilter{State: store.TransferDetected}); total != 1 {
			t.Fatalf("detected: %d", total)
		}
		if tr, err := s.GetTransfer(ctx, b.ID); err != nil || tr.To != "TW2" || tr.AmountUnits.Int64() != 2_000_000 {
			t.Fatalf("get: %+v %v", tr, err)
		}
		if ts, _ := s.TransfersOfTx(ctx, "tron", "tx1"); len(ts) != 2 || ts[1].LogIndex != 1 {
			t.Fatalf("of tx: %v", ts)
		}
		rs, _ := s.SettledReceipts(ctx)
		sum := map[string]int64{}
		for _, r := range rs {
			u, _ := new(big.Int).SetString(r.AmountUnits, 10)
			sum[r.To] += u.Int64()
		}
		if len(rs) != 2 || sum["TW1"] != 1_750_000 || sum["TW2"] != 0 {
			t.Fatalf("receipts %v", rs)
		}
		w, _ := s.AddWallet(ctx, "tron", "TW1", "main", now)
		if got, err := s.GetWalletByID(ctx, w.ID); err != nil || got.Address != "TW1" {
			t.Fatalf("wallet by id: %+v %v", got, err)
		}
		if _, err := s.GetWalletByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown wallet: %v", err)
		}
	})
}

func TestCallbackJobCountsAndDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		for i, st := range []string{store.CallbackPending, store.CallbackFailed, store.CallbackFailed} {
			if _, err := s.EnqueueCallback(ctx, store.CallbackJob{EventID: "e" + string(rune('a'+i)), TradeID: "T", Kind: "paid",
				Status: st, MaxAttempts: 3, NextAttemptAt: now, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.CallbackJobCounts(ctx)
		if err != nil || c[store.CallbackPending] != 1 || c[store.CallbackFailed] != 2 || c["retrying"] != 0 {
			t.Fatalf("counts %v %v", c, err)
		}
		ds, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
		if err != nil || len(ds) != 0 {
			t.Fatalf("deliveries %v %v", ds, err)
		}
	})
}

// A TOTP step is spent once: the same or an older step is refused, on
// every database.
func TestUseAdminTOTPStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, err := s.CreateAdmin(ctx, "totp", "hash", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			step uint64
			want bool
		}{{59000000, true}, {59000000, false}, {58999999, false}, {59000001, true}, {59000001, false}} {
			got, err := s.UseAdminTOTPStep(ctx, a.ID, c.step)
			if err != nil || got != c.want {
				t.Fatalf("use %d: step %d got %v %v, want %v", i, c.step, got, err, c.want)
			}
		}
		// Enabling TOTP records the enabling code's step with the secret.
		if err := s.SetAdminTOTP(ctx, a.ID, "SECRET", 59000005, time.Now()); err != nil {
			t.Fatal(err)
		}
		if got, err := s.UseAdminTOTPStep(ctx, a.ID, 59000005); err != nil || got {
			t.Fatalf("the enabling step used again: %v %v", got, err)
		}
		if got, err := s.UseAdminTOTPStep(ctx, a.ID+1000, 1); err != nil || got {
			t.Fatalf("unknown admin: %v %v", got, err)
		}
	})
}
