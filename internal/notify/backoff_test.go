package notify

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffFollowsScheduleWithJitter(t *testing.T) {
	want := []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 16 * time.Hour, 16 * time.Hour}
	for i, base := range want {
		lo, hi := base-base/10, base+base/10
		seen := map[time.Duration]bool{}
		for range 50 {
			d := Backoff(i+1, 0)
			if d < lo || d > hi {
				t.Fatalf("attempt %d: wait %s outside [%s, %s]", i+1, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("attempt %d: no jitter", i+1)
		}
	}
	if d := Backoff(1, time.Hour); d != time.Hour {
		t.Fatalf("retry-after not honoured: %s", d)
	}
	if s := Schedule(); len(s) != 10 || s[0] != 15*time.Second {
		t.Fatalf("schedule %v", s)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":         0,
		"120":      120 * time.Second,
		"-5":       0,
		"soon":     0,
		"99999999": MaxRetryAfter,
		now.Add(10 * time.Minute).Format(http.TimeFormat): 10 * time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
		now.Add(72 * time.Hour).Format(http.TimeFormat):   MaxRetryAfter,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := RetryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

func TestShareWeightsPriorities(t *testing.T) {
	got := map[int]int{}
	for range 1000 {
		for p, n := range share([]int{6, 3, 1}, 10) {
			got[p] += n
		}
	}
	// Expect 6000 : 3000 : 1000; allow a wide margin for randomness.
	if got[6] < 5600 || got[6] > 6400 || got[3] < 2600 || got[3] > 3400 || got[6]+got[3]+got[1] != 10000 {
		t.Fatalf("weighted deal %v, want about 6000:3000:1000", got)
	}
	if l := levels([]int{1, 6, 3, 6}); len(l) != 3 || l[0] != 6 || l[2] != 1 {
		t.Fatalf("levels %v", l)
	}
}
