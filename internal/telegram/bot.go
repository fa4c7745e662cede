// Package telegram owns the gateway's Telegram bot: a Bot API client with
// long polling, the managers' commands and inline keyboards (wallets,
// orders, resend, stats, health; Chinese and English), and the notifier
// that tells managers about paid orders and trouble. Notifications are read
// from the database after a cursor kept in settings, so no other package
// calls the bot, and are sent through a paced, retrying queue; the cursor
// moves only after Telegram took a message (at-least-once). With several
// gateway instances only the holder of the "telegram" lease polls and
// notifies, since Telegram allows one getUpdates consumer per token.
package telegram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
)

// leaseName is the leases row that elects the instance running the bot.
const leaseName = "telegram"

// Resender makes an order's merchant callback due again (notify.Resend).
type Resender interface {
	Resend(ctx context.Context, tradeID string) error
}

// Check is a named health probe shown by /health; nil error = healthy.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Deps are the optional collaborators of the bot.
type Deps struct {
	Chains     ChainStatus  // watcher progress; nil = not shown or watched
	Rate       RateStatus   // exchange rates; nil = not shown or watched
	Resender   Resender     // nil = notify.Resend on the store
	Checks     []Check      // more /health probes (Redis, …)
	Instance   string       // this instance's id (lease holder); "" = random
	Version    string       // shown in lifecycle messages
	HTTPClient *http.Client // nil = a default client
}

// tuning holds timings; defaults suit Telegram, tests shorten them.
type tuning struct {
	pollTimeout   time.Duration // getUpdates long-poll wait
	callTimeout   time.Duration // one sendMessage/editMessageText call
	perChat       time.Duration // pacing per chat
	global        time.Duration // pacing overall
	backoff       time.Duration // first retry delay (doubles)
	backoffMax    time.Duration // largest retry delay
	replyAttempts int           // tries of a reply before giving up
	startBackoff  time.Duration // first delay after a failed start
	startMax      time.Duration // largest delay between start attempts
	leaseTTL      time.Duration // how long the bot lease lasts
	leaseRetry    time.Duration // how often a standby instance tries the lease
	pumpInterval  time.Duration // how often the database is read for events
	settleLag     time.Duration // rows younger than this wait (late commits)
	monitorEvery  time.Duration // chain and rate checks
	streak        int           // checks in a row that must see a problem before it is told
	convTTL       time.Duration // an unanswered "send the address" expires
}

func defaultTuning() tuning {
	return tuning{pollTimeout: 30 * time.Second, callTimeout: 15 * time.Second, perChat: time.Second,
		global: time.Second / 30, backoff: time.Second, backoffMax: time.Minute, replyAttempts: 5,
		startBackoff: 2 * time.Second, startMax: 5 * time.Minute, leaseTTL: 30 * time.Second,
		leaseRetry: 10 * time.Second, pumpInterval: 2 * time.Second, settleLag: 10 * time.Second,
		monitorEvery: 30 * time.Second, streak: 2, convTTL: 10 * time.Minute}
}

// Bot is the Telegram bot of one gateway instance.
type Bot struct {
	cfg      *config.Config
	st       *store.Store
	deps     Deps
	log      *zap.Logger
	now      func() time.Time
	api      *Client
	managers []int64
	instance string
	tune     tuning
	out      *sender
	resend   Resender

	mu     sync.Mutex
	convs  map[int64]pendingAdd // managers asked for a wallet address
	langs  map[int64]lang       // language per manager
	chosen map[int64]bool       // managers who chose their language with /lang
	texts  map[string][2]string // read-only catalog
	offset int64                // next getUpdates offset
	mon    monitorState
}

// New builds the bot; it does no I/O. The bot is enabled when tg_bot_token
// is set and tg_manage names at least one user id.
func New(cfg *config.Config, st *store.Store, deps Deps, log *zap.Logger, now func() time.Time) *Bot {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	if deps.Instance == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		deps.Instance = hex.EncodeToString(b)
	}
	b := &Bot{cfg: cfg, st: st, deps: deps, log: log.Named("telegram"), now: now, instance: deps.Instance,
		managers: parseManagers(cfg.TgManage), tune: defaultTuning(),
		convs: map[int64]pendingAdd{}, langs: map[int64]lang{}, chosen: map[int64]bool{}, texts: catalog(),
		mon: newMonitorState()}
	b.api = NewClient(cfg.TgProxy, cfg.TgBotToken, deps.HTTPClient)
	b.out = newSender(b.api, b.log, &b.tune)
	b.resend = deps.Resender
	if b.resend == nil {
		b.resend = notifyResender{st: st, now: now}
	}
	return b
}

func parseManagers(list string) []int64 {
	var out []int64
	for _, p := range strings.Split(list, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Enabled reports whether the bot has a token and managers to serve.
func (b *Bot) Enabled() bool { return b.cfg.TgBotToken != "" && len(b.managers) > 0 }

func (b *Bot) isManager(id int64) bool { return slices.Contains(b.managers, id) }

// Run runs the bot until ctx ends and returns nil. Every instance sends its
// own lifecycle, chain and rate notifications; the instance holding the
// "telegram" lease also serves commands and sends the database-driven
// notifications. A bot that cannot reach Telegram keeps retrying with
// backoff and never stops the gateway. A disabled bot just waits.
func (b *Bot) Run(ctx context.Context) error {
	if !b.Enabled() {
		if b.cfg.TgBotToken != "" {
			b.log.Warn("telegram bot disabled: tg_manage names no user id")
		}
		<-ctx.Done()
		return nil
	}
	b.loadLangs(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { b.out.run(ctx) })
	wg.Go(func() { b.monitor(ctx) })
	b.lead(ctx)
	wg.Wait()
	return nil
}

// lead takes the bot lease whenever it is free and runs a session while it
// holds it.
func (b *Bot) lead(ctx context.Context) {
	for ctx.Err() == nil {
		ok, err := b.st.AcquireLease(ctx, leaseName, b.instance, b.now(), b.tune.leaseTTL)
		if err != nil && ctx.Err() == nil {
			b.log.Warn("telegram bot lease not checked", zap.Error(err))
		}
		if ok {
			b.session(ctx)
			continue
		}
		_ = sleep(ctx, b.tune.leaseRetry)
	}
}

// session serves the bot while this instance holds the lease.
func (b *Bot) session(ctx context.Context) {
	b.log.Info("telegram bot lease taken; this instance runs the bot", zap.String("instance", b.instance))
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { b.keepLease(sctx, cancel) })
	wg.Go(func() {
		if b.start(sctx) != nil {
			return
		}
		b.loadOffset(sctx)
		var inner sync.WaitGroup
		inner.Go(func() { b.pollLoop(sctx) })
		inner.Go(func() { b.pumpLoop(sctx) })
		inner.Wait()
	})
	wg.Wait()
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer rcancel()
	if err := b.st.ReleaseLease(rctx, leaseName, b.instance); err != nil {
		b.log.Warn("telegram bot lease not released", zap.Error(err))
	}
}

// keepLease renews the lease and cancels the session once it is lost (or
// cannot be renewed before it runs out).
func (b *Bot) keepLease(ctx context.Context, cancel context.CancelFunc) {
	validUntil := b.now().Add(b.tune.leaseTTL)
	for sleep(ctx, b.tune.leaseTTL/3) == nil {
		ok, err := b.st.AcquireLease(ctx, leaseName, b.instance, b.now(), b.tune.leaseTTL)
		switch {
		case ok:
			validUntil = b.now().Add(b.tune.leaseTTL)
			continue
		case err == nil:
			b.log.Warn("telegram bot lease taken over by another instance")
		case b.now().Before(validUntil.Add(-b.tune.leaseTTL / 3)):
			b.log.Warn("telegram bot lease not renewed; retrying", zap.Error(err))
			continue
		default:
			b.log.Warn("telegram bot lease could not be renewed in time; stopping the bot here", zap.Error(err))
		}
		cancel()
		return
	}
}

// start checks the token with getMe, retrying with backoff; it returns an
// error only when ctx ends.
func (b *Bot) start(ctx context.Context) error {
	delay := b.tune.startBackoff
	for {
		cctx, cancel := context.WithTimeout(ctx, b.tune.callTimeout)
		me, err := b.api.GetMe(cctx)
		cancel()
		if err == nil {
			b.log.Info("telegram bot connected", zap.String("bot", me.Username), zap.Int("managers", len(b.managers)))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.log.Error("telegram bot cannot start; retrying (check tg_bot_token, tg_proxy and the network)",
			zap.Error(err), zap.Duration("after", delay))
		if err := sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(delay*2, b.tune.startMax)
	}
}
