// Package deploy_test checks the deployment files: the Prometheus alert
// rules (promtool-style structure, and every metric and label known to the
// gateway), the Grafana dashboard (every query's metrics), the systemd
// units, the nginx site and the logrotate file.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval"`
	Limit    int    `yaml:"limit"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

var (
	alertNameRE  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	recordNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	templateVars = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
)

// promTemplateFuncs stands in for the functions Prometheus offers in
// alert templates, so a template that uses another one fails to parse.
func promTemplateFuncs() template.FuncMap {
	f := template.FuncMap{}
	for _, n := range strings.Fields(`humanize humanize1024 humanizeDuration humanizePercentage humanizeTimestamp
 toTime query first label value strvalue args reReplaceAll safeHtml match title toUpper toLower graphLink tableLink
 sortByLabel pathPrefix externalURL parseDuration stripPort stripDomain`) {
		f[n] = func(...any) any { return nil }
	}
	return f
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // promtool refuses unknown keys too
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	return rf
}

func checkDuration(t *testing.T, where, d string) {
	t.Helper()
	if d == "" {
		return
	}
	if _, err := model.ParseDuration(d); err != nil {
		t.Errorf("%s: bad duration %q: %v", where, d, err)
	}
}

func TestAlertRules(t *testing.T) {
	known := knownMetrics(t)
	rf := loadRules(t)
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	groups, alerts := map[string]bool{}, map[string]bool{}
	for _, g := range rf.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("group name %q empty or repeated", g.Name)
		}
		groups[g.Name] = true
		checkDuration(t, g.Name+" interval", g.Interval)
		if len(g.Rules) == 0 {
			t.Errorf("group %s has no rules", g.Name)
		}
		for _, r := range g.Rules {
			checkRule(t, r, known)
			if r.Alert != "" {
				if alerts[r.Alert] {
					t.Errorf("alert %s defined twice", r.Alert)
				}
				alerts[r.Alert] = true
			}
		}
	}
	// The alerts: watcher lag, RPC errors, callbacks failing, rate
	// stale, no orders paid while many created, Redis down.
	for _, a := range []string{"EpusdtWatcherLagging", "EpusdtRPCErrors", "EpusdtCallbacksFailing", "EpusdtRateStale",
		"EpusdtNoOrdersPaid", "EpusdtRedisDown"} {
		if !alerts[a] {
			t.Errorf("alert %s missing", a)
		}
	}
}

func checkRule(t *testing.T, r rule, known map[string]map[string]bool) {
	t.Helper()
	name := r.Alert + r.Record
	switch {
	case (r.Alert == "") == (r.Record == ""):
		t.Errorf("rule %q: exactly one of alert and record is required", name)
	case r.Record != "" && !recordNameRE.MatchString(r.Record):
		t.Errorf("record %q: invalid metric name", r.Record)
	case r.Alert != "" && !alertNameRE.MatchString(r.Alert):
		t.Errorf("alert %q: use CamelCase names", r.Alert)
	}
	if r.Record != "" && (r.For != "" || len(r.Annotations) > 0) {
		t.Errorf("record %s: for and annotations belong to alerts", r.Record)
	}
	checkDuration(t, name+" for", r.For)
	checkDuration(t, name+" keep_firing_for", r.KeepFiringFor)
	for _, p := range checkExpr(r.Expr, known) {
		t.Errorf("%s: expr %q: %s", name, r.Expr, p)
	}
	for k := range r.Labels {
		if !labelName.MatchString(k) {
			t.Errorf("%s: invalid label name %q", name, k)
		}
	}
	if r.Alert == "" {
		return
	}
	if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" && sev != "info" {
		t.Errorf("%s: severity label %q, want critical, warning or info", name, sev)
	}
	for _, k := range []string{"summary", "description"} {
		if strings.TrimSpace(r.Annotations[k]) == "" {
			t.Errorf("%s: annotation %s missing", name, k)
		}
	}
	for k, v := range r.Annotations {
		if _, err := template.New(k).Funcs(promTemplateFuncs()).Parse(templateVars + v); err != nil {
			t.Errorf("%s: annotation %s: %v", name, k, err)
		}
	}
	checkTemplateLabels(t, r)
}

var labelRefRE = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// checkTemplateLabels makes sure an annotation's $labels.X survives the
// expression: with an aggregation, X must be in its by (…) list.
func checkTemplateLabels(t *testing.T, r rule) {
	refs, err := parsePromQL(r.Expr)
	if err != nil || !regexp.MustCompile(`\b(sum|max|min|avg|count)\b`).MatchString(r.Expr) {
		return
	}
	for _, v := range r.Annotations {
		for _, m := range labelRefRE.FindAllStringSubmatch(v, -1) {
			if !refs.grouping[m[1]] {
				t.Errorf("%s: annotation uses $labels.%s but the aggregation drops it", r.Alert, m[1])
			}
		}
	}
}

// dashboardQueries walks the dashboard JSON and returns every "expr" and
// every templating query.
func dashboardQueries(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && (k == "expr" || k == "definition") {
				*out = append(*out, s)
				continue
			}
			dashboardQueries(c, out)
		}
	case []any:
		for _, c := range x {
			dashboardQueries(c, out)
		}
	}
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

func TestGrafanaDashboard(t *testing.T) {
	known := knownMetrics(t)
	b, err := os.ReadFile("grafana/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string           `json:"title"`
		UID    string           `json:"uid"`
		Panels []map[string]any `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	var raw any
	_ = json.Unmarshal(b, &raw)
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) < 10 {
		t.Fatalf("dashboard lacks title, uid or panels: %q %q %d", dash.Title, dash.UID, len(dash.Panels))
	}
	ids := map[float64]bool{}
	for _, p := range dash.Panels {
		id, _ := p["id"].(float64)
		if ids[id] {
			t.Errorf("panel id %v repeated", id)
		}
		ids[id] = true
		if p["type"] != "row" && (p["title"] == "" || p["targets"] == nil) {
			t.Errorf("panel %v lacks a title or targets", id)
		}
	}
	var queries []string
	dashboardQueries(raw, &queries)
	if len(queries) < 20 {
		t.Fatalf("only %d queries found", len(queries))
	}
	used := map[string]bool{}
	for _, q := range queries {
		expr := q
		if m := labelValuesRE.FindStringSubmatch(q); m != nil {
			expr = m[1]
			if refs, err := parsePromQL(expr); err == nil {
				for name := range refs.metrics {
					if !known[name][m[2]] {
						t.Errorf("%s: metric %s has no label %s", q, name, m[2])
					}
				}
			}
		}
		for _, p := range checkExpr(expr, known) {
			t.Errorf("dashboard query %q: %s", q, p)
		}
		refs, _ := parsePromQL(expr)
		for n := range refs.metrics {
			used[n] = true
		}
	}
	for _, want := range []string{"epusdt_orders_paid_total", "epusdt_chain_lag_seconds", "epusdt_rpc_errors_total",
		"epusdt_callback_queue_depth", "epusdt_rate_age_seconds", "epusdt_redis_up"} {
		if !used[want] {
			t.Errorf("dashboard has no panel over %s", want)
		}
	}
}

func readDeploy(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unitDirectives parses a systemd unit into key → values.
func unitDirectives(text string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out[k] = append(out[k], v)
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	u := unitDirectives(readDeploy(t, "systemd/epusdt.service"))
	want := map[string]string{
		"User": "epusdt", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
		"Restart": "on-failure", "ReadWritePaths": "/opt/epusdt/runtime", "ProtectHome": "yes", "CapabilityBoundingSet": "",
		"ExecStart": "/opt/epusdt/epusdt http start", "WorkingDirectory": "/opt/epusdt",
	}
	for k, v := range want {
		if got := u[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s=%v, want %q", k, got, v)
		}
	}
	verifyUnits(t)
}

// verifyUnits runs systemd-analyze verify when it is installed, on copies
// whose executables exist.
func verifyUnits(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("NOTICE: systemd-analyze not installed: unit files checked structurally only")
		return
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "epusdt")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, name := range []string{"epusdt.service", "epusdt-backup.service", "epusdt-backup.timer"} {
		text := readDeploy(t, filepath.Join("systemd", name))
		text = strings.ReplaceAll(text, "/opt/epusdt/epusdt", fake)
		text = strings.ReplaceAll(text, "/opt/epusdt/scripts/backup.sh", fake)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, err := exec.Command(sa, append([]string{"verify"}, files...)...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestNginxSite(t *testing.T) {
	conf := readDeploy(t, "nginx/epusdt.conf")
	depth := 0
	for _, c := range conf {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth < 0 {
			t.Fatal("unbalanced braces")
		}
	}
	if depth != 0 {
		t.Fatal("unclosed brace")
	}
	for _, want := range []string{
		"ssl_protocols TLSv1.2 TLSv1.3;", `add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;`,
		`add_header X-Content-Type-Options "nosniff" always;`, "proxy_set_header X-Forwarded-For $remote_addr;",
		"proxy_set_header X-Real-IP $remote_addr;", "proxy_set_header X-Forwarded-Proto $scheme;",
		"limit_req zone=epusdt_api", "limit_req zone=epusdt_status", "limit_req zone=epusdt_login",
		"location = /metrics", "return 301 https://", "client_max_body_size 64k;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx site lacks %q", want)
		}
	}
	if strings.Contains(conf, "$proxy_add_x_forwarded_for") {
		t.Error("appending the client's X-Forwarded-For lets payers choose their rate-limit address")
	}
}

func TestLogrotate(t *testing.T) {
	conf := readDeploy(t, "logrotate/epusdt")
	for _, want := range []string{"/var/log/epusdt/*.log {", "rotate ", "compress", "copytruncate", "missingok"} {
		if !strings.Contains(conf, want) {
			t.Errorf("logrotate file lacks %q", want)
		}
	}
	if lr, err := exec.LookPath("logrotate"); err == nil {
		dir := t.TempDir()
		text := strings.ReplaceAll(conf, "/var/log/epusdt", dir)
		text = strings.ReplaceAll(text, "su epusdt epusdt", "")
		p := filepath.Join(dir, "conf")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(lr, "--debug", "--state", filepath.Join(dir, "state"), p).CombinedOutput(); err != nil {
			t.Errorf("logrotate --debug: %v\n%s", err, out)
		}
	}
}
