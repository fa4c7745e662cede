package admin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
)

// APITokenSetting is the settings row that holds a rotated api_auth_token;
// it overrides the configured value.
const APITokenSetting = "api_auth_token"

// TokenSource returns the merchant API token in force now. The merchant
// API verifies signatures with it and notify signs callbacks with it.
type TokenSource func() string

// Tokens holds the merchant API token: the configured api_auth_token until
// an admin rotates it, then the value stored in the settings table (shared
// by every instance; Run reloads it).
type Tokens struct {
	st         *store.Store
	configured string
	now        func() time.Time

	mu        sync.RWMutex
	current   string
	rotatedAt time.Time
}

// NewTokens returns Tokens starting from the configured token; call Load
// before serving.
func NewTokens(st *store.Store, configured string, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{st: st, configured: configured, now: now, current: configured}
}

// Current returns the token in force (use it as a TokenSource:
// tokens.Current).
func (t *Tokens) Current() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.current
}

// Rotated reports whether the token in force comes from a rotation.
func (t *Tokens) Rotated() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.current != t.configured
}

// Load reads a rotated token from the settings table.
func (t *Tokens) Load(ctx context.Context) error {
	v, err := t.st.GetSetting(ctx, APITokenSetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load api token: %w", err)
	}
	t.mu.Lock()
	t.current = v
	t.mu.Unlock()
	return nil
}

// Rotate stores a new random token and returns it (to show once).
func (t *Tokens) Rotate(ctx context.Context) (string, error) {
	v, err := config.RandomToken(24)
	if err != nil {
		return "", err
	}
	now := t.now()
	if err := t.st.PutSetting(ctx, APITokenSetting, v, now); err != nil {
		return "", fmt.Errorf("rotate api token: %w", err)
	}
	t.mu.Lock()
	t.current, t.rotatedAt = v, now
	t.mu.Unlock()
	return v, nil
}

// TokenReloadEvery is how often Run reloads the token.
const TokenReloadEvery = 15 * time.Second

// Run reloads the token every TokenReloadEvery until ctx ends, so a
// rotation on one instance reaches the others. A failed reload keeps the
// token in force and is retried.
func (t *Tokens) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(TokenReloadEvery):
		}
		_ = t.Load(ctx)
	}
}
