// Package audit records who did what in the gateway's append-only audit
// log: admin logins, logouts and failures, and every change made from the
// admin console, the Telegram bot or the CLI, with secrets masked. It also
// prunes entries older than audit_log_retention_days.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/store"
)

// Masked replaces a secret in recorded details.
const Masked = "[masked]"

// Options configure a Recorder.
type Options struct {
	Store         *store.Store
	Enabled       bool // audit_log_enabled: false records nothing
	RetentionDays int  // audit_log_retention_days: <= 0 keeps entries forever
	Now           func() time.Time
	Log           *zap.Logger
	// Secrets are values (tokens, passwords) that must never appear in a
	// detail; any occurrence is replaced by Masked.
	Secrets []string
	// PruneEvery is how often Run prunes; 0 = hourly.
	PruneEvery time.Duration
}

// Recorder appends audit entries. A nil *Recorder records nothing, so
// callers need no check.
type Recorder struct {
	o Options
}

// New returns a Recorder.
func New(o Options) *Recorder {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = time.Hour
	}
	return &Recorder{o: o}
}

// Entry is one action to record. Detail holds what changed; values under
// keys that name a secret (password, token, secret, totp, key, signature)
// are masked.
type Entry struct {
	Actor  string // user name, Telegram user id, or "cli"
	Kind   string // store.Actor*
	Action string // e.g. "auth.login", "wallet.add", "order.mark_paid"
	Target string // what was acted on: trade_id, wallet address, …
	IP     string
	Detail map[string]any
}

// Enabled reports whether entries are recorded.
func (r *Recorder) Enabled() bool { return r != nil && r.o.Enabled }

// Record appends e with the current time. It does nothing when auditing is
// off.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	if !r.Enabled() {
		return nil
	}
	detail, err := r.detail(e.Detail)
	if err != nil {
		return err
	}
	return r.o.Store.AppendAudit(ctx, store.AuditEntry{Actor: cut(e.Actor, 128), ActorKind: e.Kind, Action: cut(e.Action, 64),
		Target: cut(r.scrub(e.Target), 255), Detail: detail, IP: cut(e.IP, 64), CreatedAt: r.o.Now().UTC()})
}

func (r *Recorder) detail(d map[string]any) (string, error) {
	if len(d) == 0 {
		return "", nil
	}
	b, err := json.Marshal(MaskDetail(d))
	if err != nil {
		return "", fmt.Errorf("encode audit detail: %w", err)
	}
	return r.scrub(string(b)), nil
}

// scrub replaces every known secret value in s.
func (r *Recorder) scrub(s string) string {
	for _, sec := range r.o.Secrets {
		if len(sec) >= 6 {
			s = strings.ReplaceAll(s, sec, Masked)
		}
	}
	return s
}

// IsSecretKey reports whether a detail key names a secret.
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"password", "passwd", "token", "secret", "totp", "key", "signature"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// MaskDetail returns a copy of d with the values of secret keys masked,
// nested maps included.
func MaskDetail(d map[string]any) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		switch x := v.(type) {
		case map[string]any:
			out[k] = MaskDetail(x)
		default:
			if IsSecretKey(k) && v != nil && v != "" {
				out[k] = Masked
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// Run prunes entries older than the retention every PruneEvery until ctx
// ends.
func (r *Recorder) Run(ctx context.Context) error {
	for {
		if _, err := r.runOnce(ctx); err != nil {
			r.o.Log.Warn("audit log pruning failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.o.PruneEvery):
		}
	}
}

// runOnce deletes the entries past retention and returns how many.
func (r *Recorder) runOnce(ctx context.Context) (int64, error) {
	if r.o.RetentionDays <= 0 || r.o.Store == nil {
		return 0, nil
	}
	before := r.o.Now().Add(-time.Duration(r.o.RetentionDays) * 24 * time.Hour)
	n, err := r.o.Store.PruneAudit(ctx, before)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		r.o.Log.Info("audit log pruned", zap.Int64("entries", n), zap.Time("before", before))
	}
	return n, nil
}

// Changes lists "key: old → new" for the keys whose values differ, in key
// order, for a readable detail.
func Changes(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, fmt.Sprintf("%s: %q → %q", k, before[k], v))
		}
	}
	sort.Strings(out)
	return out
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
