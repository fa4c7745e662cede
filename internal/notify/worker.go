package notify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// DefaultPollInterval is how often an idle worker looks for due jobs.
const DefaultPollInterval = 200 * time.Millisecond

// Options configure a Worker.
type Options struct {
	Store        *store.Store
	Token        string          // api_auth_token: the key of both signatures
	TokenFunc    func() string   // when set, the current token (rotation) instead of Token
	Callback     config.Callback // retries, timeout, lease, notify_expired, notify_block_private
	Concurrency  int             // queue_concurrency: deliveries in flight at once
	Metrics      *metrics.Metrics
	Log          *zap.Logger
	Now          func() time.Time
	Instance     string                    // this process's id, part of every lease holder
	Levels       []int                     // queue_level_critical, _default, _low; nil = 6, 3, 1
	PollInterval time.Duration             // idle poll; 0 = DefaultPollInterval
	Client       *http.Client              // nil = NewClient with the callback settings
	OnFailed     func(j store.CallbackJob) // optional: called once a job has failed for good
}

// Worker delivers due callback jobs with a pool of Concurrency workers.
// Any number of Workers, in one process or many, may share a database:
// each job is leased to one of them at a time.
type Worker struct {
	o      Options
	client *http.Client
	lease  time.Duration
	seq    atomic.Uint64
	wake   chan struct{}

	errMu     sync.Mutex
	lastErrAt time.Time
}

// NewWorker builds a Worker, filling defaults: Now = time.Now, one worker,
// the safe client. The lease is callback_lease_ttl but at least three
// callback timeouts, since a claimed job may wait behind one full round of
// attempts before its own.
func NewWorker(o Options) *Worker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	o.Concurrency = max(o.Concurrency, 1)
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	o.Levels = levels(o.Levels)
	if o.Callback.Timeout <= 0 {
		o.Callback.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = NewClient(o.Callback.Timeout, o.Callback.BlockPrivate, o.Concurrency)
	}
	return &Worker{o: o, client: o.Client, lease: max(o.Callback.LeaseTTL, 3*o.Callback.Timeout),
		wake: make(chan struct{}, 1)}
}

// levels returns the distinct priority levels to claim from, highest
// first; the defaults are queue_level_*'s defaults.
func levels(in []int) []int {
	out := slices.Clone(in)
	if len(out) == 0 {
		out = []int{6, 3, 1}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	slices.Reverse(out)
	return out
}

// Wake makes an idle Run look for due jobs now instead of at its next poll
// (call it after committing a paid order in this process). It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers callbacks until ctx ends. It keeps up to 2×Concurrency
// jobs claimed (Concurrency in flight, the rest queued) so claims go in
// batches. When ctx ends, attempts in flight are finished (each is bounded
// by callback_timeout) and recorded, and queued jobs are released.
func (w *Worker) Run(ctx context.Context) error {
	conc := w.o.Concurrency
	queue := make(chan store.CallbackJob, 2*conc)
	results := make(chan finished, 2*conc)
	done := make(chan struct{}, 2*conc)
	deliverCtx := context.WithoutCancel(ctx)
	recorded := make(chan struct{})
	go func() { defer close(recorded); w.recordLoop(deliverCtx, results, done) }()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if ctx.Err() != nil {
					w.release(deliverCtx, j)
					done <- struct{}{}
					continue
				}
				results <- finished{j, w.attempt(deliverCtx, j)}
			}
		}()
	}
	defer func() {
		close(queue)
		wg.Wait()
		close(results)
		<-recorded
	}()
	w.dispatch(ctx, queue, done)
	return nil
}

// dispatch claims jobs onto queue until ctx ends, keeping at most
// 2×Concurrency claimed and not yet recorded (done counts them off).
func (w *Worker) dispatch(ctx context.Context, queue chan<- store.CallbackJob, done <-chan struct{}) {
	conc := w.o.Concurrency
	held := 0
	for {
		if held <= conc && ctx.Err() == nil {
			for _, j := range w.claim(ctx, 2*conc-held) {
				held++
				queue <- j
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-done:
			held--
		case <-w.wake:
		case <-time.After(w.o.PollInterval):
		}
	}
}

// release gives back the lease of a claimed job that will not be tried
// now (shutting down), so another worker can take it at once.
func (w *Worker) release(ctx context.Context, j store.CallbackJob) {
	if err := w.o.Store.ReleaseCallbackLease(ctx, j.ID, j.LeaseHolder); err != nil {
		w.o.Log.Warn("release callback lease; it expires by itself", zap.String("event_id", j.EventID), zap.Error(err))
	}
}

// runOnce claims up to Concurrency due jobs, delivers them concurrently and
// waits for all; it returns how many it attempted.
func (w *Worker) runOnce(ctx context.Context) int {
	jobs := w.claim(ctx, w.o.Concurrency)
	batch := make([]finished, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch[i] = finished{j, w.attempt(ctx, j)}
		}()
	}
	wg.Wait()
	for _, f := range batch {
		w.commit(ctx, []finished{f})
	}
	return len(jobs)
}

// claim leases up to n due jobs, dealing the n slots among the priority
// levels by weight (a job's priority is its weight, from queue_level_*),
// so busy high-priority work cannot starve the rest; slots a level cannot
// fill go to any due job.
func (w *Worker) claim(ctx context.Context, n int) []store.CallbackJob {
	now := w.o.Now()
	due, err := w.o.Store.AnyCallbackDue(ctx, now)
	if err != nil || !due {
		if err != nil {
			w.logErr(ctx, "look for due callbacks", err)
		}
		return nil
	}
	jobs, err := w.o.Store.ClaimCallbackJobs(ctx, store.CallbackClaim{Want: share(w.o.Levels, n),
		Holder: fmt.Sprintf("%s/%d", w.o.Instance, w.seq.Add(1)), Now: now, LeaseUntil: now.Add(w.lease)})
	if err != nil {
		w.logErr(ctx, "claim callbacks", err)
	}
	return jobs
}

// share deals n slots among priority levels, each slot to a level drawn
// with probability proportional to its weight (levels below 1 count as 1).
func share(levels []int, n int) map[int]int {
	total := 0
	for _, l := range levels {
		total += max(l, 1)
	}
	got := map[int]int{}
	for ; n > 0 && total > 0; n-- {
		r := rand.IntN(total)
		for _, l := range levels {
			if r -= max(l, 1); r < 0 {
				got[l]++
				break
			}
		}
	}
	return got
}

// logErr logs a store error at most every 30 s, so a database outage does
// not flood the log at the poll rate; errors from shutting down are not
// logged.
func (w *Worker) logErr(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	w.errMu.Lock()
	defer w.errMu.Unlock()
	now := time.Now()
	if now.Sub(w.lastErrAt) < 30*time.Second {
		return
	}
	w.lastErrAt = now
	w.o.Log.Error("callback worker: "+what, zap.Error(err))
}
