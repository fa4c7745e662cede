package deploy_test

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/epusdt/epusdt/internal/metrics"
)

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = []string{"job", "instance"}

var descRE = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

// knownMetrics returns every series name the gateway exposes (histograms
// with their _bucket/_sum/_count series) with its label names, plus the
// "up" series Prometheus makes per target.
func knownMetrics(t *testing.T) map[string]map[string]bool {
	t.Helper()
	m := metrics.New()
	out := map[string]map[string]bool{}
	add := func(name string, labels ...string) {
		set := map[string]bool{}
		for _, l := range append(labels, targetLabels...) {
			set[l] = true
		}
		out[name] = set
	}
	add("up")
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok || v.Field(i).Type() == reflect.TypeOf(m.Registry) {
			continue
		}
		ch := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			sm := descRE.FindStringSubmatch(d.String())
			if sm == nil {
				t.Fatalf("cannot read descriptor %s", d)
			}
			var labels []string
			for _, l := range strings.Split(sm[2], ",") {
				if l = strings.TrimSpace(l); l != "" {
					labels = append(labels, l)
				}
			}
			add(sm[1], labels...)
			switch c.(type) {
			case *prometheus.HistogramVec, prometheus.Histogram:
				add(sm[1]+"_bucket", append(labels, "le")...)
				add(sm[1]+"_sum", labels...)
				add(sm[1]+"_count", labels...)
			}
		}
	}
	fams, err := m.Registry.Gather() // Go runtime and process collectors
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if _, ok := out[f.GetName()]; !ok {
			add(f.GetName())
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d metrics found: the descriptor format changed?", len(out))
	}
	return out
}

// checkExpr validates one PromQL expression against the known metrics and
// returns its problems.
func checkExpr(expr string, known map[string]map[string]bool) []string {
	refs, err := parsePromQL(expr)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	union := map[string]bool{}
	for name := range refs.metrics {
		labels, ok := known[name]
		if !ok {
			problems = append(problems, "unknown metric "+name)
			continue
		}
		if name != "up" && !strings.HasPrefix(name, "epusdt_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			problems = append(problems, "metric outside the epusdt_ namespace: "+name)
		}
		for l := range labels {
			union[l] = true
		}
		for l := range refs.matchers[name] {
			if !labels[l] && l != "__name__" {
				problems = append(problems, "metric "+name+" has no label "+l)
			}
		}
	}
	for l := range refs.grouping {
		if !union[l] {
			problems = append(problems, "no metric of the expression has the grouping label "+l)
		}
	}
	sort.Strings(problems)
	return problems
}

func TestKnownMetricsCoverTheIssue(t *testing.T) {
	known := knownMetrics(t)
	for name, label := range map[string]string{
		"epusdt_orders_created_total": "chain", "epusdt_orders_paid_total": "chain", "epusdt_chain_lag_blocks": "chain",
		"epusdt_rpc_errors_total": "chain", "epusdt_callback_attempts_total": "", "epusdt_callback_queue_depth": "",
		"epusdt_rate_age_seconds": "", "epusdt_http_request_duration_seconds_bucket": "le",
	} {
		labels, ok := known[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if label != "" && !labels[label] {
			t.Errorf("%s has no %s label", name, label)
		}
	}
}

func TestExpressionChecker(t *testing.T) {
	known := knownMetrics(t)
	good := []string{
		`sum by (chain) (rate(epusdt_orders_paid_total{chain=~"tron|bsc"}[5m]))`,
		`histogram_quantile(0.95, sum by (le, route) (rate(epusdt_http_request_duration_seconds_bucket[5m])))`,
		`time() - max by (chain) (epusdt_chain_last_success_timestamp_seconds) > 600`,
		`sum(increase(epusdt_orders_created_total[2h])) > 20 and (sum(increase(epusdt_orders_paid_total[2h])) or vector(0)) == 0`,
		`up{job="epusdt"} == 0`,
	}
	for _, e := range good {
		if p := checkExpr(e, known); len(p) > 0 {
			t.Errorf("%s: %v", e, p)
		}
	}
	bad := map[string]string{
		`sum(rate(epusdt_orders_payed_total[5m]))`:    "unknown metric",
		`sum by (wallet) (epusdt_orders_paid_total)`:  "grouping label wallet",
		`epusdt_callback_queue_depth{chain="tron"}`:   "no label chain",
		`sum(rate(epusdt_orders_paid_total[5m])`:      "unclosed",
		`rates(epusdt_orders_paid_total[5m])`:         "unknown function",
		`epusdt_orders_paid_total{chain="tron}`:       "unterminated",
		`epusdt_orders_paid_total{chain=~"("}`:        "bad regexp",
		`epusdt_orders_paid_total{chain}`:             "operator",
		`node_load1 > 3`:                              "unknown metric",
		`max(epusdt_rate_age_seconds) by (fiat)) > 1`: "unbalanced",
		`   `: "empty",
		`sum without (nope) (epusdt_transfers_total) > bool 1`: "grouping label nope",
	}
	for e, want := range bad {
		p := checkExpr(e, known)
		if !strings.Contains(strings.Join(p, "; "), want) {
			t.Errorf("%q: want a problem containing %q, got %v", e, want, p)
		}
	}
}
