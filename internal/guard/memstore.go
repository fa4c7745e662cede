package guard

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Default capacities of a MemoryStore.
const (
	DefaultMaxKeys   = 100_000 // rate-limit keys (≈ 150 bytes each)
	DefaultMaxNonces = 200_000 // nonces remembered within the replay window
)

const shardCount = 32

// MemoryStore is the Store of a single gateway without Redis: sharded maps
// with expiry and a cap on entries, so memory stays bounded whatever the
// traffic. Expired entries are swept when a shard is full. When a shard is
// full of live counters, a sixteenth of it is forgotten at random (those
// clients start a fresh window: memory wins over precision under a flood of
// distinct addresses). Nonces are never forgotten early: a full nonce table
// refuses new nonces instead.
type MemoryStore struct {
	now      func() time.Time
	counters *table[counts]
	nonces   *table[struct{}]
}

// NewMemoryStore returns an empty store holding at most maxKeys counters and
// maxNonces nonces (≤ 0 selects the defaults).
func NewMemoryStore(maxKeys, maxNonces int, now func() time.Time) *MemoryStore {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if maxNonces <= 0 {
		maxNonces = DefaultMaxNonces
	}
	return &MemoryStore{now: now, counters: newTable[counts](maxKeys), nonces: newTable[struct{}](maxNonces)}
}

// Hit implements Store.
func (m *MemoryStore) Hit(_ context.Context, key string, limit int, window time.Duration) (Count, error) {
	nowMS := m.now().UnixMilli()
	w := window.Milliseconds()
	var out Count
	m.counters.update(key, nowMS, true, func(e *entry[counts]) {
		var c counts
		c, out = slide(e.val, nowMS, int64(limit), w)
		e.val = c
		// The current window's count matters until the end of the next one.
		e.expires = (c.Index + 2) * w
	})
	return out, nil
}

// Claim implements Store.
func (m *MemoryStore) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	nowMS := m.now().UnixMilli()
	fresh := false
	ok := m.nonces.update(key, nowMS, false, func(e *entry[struct{}]) {
		if e.expires > nowMS {
			return
		}
		fresh = true
		e.expires = nowMS + ttl.Milliseconds()
	})
	if !ok {
		return false, errFull
	}
	return fresh, nil
}

// Ping implements Store; memory always answers.
func (m *MemoryStore) Ping(context.Context) error { return nil }

// Len reports how many counters and nonces are held (expired ones included
// until swept).
func (m *MemoryStore) Len() (counters, nonces int) {
	return m.counters.len(), m.nonces.len()
}

type entry[V any] struct {
	val     V
	expires int64 // unix ms; an entry at or past it is treated as absent
}

type table[V any] struct {
	seed     maphash.Seed
	perShard int
	shards   [shardCount]tableShard[V]
}

type tableShard[V any] struct {
	mu sync.Mutex
	m  map[string]*entry[V]
}

func newTable[V any](capacity int) *table[V] {
	t := &table[V]{seed: maphash.MakeSeed(), perShard: max(1, capacity/shardCount)}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*entry[V])
	}
	return t
}

// update calls fn with key's entry under the shard lock; an absent or
// expired entry is passed zeroed. It reports false when there was no room
// for a new entry (only possible with evictLive false).
func (t *table[V]) update(key string, nowMS int64, evictLive bool, fn func(*entry[V])) bool {
	sh := &t.shards[maphash.String(t.seed, key)%shardCount]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[key]
	if ok && e.expires <= nowMS {
		*e = entry[V]{}
	}
	if !ok {
		if len(sh.m) >= t.perShard && !sh.makeRoom(t.perShard, nowMS, evictLive) {
			return false
		}
		e = &entry[V]{}
		sh.m[key] = e
	}
	fn(e)
	return true
}

// peek copies key's live value into v, if there is one, without creating
// an entry.
func (t *table[V]) peek(key string, nowMS int64, v *V) {
	sh := &t.shards[maphash.String(t.seed, key)%shardCount]
	sh.mu.Lock()
	if e, ok := sh.m[key]; ok && e.expires > nowMS {
		*v = e.val
	}
	sh.mu.Unlock()
}

// makeRoom sweeps expired entries, then, if allowed, forgets live ones
// until the shard is at 15/16 of its cap.
func (sh *tableShard[V]) makeRoom(limit int, nowMS int64, evictLive bool) bool {
	for k, e := range sh.m {
		if e.expires <= nowMS {
			delete(sh.m, k)
		}
	}
	if len(sh.m) < limit {
		return true
	}
	if !evictLive {
		return false
	}
	target := limit - max(1, limit/16)
	for k := range sh.m {
		if len(sh.m) <= target {
			break
		}
		delete(sh.m, k)
	}
	return true
}

func (t *table[V]) len() int {
	n := 0
	for i := range t.shards {
		t.shards[i].mu.Lock()
		n += len(t.shards[i].m)
		t.shards[i].mu.Unlock()
	}
	return n
}
