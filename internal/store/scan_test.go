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

func TestScanCursorMovesOnlyFromWhereItIs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, now := context.Background(), time.Now()
		if _, ok, err := s.ScanCursor(ctx, "bsc"); ok || err != nil {
			t.Fatalf("cursor exists before creation (%v)", err)
		}
		if c, err := s.InitScanCursor(ctx, "bsc", 100, now); err != nil || c != 100 {
			t.Fatalf("init: %d %v", c, err)
		}
		if c, err := s.InitScanCursor(ctx, "bsc", 5, now); err != nil || c != 100 {
			t.Fatalf("second init must keep the cursor: %d %v", c, err)
		}
		if err := s.AdvanceScanCursor(ctx, "bsc", 100, 150, now); err != nil {
			t.Fatal(err)
		}
		if err := s.AdvanceScanCursor(ctx, "bsc", 100, 200, now); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale advance: %v", err)
		}
		if err := s.AdvanceScanCursor(ctx, "bsc", 150, 140, now); err == nil {
			t.Fatal("cursor moved backwards")
		}
		if c, _, _ := s.ScanCursor(ctx, "bsc"); c != 150 {
			t.Fatalf("cursor %d", c)
		}
	})
}

func TestScannedBlocksWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for n := uint64(1); n <= 5; n++ {
			if err := s.PutScannedBlock(ctx, "tron", store.ScannedBlock{Number: n, Hash: "h", ParentHash: "p"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutScannedBlock(ctx, "tron", store.ScannedBlock{Number: 3, Hash: "h3b", ParentHash: "p"}); err != nil {
			t.Fatal(err)
		}
		if b, err := s.GetScannedBlock(ctx, "tron", 3); err != nil || b.Hash != "h3b" {
			t.Fatalf("replace: %+v %v", b, err)
		}
		if err := s.ForgetScannedBlocks(ctx, "tron", 0, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetScannedBlock(ctx, "tron", 2); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("block 2 kept: %v", err)
		}
		if _, err := s.GetScannedBlock(ctx, "tron", 3); err != nil {
			t.Fatalf("block 3 lost: %v", err)
		}
	})
}

func TestScannedTransferLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx, now := context.Background(), time.UnixMilli(1_700_000_000_000)
		big18, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
		tr := store.Transfer{Chain: "bsc", TokenContract: "0x55d398326f99059fF775485246999027B3197955", TxHash: "0xaa",
			LogIndex: 3, BlockNumber: 10, BlockHash: "0xb10", BlockTime: now, From: "0xF", To: "0xT",
			AmountUnits: big18, Decimals: 18, State: store.TransferDetected}
		ins, err := s.InsertScannedTransfer(ctx, &tr, now)
		if err != nil || !ins || tr.ID == 0 {
			t.Fatalf("insert: %v %v id=%d", ins, err, tr.ID)
		}
		dup := tr
		if ins, err := s.InsertScannedTransfer(ctx, &dup, now); err != nil || ins {
			t.Fatalf("duplicate inserted: %v %v", ins, err)
		}
		got, err := s.TransferByLog(ctx, "bsc", "0xaa", 3)
		if err != nil || got.AmountUnits.Cmp(big18) != 0 || got.State != store.TransferDetected || !got.BlockTime.Equal(now) {
			t.Fatalf("read back %+v %v", got, err)
		}
		if ok, _ := s.RemoveDetectedTransfer(ctx, tr.ID, now); !ok {
			t.Fatal("remove failed")
		}
		if ok, _ := s.RedetectTransfer(ctx, tr.ID, 11, "0xb11", now, now); !ok {
			t.Fatal("redetect failed")
		}
		if ok, _ := s.SettleScannedTransfer(ctx, tr.ID, 11, "0xb11", now, now); !ok {
			t.Fatal("settle failed")
		}
		if ok, _ := s.SettleScannedTransfer(ctx, tr.ID, 11, "0xb11", now, now); ok {
			t.Fatal("settled twice")
		}
		if ok, _ := s.RemoveDetectedTransfer(ctx, tr.ID, now); ok {
			t.Fatal("a settled transfer was removed")
		}
		if ok, _ := s.RedetectTransfer(ctx, tr.ID, 12, "0xb12", now, now); ok {
			t.Fatal("a settled transfer went back to detected")
		}
		list, err := s.TransfersInBlocks(ctx, "bsc", store.TransferSettled, 11, 11)
		if err != nil || len(list) != 1 || list[0].BlockHash != "0xb11" {
			t.Fatalf("list %+v %v", list, err)
		}
		if list, _ := s.TransfersInBlocks(ctx, "bsc", store.TransferSettled, 12, 20); len(list) != 0 {
			t.Fatalf("range filter broken: %+v", list)
		}
	})
}
