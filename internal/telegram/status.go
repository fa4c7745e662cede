package telegram

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ChainState is one chain watcher's progress as this instance sees it.
type ChainState struct {
	Chain       string
	Leader      bool          // this instance scans the chain (holds its lease)
	Idle        bool          // no enabled wallet: the chain is not polled
	Lag         time.Duration // how far the scan is behind the settled head
	LagBlocks   uint64
	RPCFailing  bool   // the RPC endpoints are failing now
	LastError   string // the last scan error, "" after a success
	LastSuccess time.Time
}

// ChainStatus reports the chain watchers' progress (the app adapts
// chain.Manager.States).
type ChainStatus interface {
	ChainStates() []ChainState
}

// ChainStatusFunc adapts a function to ChainStatus.
type ChainStatusFunc func() []ChainState

// ChainStates calls f.
func (f ChainStatusFunc) ChainStates() []ChainState { return f() }

// RateStatus reports the usable exchange rate of a fiat currency, or why
// there is none (rate.Refresher implements it).
type RateStatus interface {
	Rate(fiat string) (decimal.Decimal, time.Time, error)
}

func (b *Bot) chainStates() map[string]ChainState {
	out := map[string]ChainState{}
	if b.deps.Chains == nil {
		return out
	}
	for _, s := range b.deps.Chains.ChainStates() {
		out[s.Chain] = s
	}
	return out
}

// startOfDay is local midnight of t.
func startOfDay(t time.Time) time.Time {
	t = t.Local()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// statsText renders /stats: per chain, today and the last 7 days.
func (b *Bot) statsText(ctx context.Context, uid int64) string {
	now := b.now()
	day, week := startOfDay(now), now.Add(-7*24*time.Hour)
	var sb strings.Builder
	sb.WriteString(b.tr(uid, "stats.head"))
	for _, p := range []struct {
		head  string
		since time.Time
	}{{b.tr(uid, "stats.today", day.Format("2006-01-02 15:04 MST")), day}, {b.tr(uid, "stats.week"), week}} {
		rows, err := b.st.Read().TelegramStats(ctx, p.since)
		if err != nil {
			return b.tr(uid, "stats.error", err.Error())
		}
		sb.WriteString(p.head)
		if len(rows) == 0 {
			sb.WriteString(b.tr(uid, "stats.none"))
		}
		for _, r := range rows {
			late := ""
			if r.Late > 0 {
				late = b.tr(uid, "stats.late", r.Late)
			}
			sb.WriteString(b.tr(uid, "stats.row", chainTitle(r.Chain), r.Created, r.Paid, r.PaidUSDT.String(), late, r.Unmatched))
		}
	}
	if n, err := b.st.Read().TelegramFailedCallbacks(ctx, week); err == nil {
		sb.WriteString(b.tr(uid, "stats.failed", n))
	}
	return sb.String()
}

// healthText renders /health: database, callback queue, watchers, rate and
// the extra checks.
func (b *Bot) healthText(ctx context.Context, uid int64) string {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var sb strings.Builder
	sb.WriteString(b.tr(uid, "health.head", b.instance))
	sb.WriteString(b.tr(uid, "health.db", b.checkText(uid, b.st.Ping(cctx))))
	b.writeQueue(cctx, &sb, uid)
	b.writeChains(&sb, uid)
	if b.deps.Rate != nil {
		fiat := b.cfg.Orders.DefaultFiat
		if r, at, err := b.deps.Rate.Rate(fiat); err != nil {
			sb.WriteString(b.tr(uid, "health.rate_bad", fiat, err.Error()))
		} else {
			sb.WriteString(b.tr(uid, "health.rate", fiat, r.String(), ago(b.now(), at)))
		}
	}
	for _, c := range b.deps.Checks {
		sb.WriteString(b.tr(uid, "health.check", c.Name, b.checkText(uid, c.Fn(cctx))))
	}
	return sb.String()
}

func (b *Bot) checkText(uid int64, err error) string {
	if err != nil {
		return "❌ " + err.Error()
	}
	return b.tr(uid, "ok")
}

func (b *Bot) writeQueue(ctx context.Context, sb *strings.Builder, uid int64) {
	n, oldest, err := b.st.Read().CallbackQueueStats(ctx)
	if err != nil {
		sb.WriteString("\n" + err.Error())
		return
	}
	failed, _ := b.st.Read().TelegramFailedCallbacks(ctx, b.now().Add(-24*time.Hour))
	old := ""
	if oldest != nil && oldest.Before(b.now()) {
		old = b.tr(uid, "health.cb_oldest", ago(b.now(), *oldest))
	}
	sb.WriteString(b.tr(uid, "health.cb", n, old, failed))
}

func (b *Bot) writeChains(sb *strings.Builder, uid int64) {
	states := b.chainStates()
	names := make([]string, 0, 4)
	for name, cc := range b.cfg.Chains() {
		if cc.Enabled {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		s, ok := states[name]
		switch {
		case !ok && b.deps.Chains == nil:
			continue
		case !ok || !s.Leader:
			sb.WriteString(b.tr(uid, "health.other", chainTitle(name)))
		case s.Idle:
			sb.WriteString(b.tr(uid, "health.idle", chainTitle(name)))
		default:
			sb.WriteString(b.tr(uid, "health.chain", chainTitle(name), s.Lag.Truncate(time.Second), s.LagBlocks,
				ago(b.now(), s.LastSuccess)))
			if s.LastError != "" {
				sb.WriteString(b.tr(uid, "health.err", cut(s.LastError, 200)))
			}
		}
	}
}

// ago renders the time since t, to the second ("never" for a zero time).
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "∞"
	}
	d := now.Sub(t).Truncate(time.Second)
	if d < 0 {
		d = 0
	}
	return fmt.Sprint(d)
}
