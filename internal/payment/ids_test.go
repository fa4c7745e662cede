package payment

import (
	"strings"
	"testing"
	"time"
)

func TestTradeID(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 1, 23, 59, 59, 999e6, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 2000; i++ {
		id := newTradeID(base.Add(-time.Duration(2000-i) * time.Millisecond))
		if len(id) != 32 || !strings.HasPrefix(id, "20260301") || strings.Trim(id[8:], tradeIDAlphabet) != "" {
			t.Fatalf("bad id %q", id)
		}
		if seen[id] || id[:14] < prev {
			t.Fatalf("id %q repeats or sorts before %q", id, prev)
		}
		seen[id], prev = true, id[:14]
	}
	// 90 random bits: two ids of the same millisecond differ in the random part.
	a, b := newTradeID(base), newTradeID(base)
	if a[:14] != b[:14] || a == b {
		t.Fatalf("%s %s", a, b)
	}
}
