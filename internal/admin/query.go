package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
)

// Page is the paging of a list answer.
type Page struct {
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

func pageParams(q url.Values) (Page, error) {
	p := Page{Page: 1, PerPage: 50}
	for _, f := range []struct {
		key string
		dst *int
		max int
	}{{"page", &p.Page, 1 << 20}, {"per_page", &p.PerPage, 500}} {
		if v := q.Get(f.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > f.max {
				return p, errf(http.StatusBadRequest, "%s: want a number from 1 to %d", f.key, f.max)
			}
			*f.dst = n
		}
	}
	return p, nil
}

func (p Page) offset() int { return (p.Page - 1) * p.PerPage }

// parseDay reads a date (2006-01-02, UTC) or an RFC 3339 time; end=true
// turns a date into the start of the next day.
func parseDay(field, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, errf(http.StatusBadRequest, "%s: want a date like 2026-01-31 or an RFC 3339 time", field)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

func parseChain(v string) (string, error) {
	if v != "" && !address.IsChain(v) {
		return "", errf(http.StatusBadRequest, "chain: want one of %s", strings.Join(address.Chains(), ", "))
	}
	return v, nil
}

func parseStatus(v string) (int, error) {
	switch v {
	case "":
		return 0, nil
	case "1", "waiting":
		return store.OrderWaiting, nil
	case "2", "paid":
		return store.OrderPaid, nil
	case "3", "expired":
		return store.OrderExpired, nil
	}
	return 0, errf(http.StatusBadRequest, "status: want waiting, paid or expired")
}

// searchTerms returns the spellings of a search text to try: as typed,
// lower case (tx hashes), with and without 0x, and as a canonical address
// on each chain where it parses.
func searchTerms(q string) []string {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] && len(out) < 12 {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(q)
	low := strings.ToLower(q)
	add(low)
	if strings.HasPrefix(low, "0x") {
		add(low[2:])
	} else if len(low) == 64 {
		add("0x" + low)
	}
	for _, ch := range address.Chains() {
		if a, err := address.Normalize(ch, q); err == nil {
			add(a)
		}
	}
	return out
}

// orderFilter reads the order list filters of a request.
func orderFilter(q url.Values) (store.OrderFilter, Page, error) {
	var f store.OrderFilter
	p, err := pageParams(q)
	if err != nil {
		return f, p, err
	}
	if f.Status, err = parseStatus(q.Get("status")); err != nil {
		return f, p, err
	}
	if f.Chain, err = parseChain(q.Get("chain")); err != nil {
		return f, p, err
	}
	if f.Since, err = parseDay("from", q.Get("from"), false); err != nil {
		return f, p, err
	}
	if f.Until, err = parseDay("to", q.Get("to"), true); err != nil {
		return f, p, err
	}
	f.Terms, f.Limit, f.Offset = searchTerms(q.Get("q")), p.PerPage, p.offset()
	return f, p, nil
}

func transferFilter(q url.Values) (store.TransferFilter, Page, error) {
	var f store.TransferFilter
	p, err := pageParams(q)
	if err != nil {
		return f, p, err
	}
	if f.Chain, err = parseChain(q.Get("chain")); err != nil {
		return f, p, err
	}
	switch m := q.Get("match"); m {
	case "", store.MatchAttention, store.MatchPaid, store.MatchLate, store.MatchLateOnly, store.MatchUnmatched:
		f.Match = m
	default:
		return f, p, errf(http.StatusBadRequest, "match: want attention, matched, late, late_recorded or unmatched")
	}
	switch s := q.Get("state"); s {
	case "", store.TransferDetected, store.TransferSettled, store.TransferRemoved:
		f.State = s
	default:
		return f, p, errf(http.StatusBadRequest, "state: want detected, settled or removed")
	}
	f.Terms, f.Limit, f.Offset = searchTerms(q.Get("q")), p.PerPage, p.offset()
	return f, p, nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errf(http.StatusBadRequest, "id: want a positive number")
	}
	return id, nil
}
