package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

// logBodyLimit is how much of a response body the delivery log keeps.
const logBodyLimit = 1024

// outcome is what one HTTP attempt produced.
type outcome struct {
	status     int
	body       string // up to logBodyLimit bytes
	acked      bool   // the whole body, trimmed, was exactly "ok"
	retryAfter time.Duration
	err        error
	duration   time.Duration
}

// ok reports whether the merchant acknowledged: HTTP 2xx and the body,
// trimmed, exactly "ok".
func (o outcome) ok() bool {
	return o.err == nil && o.status >= 200 && o.status < 300 && o.acked
}

// problem describes a failed attempt for the log and last_error.
func (o outcome) problem() string {
	switch {
	case o.err != nil:
		return o.err.Error()
	case o.status >= 300 && o.status < 400:
		return fmt.Sprintf("HTTP %d: redirects are not followed", o.status)
	case o.status < 200 || o.status >= 300:
		return fmt.Sprintf("HTTP %d", o.status)
	case !o.ok():
		return fmt.Sprintf("HTTP %d but the body is not \"ok\"", o.status)
	}
	return ""
}

// attempt makes one attempt of job j and returns what to record.
func (w *Worker) attempt(ctx context.Context, j store.CallbackJob) store.CallbackAttempt {
	o, err := w.o.Store.GetOrder(ctx, j.TradeID)
	if err != nil {
		return w.result(j, "", outcome{err: fmt.Errorf("load order: %w", err)}, errors.Is(err, store.ErrNotFound))
	}
	status, refuse := w.bodyStatus(j.Kind)
	if refuse != nil {
		return w.result(j, o.NotifyURL, outcome{err: refuse}, true)
	}
	body, err := BuildBody(o, status, w.token())
	if err != nil {
		return w.result(j, o.NotifyURL, outcome{err: err}, true)
	}
	return w.result(j, o.NotifyURL, w.send(ctx, o.NotifyURL, body, j.EventID), false)
}

// bodyStatus maps a job kind to the callback status; an expired callback
// is refused while notify_expired is off (old plugins treat any callback as
// paid).
func (w *Worker) bodyStatus(kind string) (int, error) {
	switch kind {
	case store.CallbackKindPaid:
		return StatusPaid, nil
	case store.CallbackKindExpired:
		if !w.o.Callback.NotifyExpire {
			return 0, errors.New("not sent: notify_expired is off")
		}
		return StatusExpired, nil
	}
	return 0, fmt.Errorf("not sent: unknown callback kind %q", kind)
}

// send POSTs the body with the signature headers and reads the answer.
func (w *Worker) send(ctx context.Context, rawURL string, body []byte, eventID string) outcome {
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return outcome{err: fmt.Errorf("%w: scheme must be http or https", ErrUnsafeURL)}
	}
	ctx, cancel := context.WithTimeout(ctx, w.o.Callback.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return outcome{err: fmt.Errorf("build request: %w", unwrapURL(err))}
	}
	ts := strconv.FormatInt(w.o.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "epusdt-callback/1")
	req.Header.Set(HeaderEventID, eventID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, SignHMAC(w.token(), eventID, ts, body))
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return outcome{err: describe(err, w.o.Callback.Timeout), duration: time.Since(start)}
	}
	defer resp.Body.Close()
	head, err := io.ReadAll(io.LimitReader(resp.Body, 4*logBodyLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	out := outcome{status: resp.StatusCode, body: string(head), duration: time.Since(start),
		acked: len(head) < 4*logBodyLimit && strings.TrimSpace(string(head)) == "ok", retryAfter: RetryAfter(resp.Header, w.o.Now())}
	if err != nil {
		out.err = fmt.Errorf("read response: %w", describe(err, w.o.Callback.Timeout))
	}
	if len(out.body) > logBodyLimit {
		out.body = out.body[:logBodyLimit]
	}
	return out
}

// describe turns a client error into a short message without the URL
// (which may carry the merchant's secrets).
func describe(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("timeout after %s", timeout)
	}
	return unwrapURL(err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// result turns an outcome into the log row and the job's next state.
// final forces the job to failed (retrying cannot help).
func (w *Worker) result(j store.CallbackJob, rawURL string, out outcome, final bool) store.CallbackAttempt {
	now := w.o.Now()
	attempt := j.Attempts + 1
	limit := j.MaxAttempts
	if limit <= 0 {
		limit = w.o.Callback.MaxRetry + 1
	}
	a := store.CallbackAttempt{Holder: j.LeaseHolder, Status: store.CallbackDelivered, NextAttemptAt: now,
		Delivery: store.CallbackDelivery{JobID: j.ID, EventID: j.EventID, TradeID: j.TradeID, Attempt: attempt,
			URL: rawURL, HTTPStatus: out.status, Duration: out.duration, ResponseBody: out.body,
			Error: out.problem(), CreatedAt: now}}
	switch {
	case out.ok():
	case final || attempt >= limit:
		a.Status = store.CallbackFailed
	default:
		a.Status = store.CallbackPending
		a.NextAttemptAt = now.Add(Backoff(attempt, out.retryAfter))
	}
	return a
}

// token is the current api token: TokenFunc when set (rotation), else Token.
func (w *Worker) token() string {
	if w.o.TokenFunc != nil {
		return w.o.TokenFunc()
	}
	return w.o.Token
}
