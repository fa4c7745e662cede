package notify

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/proctest"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// TestCrashLosesNoCallback runs the real gateway binary and kills it with
// SIGKILL twice: once after the order was paid (its job committed in the
// same transaction) but before anything was sent, and once while the
// callback request is in flight. After the restart the callback is
// delivered, with the same event id on every attempt.
func TestCrashLosesNoCallback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gateway binary")
	}
	bin, err := proctest.Build(t.TempDir(), "github.com/epusdt/epusdt/cmd/epusdt")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) { crashRound(t, bin, d) })
	}
}

func crashRound(t *testing.T, bin string, d store.Dialect) {
	ctx := context.Background()
	opts := storetest.Options(t, d)
	env := []string{"EPUSDT_DB_TYPE=" + string(d), "EPUSDT_API_AUTH_TOKEN=" + testToken,
		"EPUSDT_CALLBACK_TIMEOUT=1", "EPUSDT_CALLBACK_LEASE_TTL=3"}
	if d == store.SQLite {
		env = append(env, "EPUSDT_SQLITE_DATABASE_FILENAME="+opts.DSN)
	} else {
		env = append(env, "EPUSDT_DB_DSN="+opts.DSN)
	}
	dir := t.TempDir()
	if !callbackCLIWired(t, bin, dir, env) {
		return
	}
	var healthy atomic.Bool
	hung := make(chan struct{}, 10)
	m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			hung <- struct{}{}
			<-r.Context().Done() // hang until the gateway dies
			return
		}
		w.Write([]byte("ok"))
	})
	// The payment transaction committed, then the process died: only the
	// database knows about the callback.
	s, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insertOrder(t, s, "C1", m.URL+"/notify", "10.5", "1.45", time.Now())
	job := enqueue(t, s, "C1", store.CallbackKindPaid, 10, time.Now())
	s.Close()

	g := proctest.Start(t, bin, dir, append([]string{"EPUSDT_HTTP_LISTEN=" + proctest.FreeAddr(t)}, env...), "http", "start")
	select {
	case <-hung: // the attempt is in flight: kill -9 now
	case <-time.After(30 * time.Second):
		t.Fatalf("gateway sent no callback within 30 s; output:\n%s", g.Output())
	}
	g.Kill(t)
	healthy.Store(true)
	g = proctest.Start(t, bin, dir, append([]string{"EPUSDT_HTTP_LISTEN=" + proctest.FreeAddr(t)}, env...), "http", "start")
	s, err = store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(30 * time.Second)
	for getJob(t, s, job.ID).Status != store.CallbackDelivered && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if j := getJob(t, s, job.ID); j.Status != store.CallbackDelivered {
		t.Fatalf("callback not delivered after restart: %+v\n%s", j, g.Output())
	}
	got := m.received()
	if len(got) < 2 {
		t.Fatalf("merchant saw %d attempts, want the killed one and the delivery", len(got))
	}
	for _, r := range got {
		if r.EventID != job.EventID || !r.PHPOK || r.GoErr != nil {
			t.Fatalf("attempt with event %q (want %q), php=%v go=%v", r.EventID, job.EventID, r.PHPOK, r.GoErr)
		}
	}
	if err := g.Stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// callbackCLIWired checks that this build of the gateway has the callback
// commands (wired together with the worker).
func callbackCLIWired(t *testing.T, bin, dir string, env []string) bool {
	p := proctest.Start(t, bin, dir, env, "callback", "list", "--failed")
	<-p.Exited()
	if out := p.Output(); strings.Contains(out, "unknown command") || strings.Contains(out, "unknown flag") {
		t.Fatalf("`epusdt callback` is missing from cmd/epusdt: %s", out)
	}
	return true
}
