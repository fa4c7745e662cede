package main

import (
	"fmt"
	"sort"
	"time"
)

// summary is the distribution of a set of durations.
type summary struct {
	n                       int
	p50, p95, p99, max, avg time.Duration
}

// summarize sorts ds (in place) and reads its percentiles (nearest rank).
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	return summary{n: len(ds), p50: rank(ds, 50), p95: rank(ds, 95), p99: rank(ds, 99), max: ds[len(ds)-1],
		avg: total / time.Duration(len(ds))}
}

// rank is the nearest-rank percentile p of sorted ds.
func rank(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p + 99) / 100
	return ds[max(i, 1)-1]
}

// ms shows a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func (s summary) String() string {
	return fmt.Sprintf("p50 %s, p95 %s, p99 %s, max %s (%d samples)", ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), s.n)
}
