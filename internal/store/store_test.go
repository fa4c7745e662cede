package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestMigrateTwiceIsNoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		applied, err := s.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want none", applied)
		}
		cur, latest, err := s.SchemaStatus(ctx)
		if err != nil || cur != latest || latest < 1 {
			t.Fatalf("schema status cur=%d latest=%d err=%v", cur, latest, err)
		}
	})
}

func TestWallets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now()
		w, err := s.AddWallet(ctx, "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "main", now)
		if err != nil || w.ID == 0 || w.Status != store.WalletEnabled || w.Label != "main" {
			t.Fatalf("add: %+v %v", w, err)
		}
		if _, err := s.AddWallet(ctx, "tron", w.Address, "", now); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate: got %v", err)
		}
		// The same address on another chain is another wallet.
		if _, err := s.AddWallet(ctx, "bsc", w.Address, "", now); err != nil {
			t.Fatalf("other chain: %v", err)
		}
		if err := s.SetWalletStatus(ctx, "tron", w.Address, store.WalletDisabled, now); err != nil {
			t.Fatal(err)
		}
		en, err := s.EnabledWallets(ctx, "tron")
		if err != nil || len(en) != 0 {
			t.Fatalf("enabled after disable: %v %v", en, err)
		}
		if err := s.RemoveWallet(ctx, "tron", w.Address, now); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveWallet(ctx, "tron", w.Address, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second remove: %v", err)
		}
		all, _ := s.ListWallets(ctx, "", true)
		live, _ := s.ListWallets(ctx, "", false)
		if len(all) != 2 || len(live) != 1 {
			t.Fatalf("all=%d live=%d", len(all), len(live))
		}
		back, err := s.AddWallet(ctx, "tron", w.Address, "again", now)
		if err != nil || back.ID != w.ID || back.DeletedAt != nil || back.Status != store.WalletEnabled {
			t.Fatalf("restore: %+v %v", back, err)
		}
	})
}

func TestInTxRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AddWallet(ctx, "ethereum", "0x00000000000000000000000000000000000000aa", "", time.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		ws, _ := s.ListWallets(ctx, "", true)
		if len(ws) != 0 {
			t.Fatalf("rolled back tx left %d wallets", len(ws))
		}
	})
}

func TestRebind(t *testing.T) {
	got := store.Postgres.Rebind("SELECT a FROM b WHERE c = ? AND d = ?")
	if got != "SELECT a FROM b WHERE c = $1 AND d = $2" {
		t.Fatal(got)
	}
	if store.MySQL.Rebind("x = ?") != "x = ?" {
		t.Fatal("mysql rebind changed query")
	}
}

func TestAuditAndSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		base := time.Now().Add(-time.Hour)
		for i, a := range []string{"login", "wallet.add", "login"} {
			if err := s.AppendAudit(ctx, store.AuditEntry{Actor: "alice", ActorKind: store.ActorAdmin, Action: a,
				Detail: "{}", IP: "127.0.0.1", CreatedAt: base.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListAudit(ctx, store.AuditFilter{Action: "login"})
		if err != nil || len(got) != 2 || got[0].CreatedAt.Before(got[1].CreatedAt) {
			t.Fatalf("filter: %+v %v", got, err)
		}
		n, err := s.PruneAudit(ctx, base.Add(30*time.Second))
		if err != nil || n != 1 {
			t.Fatalf("prune: %d %v", n, err)
		}
		if _, err := s.GetSetting(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unset setting: %v", err)
		}
		for _, v := range []string{"1", "2"} {
			if err := s.PutSetting(ctx, "x", v, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := s.GetSetting(ctx, "x"); err != nil || v != "2" {
			t.Fatalf("setting: %q %v", v, err)
		}
	})
}
