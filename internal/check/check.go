// Package check owns `epusdt check`: a review of a gateway installation's
// security and operability — file permissions of .env and the runtime
// secrets, weak or empty secrets, debug mode, plain-http app_uri, Redis
// without a password, /metrics exposed without a token, plaintext private
// keys lying around, and missing or stale backups. Each finding says what
// to do; errors make the command exit non-zero. Findings never contain a
// secret value.
package check

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/config"
)

// Level is how serious a finding is.
type Level int

// Finding levels.
const (
	OK Level = iota
	Warn
	Error
)

func (l Level) String() string {
	return [...]string{"ok", "WARN", "ERROR"}[l]
}

// Check names, one per kind of finding.
const (
	EnvFile       = "env-file"
	RuntimeFiles  = "runtime-files"
	APIToken      = "api-token"
	JWTSecret     = "jwt-secret"
	AdminPassword = "admin-password"
	Debug         = "debug"
	AppURI        = "app-uri"
	Redis         = "redis"
	Metrics       = "metrics"
	PrivateKeys   = "private-keys"
	Backups       = "backups"
	Proxies       = "trusted-proxies"
	Database      = "database"
)

// Finding is one result: which check, how serious, about what (a config
// key or a path), and a message that says what to do.
type Finding struct {
	Check   string
	Level   Level
	Subject string
	Message string
}

// Report is every finding of one run.
type Report []Finding

// Count returns how many findings have level l.
func (r Report) Count(l Level) int {
	n := 0
	for _, f := range r {
		if f.Level == l {
			n++
		}
	}
	return n
}

// Of returns the findings of one check.
func (r Report) Of(check string) []Finding {
	var out []Finding
	for _, f := range r {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// Write prints one line per finding and a summary line.
func (r Report) Write(w io.Writer) error {
	for _, f := range r {
		if _, err := fmt.Fprintf(w, "%-5s  %-15s  %s: %s\n", f.Level, f.Check, f.Subject, f.Message); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d errors, %d warnings, %d passed\n", r.Count(Error), r.Count(Warn), r.Count(OK))
	return err
}

// Options are what Run inspects.
type Options struct {
	Config  *config.Config
	EnvFile string   // the .env file the configuration came from; "" when none
	Environ []string // the process environment (EPUSDT_* names are inspected, never printed)
	WorkDir string   // the gateway's working directory; default: the current one
	Now     func() time.Time
}

type run struct {
	o   Options
	cfg *config.Config
	out Report
}

func (r *run) add(check string, l Level, subject, format string, args ...any) {
	r.out = append(r.out, Finding{Check: check, Level: l, Subject: subject, Message: fmt.Sprintf(format, args...)})
}

// Run performs every check and returns the findings in a stable order.
func Run(o Options) Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WorkDir == "" {
		o.WorkDir, _ = os.Getwd()
	}
	r := &run{o: o, cfg: o.Config}
	r.checkEnvFile()
	r.checkRuntimeFiles()
	r.checkSecrets()
	r.checkDebug()
	r.checkAppURI()
	r.checkRedis()
	r.checkMetrics()
	r.checkProxies()
	r.checkDatabase()
	r.checkPrivateKeys()
	r.checkBackups()
	return r.out
}

// abs resolves p against the working directory.
func (r *run) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(r.o.WorkDir, p)
}

// runtimeDir is runtime_root_path resolved against the working directory.
func (r *run) runtimeDir() string { return r.abs(r.cfg.RuntimeRootPath) }

// sqlitePath is the SQLite database file, or "" for other databases.
func (r *run) sqlitePath() string {
	if r.cfg.DBType != "sqlite" {
		return ""
	}
	p := r.cfg.SqliteDatabaseFilename
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.runtimeDir(), p)
}

func (r *run) checkDebug() {
	if r.cfg.AppDebug {
		r.add(Debug, Error, "app_debug", "debug mode is on (console logs, request logging): set app_debug=false in production")
		return
	}
	r.add(Debug, OK, "app_debug", "off")
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
