package guard

import "time"

// The limiter is a sliding-window counter: each key keeps the number of
// requests in the current fixed window and in the one before it, and the
// estimate for "the last window duration" is
//
//	prev × (window − elapsed) / window + cur
//
// where elapsed is how far the clock is into the current fixed window. A
// request fits when the estimate plus one is at most the limit. This costs
// two integers per key (in memory and in Redis) instead of one timestamp per
// request, and it slides: requests of the previous window fade out linearly
// instead of all being forgotten at a boundary. The Lua script in
// redisstore.go is the same arithmetic; both are checked against one test
// suite.

// Count is what one atomic check of a key saw, after counting the request
// when it was allowed.
type Count struct {
	Allowed bool
	Prev    int64         // requests in the previous fixed window
	Cur     int64         // requests in the current fixed window
	Elapsed time.Duration // how far the clock is into the current fixed window
}

// counts is the stored state of one key.
type counts struct {
	Index int64 // fixed window number: unix ms / window ms
	Prev  int64
	Cur   int64
}

// slide rolls c forward to the fixed window containing nowMS, then counts
// one request if it fits limit per windowMS.
func slide(c counts, nowMS, limit, windowMS int64) (counts, Count) {
	idx := nowMS / windowMS
	elapsed := nowMS - idx*windowMS
	switch c.Index {
	case idx:
	case idx - 1:
		c.Prev, c.Cur = c.Cur, 0
	default:
		c.Prev, c.Cur = 0, 0
	}
	c.Index = idx
	ok := c.Prev*(windowMS-elapsed)+(c.Cur+1)*windowMS <= limit*windowMS
	if ok {
		c.Cur++
	}
	return c, Count{Allowed: ok, Prev: c.Prev, Cur: c.Cur, Elapsed: time.Duration(elapsed) * time.Millisecond}
}

// remaining is how many more requests fit right now after c.
func remaining(c Count, limit, w int64) int64 {
	e := c.Elapsed.Milliseconds()
	free := limit*w - c.Prev*(w-e) - c.Cur*w
	if free <= 0 {
		return 0
	}
	return free / w
}

// retryAfter is how long until one more request fits after c (0 if one
// fits now).
func retryAfter(c Count, limit, w int64) time.Duration {
	e := c.Elapsed.Milliseconds()
	if c.Prev*(w-e)+(c.Cur+1)*w <= limit*w {
		return 0
	}
	if c.Cur+1 <= limit && c.Prev > 0 {
		// Fits later in this fixed window once enough of prev has faded.
		at := w - (limit-c.Cur-1)*w/c.Prev
		if at < w {
			return time.Duration(at-e) * time.Millisecond
		}
	}
	// Next fixed window: cur becomes prev and starts fading from full.
	var at int64
	if c.Cur > 0 {
		at = max(w-(limit-1)*w/c.Cur, 0)
	}
	return time.Duration(w-e+at) * time.Millisecond
}

// resetAfter is how long until the key's counters are empty again.
func resetAfter(c Count, w int64) time.Duration {
	e := c.Elapsed.Milliseconds()
	switch {
	case c.Cur > 0:
		return time.Duration(2*w-e) * time.Millisecond
	case c.Prev > 0:
		return time.Duration(w-e) * time.Millisecond
	}
	return 0
}

// ceilSeconds rounds d up to whole seconds, as rate-limit headers want.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
