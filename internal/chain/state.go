package chain

import (
	"time"

	"github.com/epusdt/epusdt/internal/chain/evm"
)

// State is a watcher's progress, for metrics, readiness and the cashier.
type State struct {
	Chain       string
	Leader      bool      // this instance holds the chain's scan lease
	Idle        bool      // no enabled wallet: the chain is not polled
	Head        uint64    // latest block the RPC reported
	Settled     uint64    // latest settled block
	Cursor      uint64    // last block whose settled transfers are all stored
	LagBlocks   uint64    // Settled − Cursor
	LagSeconds  float64   // block time of Settled − block time of Cursor
	RPCErrors   uint64    // failed RPC requests since start
	LastSuccess time.Time // end of the last complete scan
	LastError   string    // error of the last failed scan ("" after a success)
	Range       uint64    // current eth_getLogs block range
	Chunk       int       // current addresses per eth_getLogs call
	Confirm     uint64    // confirmations required; 0 = the finalized tag
}

// State returns a copy of the watcher's progress.
func (w *Watcher) State() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

func (w *Watcher) update(fn func(s *State)) {
	w.mu.Lock()
	fn(&w.st)
	s := w.st
	w.mu.Unlock()
	m, c := w.o.Metrics, w.o.Chain
	if s.Idle || s.Head == 0 {
		return
	}
	m.ChainHead.WithLabelValues(c).Set(float64(s.Head))
	m.ChainSettled.WithLabelValues(c).Set(float64(s.Settled))
	m.ChainCursor.WithLabelValues(c).Set(float64(s.Cursor))
	m.ChainLagBlocks.WithLabelValues(c).Set(float64(s.LagBlocks))
	m.ChainLagSeconds.WithLabelValues(c).Set(s.LagSeconds)
	if !s.LastSuccess.IsZero() {
		m.ChainLastSuccess.WithLabelValues(c).Set(float64(s.LastSuccess.Unix()))
	}
}

// progress records heads and cursor after a range or a whole scan.
func (w *Watcher) progress(h heads, cursor uint64, cursorTime uint64) {
	w.update(func(s *State) {
		s.Head, s.Settled, s.Cursor = h.latest.Number, h.settled.Number, cursor
		s.LagBlocks, s.LagSeconds = 0, 0
		if h.settled.Number > cursor {
			s.LagBlocks = h.settled.Number - cursor
			if cursorTime > 0 && h.settled.Time > cursorTime {
				s.LagSeconds = float64(h.settled.Time - cursorTime)
			}
		}
		s.Range, s.Chunk, s.Confirm = w.rangeSize, w.chunk, w.confirm
	})
}

// observe counts one RPC request in the metrics and the state.
func (w *Watcher) observe(c evm.Call) {
	m := w.o.Metrics
	m.RPCCalls.WithLabelValues(w.o.Chain, c.Endpoint, c.Method).Inc()
	m.RPCDuration.WithLabelValues(w.o.Chain, c.Endpoint).Observe(c.Duration.Seconds())
	if c.Err != nil {
		m.RPCErrors.WithLabelValues(w.o.Chain, c.Endpoint).Inc()
		w.mu.Lock()
		w.st.RPCErrors++
		w.mu.Unlock()
	}
}

// settleProgress turns a state into the cashier's "confirming (n/N)".
func settleProgress(s State, block uint64) (confirmations, required int, ok bool) {
	if s.Head == 0 || s.Idle {
		return 0, 0, false
	}
	required = int(s.Confirm)
	if s.Confirm == 0 {
		required = 1
		if s.Head > s.Settled {
			required = int(s.Head-s.Settled) + 1
		}
	}
	switch {
	case block <= s.Settled:
		return required, required, true
	case block > s.Head:
		return 0, required, true
	}
	return min(int(s.Head-block)+1, required-1), required, true
}
