package telegram

import (
	"context"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
)

// monitorState remembers, per problem key, how many checks in a row saw it
// and whether managers were told.
type monitorState struct {
	streak map[string]int
	told   map[string]bool
	relief map[string]func(l lang) string
}

func newMonitorState() monitorState {
	return monitorState{streak: map[string]int{}, told: map[string]bool{}, relief: map[string]func(l lang) string{}}
}

// problem is a current trouble: key identifies it, the texts render the
// alert and the all-clear.
type problem struct {
	key           string
	alert, relief func(l lang) string
}

// monitor checks this instance's chain watchers and exchange rate every
// monitorEvery until ctx ends.
func (b *Bot) monitor(ctx context.Context) {
	for sleep(ctx, b.tune.monitorEvery) == nil {
		b.monitorOnce()
	}
}

// monitorOnce compares the current problems with the last checks and
// queues an alert for each new lasting problem and an all-clear for each
// one that is gone.
func (b *Bot) monitorOnce() {
	current := map[string]problem{}
	for _, p := range append(b.chainProblems(), b.rateProblems()...) {
		current[p.key] = p
	}
	b.mu.Lock()
	var send []func(l lang) string
	for key, p := range current {
		b.mon.streak[key]++
		if b.mon.streak[key] >= b.tune.streak && !b.mon.told[key] {
			b.mon.told[key] = true
			send = append(send, p.alert)
		}
	}
	for key := range b.mon.streak {
		if _, ok := current[key]; ok {
			continue
		}
		if b.mon.told[key] {
			send = append(send, b.mon.relief[key])
		}
		delete(b.mon.streak, key)
		delete(b.mon.told, key)
		delete(b.mon.relief, key)
	}
	for key, p := range current {
		b.mon.relief[key] = p.relief
	}
	b.mu.Unlock()
	for _, render := range send {
		b.notifyAll(render)
	}
}

// chainProblems lists lagging and failing watchers this instance runs.
func (b *Bot) chainProblems() []problem {
	if b.deps.Chains == nil || !b.cfg.Telegram.NotifyChain {
		return nil
	}
	var out []problem
	threshold := b.cfg.Telegram.ChainLagThreshold
	for _, s := range b.deps.Chains.ChainStates() {
		if !s.Leader || s.Idle {
			continue
		}
		name := chainTitle(s.Chain)
		ok := func(l lang) string { return b.trL(l, "n.chain_ok", name) }
		if threshold > 0 && s.Lag > threshold {
			lag := s.Lag.Truncate(time.Second)
			out = append(out, problem{key: "lag:" + s.Chain, relief: ok,
				alert: func(l lang) string { return b.trL(l, "n.lag", name, lag, threshold) }})
		}
		if s.RPCFailing {
			msg := cut(s.LastError, 300)
			out = append(out, problem{key: "rpc:" + s.Chain, relief: ok,
				alert: func(l lang) string { return b.trL(l, "n.rpc", name, msg) }})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// rateProblems reports the default fiat's rate when it is not usable.
func (b *Bot) rateProblems() []problem {
	if b.deps.Rate == nil || !b.cfg.Telegram.NotifyRate {
		return nil
	}
	fiat := b.cfg.Orders.DefaultFiat
	if _, _, err := b.deps.Rate.Rate(fiat); err != nil {
		msg := err.Error()
		return []problem{{key: "rate:" + fiat,
			alert:  func(l lang) string { return b.trL(l, "n.rate", fiat, msg) },
			relief: func(l lang) string { return b.trL(l, "n.rate_ok", fiat) }}}
	}
	return nil
}

// notifyAll queues a notification to every manager without waiting.
func (b *Bot) notifyAll(render func(l lang) string) {
	for _, uid := range b.managers {
		if !b.out.notifyAsync(outMsg{chatID: uid, text: render(b.langOf(uid))}) {
			b.log.Warn("telegram notification queue full; notification dropped", zap.Int64("chat_id", uid))
		}
	}
}

// NotifyStarted queues the "gateway started" message (when lifecycle
// notifications are on). It never blocks; the message goes out once Run
// runs and Telegram answers.
func (b *Bot) NotifyStarted() {
	if !b.Enabled() || !b.cfg.Telegram.NotifyLifecycle {
		return
	}
	v := b.deps.Version
	if v == "" {
		v = "?"
	}
	b.notifyAll(func(l lang) string { return b.trL(l, "n.started", b.instance, v) })
}

// NotifyStopping sends the "gateway stopping" message directly (the queue
// may be stopping too), waiting at most until ctx ends or 3 seconds.
func (b *Bot) NotifyStopping(ctx context.Context) {
	if !b.Enabled() || !b.cfg.Telegram.NotifyLifecycle {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, uid := range b.managers {
		wg.Go(func() {
			if _, err := b.api.SendMessage(ctx, uid, b.trL(b.langOf(uid), "n.stopping", b.instance), nil); err != nil {
				b.log.Warn("telegram stop notification not sent", zap.Int64("chat_id", uid), zap.Error(err))
			}
		})
	}
	wg.Wait()
}
