package notify

import (
	"context"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/store"
)

// maxRecordBatch bounds how many attempts share one commit.
const maxRecordBatch = 64

// finished is an attempt waiting to be recorded.
type finished struct {
	job     store.CallbackJob
	attempt store.CallbackAttempt
}

// recordLoop records finished attempts, each batch of whatever has arrived
// meanwhile in one transaction, and signals done once per attempt after
// its commit. It returns when in is closed and drained.
func (w *Worker) recordLoop(ctx context.Context, in <-chan finished, done chan<- struct{}) {
	for first := range in {
		batch := []finished{first}
	more:
		for len(batch) < maxRecordBatch {
			select {
			case f, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, f)
			default:
				break more
			}
		}
		w.commit(ctx, batch)
		for range batch {
			done <- struct{}{}
		}
	}
}

// commit records a batch of attempts and reports each. If the batch
// transaction fails, each attempt is tried on its own so one bad row does
// not lose the others.
func (w *Worker) commit(ctx context.Context, batch []finished) {
	as := make([]store.CallbackAttempt, len(batch))
	for i, f := range batch {
		as[i] = f.attempt
	}
	lost, err := w.o.Store.RecordCallbackAttempts(ctx, as)
	if err != nil && len(batch) > 1 {
		for _, f := range batch {
			w.commit(ctx, []finished{f})
		}
		return
	}
	for i, f := range batch {
		w.report(f.job, f.attempt, err, err == nil && lost[i])
	}
}

// report counts the attempt and logs it; a job that failed for good raises
// the alert.
func (w *Worker) report(j store.CallbackJob, a store.CallbackAttempt, recErr error, leaseLost bool) {
	d := a.Delivery
	fields := []zap.Field{zap.String("trade_id", j.TradeID), zap.String("event_id", j.EventID),
		zap.Int("attempt", d.Attempt), zap.Int("http_status", d.HTTPStatus), zap.Duration("duration", d.Duration)}
	result := "ok"
	if a.Status != store.CallbackDelivered {
		result = "fail"
		fields = append(fields, zap.String("error", d.Error))
	}
	if w.o.Metrics != nil {
		w.o.Metrics.CallbackAttempts.WithLabelValues(result).Inc()
	}
	switch {
	case leaseLost:
		w.o.Log.Warn("callback attempt finished after its lease was taken over or resent", fields...)
		return
	case recErr != nil:
		w.o.Log.Error("callback attempt not recorded; it will be retried after the lease", append(fields, zap.Error(recErr))...)
		return
	}
	switch a.Status {
	case store.CallbackDelivered:
		w.o.Log.Info("callback delivered", fields...)
		if w.o.Metrics != nil && j.DeliveredAt == nil { // the first acknowledgement, not a resend's
			// d.CreatedAt is when the attempt ended.
			w.o.Metrics.CallbackDelay.Observe(max(d.CreatedAt.Sub(j.CreatedAt), 0).Seconds())
		}
	case store.CallbackPending:
		w.o.Log.Warn("callback attempt failed; will retry", append(fields, zap.Time("next_attempt_at", a.NextAttemptAt))...)
	case store.CallbackFailed:
		w.o.Log.Error("ALERT: callback failed for good; resend with `epusdt callback resend "+j.TradeID+"`", fields...)
		if w.o.Metrics != nil {
			w.o.Metrics.CallbackFailed.Inc()
		}
		if w.o.OnFailed != nil {
			j.Status, j.Attempts, j.LastError = a.Status, d.Attempt, d.Error
			w.o.OnFailed(j)
		}
	}
}
