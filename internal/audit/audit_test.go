package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestRecordMasksSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		r := New(Options{Store: s, Enabled: true, Now: func() time.Time { return now }, Secrets: []string{"sup3r-secret-value"}})
		err := r.Record(ctx, Entry{Actor: "alice", Kind: store.ActorAdmin, Action: "settings.rotate_token", IP: "203.0.113.9",
			Target: "api_auth_token", Detail: map[string]any{"new_token": "abcdef123456", "note": "leaked sup3r-secret-value here",
				"nested": map[string]any{"password": "hunter22", "chain": "tron"}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ListAudit(ctx, store.AuditFilter{Actor: "alice"})
		if err != nil || len(got) != 1 {
			t.Fatalf("list: %v %v", got, err)
		}
		e := got[0]
		for _, leaked := range []string{"abcdef123456", "sup3r-secret-value", "hunter22"} {
			if strings.Contains(e.Detail, leaked) {
				t.Fatalf("secret %q in detail %s", leaked, e.Detail)
			}
		}
		if !strings.Contains(e.Detail, `"chain":"tron"`) || e.IP != "203.0.113.9" || !e.CreatedAt.Equal(now) || e.ActorKind != store.ActorAdmin {
			t.Fatalf("entry %+v", e)
		}
	})
}

func TestDisabledRecordsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := New(Options{Store: s, Enabled: false})
		if err := r.Record(ctx, Entry{Actor: "bob", Action: "auth.login"}); err != nil {
			t.Fatal(err)
		}
		var nilRec *Recorder
		if err := nilRec.Record(ctx, Entry{Actor: "bob", Action: "auth.login"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ListAudit(ctx, store.AuditFilter{}); len(got) != 0 {
			t.Fatalf("recorded while disabled: %v", got)
		}
	})
}

func TestPruneByRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		clock := now.AddDate(0, 0, -11)
		r := New(Options{Store: s, Enabled: true, RetentionDays: 10, Now: func() time.Time { return clock }})
		if err := r.Record(ctx, Entry{Actor: "old", Action: "x"}); err != nil {
			t.Fatal(err)
		}
		clock = now.AddDate(0, 0, -9)
		if err := r.Record(ctx, Entry{Actor: "recent", Action: "x"}); err != nil {
			t.Fatal(err)
		}
		clock = now
		n, err := r.runOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		got, _ := s.ListAudit(ctx, store.AuditFilter{})
		if len(got) != 1 || got[0].Actor != "recent" {
			t.Fatalf("left %+v", got)
		}
	})
}

func TestChanges(t *testing.T) {
	got := Changes(map[string]string{"label": "a", "status": "enabled"}, map[string]string{"label": "b", "status": "enabled"})
	if len(got) != 1 || got[0] != `label: "a" → "b"` {
		t.Fatal(got)
	}
}
