package telegram

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// outMsg is one message waiting in the send queue: a new message, or an
// edit of messageID when it is > 0.
type outMsg struct {
	chatID    int64
	messageID int64
	text      string
	kb        *Keyboard
	durable   bool       // a notification: retried until sent or refused for good
	done      chan error // optional (buffered): receives the final result
}

// sender owns every sendMessage/editMessageText call: one goroutine takes
// messages from the queues (replies before notifications), paces them to
// Telegram's limits and retries what failed for a passing reason.
type sender struct {
	api    *Client
	log    *zap.Logger
	tune   *tuning
	clock  func() time.Time // wall clock for pacing (not business time)
	urgent chan outMsg      // replies to managers
	normal chan outMsg      // notifications
	lim    limiter
}

func newSender(api *Client, log *zap.Logger, tune *tuning) *sender {
	return &sender{api: api, log: log, tune: tune, clock: time.Now,
		urgent: make(chan outMsg, 64), normal: make(chan outMsg, 512),
		lim: limiter{last: map[int64]time.Time{}}}
}

// run delivers queued messages until ctx ends.
func (s *sender) run(ctx context.Context) {
	s.lim.perChat, s.lim.global = s.tune.perChat, s.tune.global
	for {
		var m outMsg
		select {
		case m = <-s.urgent:
		default:
			select {
			case m = <-s.urgent:
			case m = <-s.normal:
			case <-ctx.Done():
				return
			}
		}
		err := s.deliver(ctx, m)
		if m.done != nil {
			m.done <- err
		}
	}
}

// reply queues a reply to a manager; it waits only while the queue is full.
func (s *sender) reply(ctx context.Context, m outMsg) {
	select {
	case s.urgent <- m:
	case <-ctx.Done():
	}
}

// notify queues a durable notification and returns the channel that gets
// its final result.
func (s *sender) notify(ctx context.Context, m outMsg) <-chan error {
	m.durable, m.done = true, make(chan error, 1)
	select {
	case s.normal <- m:
	case <-ctx.Done():
		m.done <- ctx.Err()
	}
	return m.done
}

// notifyAsync queues a durable notification without waiting; it reports
// false when the queue is full.
func (s *sender) notifyAsync(m outMsg) bool {
	m.durable = true
	select {
	case s.normal <- m:
		return true
	default:
		return false
	}
}

// deliver sends m, pacing and retrying; it returns nil once Telegram took
// it, or the error that ended the attempts.
func (s *sender) deliver(ctx context.Context, m outMsg) error {
	for attempt := 1; ; attempt++ {
		if err := sleep(ctx, s.lim.delay(m.chatID, s.clock())); err != nil {
			return err
		}
		err := s.once(ctx, m)
		s.lim.record(m.chatID, s.clock())
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait, retry := s.retryAfter(err, attempt, m.durable)
		if !retry {
			s.log.Warn("telegram message not sent", zap.Int64("chat_id", m.chatID), zap.Int("attempts", attempt), zap.Error(err))
			return err
		}
		s.log.Info("telegram message will be retried", zap.Int64("chat_id", m.chatID), zap.Int("attempt", attempt),
			zap.Duration("after", wait), zap.Error(err))
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (s *sender) once(ctx context.Context, m outMsg) error {
	cctx, cancel := context.WithTimeout(ctx, s.tune.callTimeout)
	defer cancel()
	if m.messageID > 0 {
		return s.api.EditMessageText(cctx, m.chatID, m.messageID, m.text, m.kb)
	}
	_, err := s.api.SendMessage(cctx, m.chatID, m.text, m.kb)
	return err
}

// retryAfter decides whether a failed call is repeated and after how long:
// flood control waits retry_after; server and network errors back off
// exponentially; a chat that refuses messages (400, 403) is given up at
// once. A durable notification is retried without limit (also on 401/404,
// a token problem the operator must fix); a reply up to replyAttempts times.
func (s *sender) retryAfter(err error, attempt int, durable bool) (time.Duration, bool) {
	if !durable && attempt >= s.tune.replyAttempts {
		return 0, false
	}
	backoff := min(s.tune.backoff<<min(attempt-1, 16), s.tune.backoffMax)
	var ae *APIError
	if !errors.As(err, &ae) {
		return backoff, true
	}
	switch {
	case ae.Code == http.StatusTooManyRequests:
		return max(ae.RetryAfter, time.Second), true
	case ae.Code >= 500:
		return backoff, true
	case durable && (ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound):
		return max(backoff, s.tune.backoffMax), true
	}
	return 0, false
}

// limiter paces messages: at most one per perChat to one chat and one per
// global overall (Telegram: about 1 message a second per chat, 30 a second
// in all).
type limiter struct {
	perChat, global time.Duration
	last            map[int64]time.Time
	lastAny         time.Time
}

// delay is how long to wait before the next message to chat may go.
func (l *limiter) delay(chat int64, now time.Time) time.Duration {
	d := l.lastAny.Add(l.global).Sub(now)
	if t, ok := l.last[chat]; ok {
		d = max(d, t.Add(l.perChat).Sub(now))
	}
	return max(d, 0)
}

// record notes a message sent to chat at now.
func (l *limiter) record(chat int64, now time.Time) {
	if len(l.last) > 1000 {
		for c, t := range l.last {
			if now.Sub(t) > l.perChat {
				delete(l.last, c)
			}
		}
	}
	l.last[chat], l.lastAny = now, now
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
