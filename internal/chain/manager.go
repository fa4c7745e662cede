package chain

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// ManagerOptions configures NewManager.
type ManagerOptions struct {
	Config     *config.Config
	Store      *store.Store
	Sink       Sink
	Metrics    *metrics.Metrics
	Log        *zap.Logger
	Instance   string // lease holder id of this process
	Now        func() time.Time
	HTTPClient *http.Client // nil = a fresh client per chain
}

// Manager holds the watchers of every enabled chain.
type Manager struct {
	watchers map[string]*Watcher
}

// NewManager builds one watcher per enabled chain of the configuration.
func NewManager(o ManagerOptions) (*Manager, error) {
	m := &Manager{watchers: map[string]*Watcher{}}
	for name, c := range o.Config.Chains() {
		if !c.Enabled {
			continue
		}
		w, err := NewWatcher(Options{Chain: name, Config: *c, TronGridKey: o.Config.TronGridKey,
			LeaseTTL: o.Config.ChainLeaseTTL, Instance: o.Instance, Store: o.Store, Sink: o.Sink,
			Metrics: o.Metrics, Log: o.Log, Now: o.Now, HTTPClient: o.HTTPClient})
		if err != nil {
			return nil, err
		}
		m.watchers[name] = w
	}
	return m, nil
}

// NewManagerOf wraps already built watchers (tests, custom wiring).
func NewManagerOf(ws ...*Watcher) *Manager {
	m := &Manager{watchers: map[string]*Watcher{}}
	for _, w := range ws {
		m.watchers[w.Chain()] = w
	}
	return m
}

// Chains lists the watched chains, sorted.
func (m *Manager) Chains() []string {
	out := make([]string, 0, len(m.watchers))
	for name := range m.watchers {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Watcher returns the watcher of chain, or nil.
func (m *Manager) Watcher(chain string) *Watcher { return m.watchers[chain] }

// States returns every watcher's progress, keyed by chain.
func (m *Manager) States() map[string]State {
	out := make(map[string]State, len(m.watchers))
	for name, w := range m.watchers {
		out[name] = w.State()
	}
	return out
}

// Run runs every watcher until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(m.watchers))
	for _, w := range m.watchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(ctx); err != nil {
				errs <- fmt.Errorf("%s watcher: %w", w.Chain(), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// SettleProgress tells how far a transfer in block of chain is from
// settling: confirmations so far and confirmations required (for chains
// that settle on the finalized tag, required is the current distance from
// the latest to the finalized block, plus one). ok is false when the chain
// is not watched here or its heads are not known yet. A settled block
// reports confirmations == required.
func (m *Manager) SettleProgress(chain string, block uint64) (confirmations, required int, ok bool) {
	w := m.watchers[chain]
	if w == nil {
		return 0, 0, false
	}
	return settleProgress(w.State(), block)
}
