package check

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
)

const (
	strongToken = "9f2c1e7a4b8d3f60a1c5e9b2d7f4a8c3"
	strongJWT   = "b3e8f1a6c2d9e4f7a0b5c8d1e6f3a9b2c7d4e0f5a8b1c6d3"
)

// fixture is a gateway working directory with a good configuration.
type fixture struct {
	t       *testing.T
	dir     string
	env     map[string]string
	environ []string
	now     time.Time
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), now: time.Now()}
	// Temporary directories are closed to other users; open the way so
	// file modes matter, as in /opt/epusdt.
	for _, d := range []string{f.dir, filepath.Dir(f.dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.env = map[string]string{
		"app_uri":              "https://pay.shop.test",
		"app_debug":            "false",
		"http_listen":          "127.0.0.1:8000",
		"trusted_proxies":      "127.0.0.1",
		"admin_jwt_secret":     strongJWT,
		"redis_host":           "10.0.0.5",
		"redis_passwd":         "r3dis-Pa55word-Long",
		"metrics_listen":       "127.0.0.1:9100",
		"backup_dir":           "backups",
		"backup_max_age_hours": "48",
		"tron_enabled":         "false",
	}
	f.mkdir("runtime", 0o700)
	f.write("runtime/api_auth_token", strongToken+"\n", 0o600)
	f.write("runtime/epusdt.db", "sqlite", 0o600)
	f.mkdir("runtime/logs", 0o700)
	f.mkdir("backups", 0o700)
	f.write("backups/"+ArchivePrefix+"20250101T000000Z"+ArchiveSuffix, "tar", 0o600)
	f.write("epusdt", "#!binary", 0o755)
	return f
}

func (f *fixture) path(rel string) string { return filepath.Join(f.dir, rel) }

func (f *fixture) mkdir(rel string, mode os.FileMode) {
	if err := os.MkdirAll(f.path(rel), mode); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chmod(f.path(rel), mode); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) write(rel, content string, mode os.FileMode) {
	if err := os.WriteFile(f.path(rel), []byte(content), mode); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chmod(f.path(rel), mode); err != nil {
		f.t.Fatal(err)
	}
}

// run writes .env (mode 0600 unless the test changes it afterwards through
// mode), loads it the way the CLI does and runs every check.
func (f *fixture) run(mode os.FileMode) Report {
	f.t.Helper()
	keys := make([]string, 0, len(f.env))
	for k := range f.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, f.env[k])
	}
	f.write(".env", b.String(), mode)
	wd, err := os.Getwd()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chdir(f.dir); err != nil {
		f.t.Fatal(err)
	}
	defer os.Chdir(wd)
	l, err := config.Load(".env", f.environ)
	if err != nil {
		f.t.Fatalf("load config: %v", err)
	}
	return Run(Options{Config: &l.Config, EnvFile: ".env", Environ: f.environ, WorkDir: f.dir, Now: func() time.Time { return f.now }})
}

func dump(r Report) string {
	var b bytes.Buffer
	_ = r.Write(&b)
	return b.String()
}

func TestGoodConfigurationPasses(t *testing.T) {
	f := newFixture(t)
	touch(t, f.path("backups/"+ArchivePrefix+"20250101T000000Z"+ArchiveSuffix), f.now.Add(-time.Hour))
	r := f.run(0o600)
	if r.Count(Error) != 0 || r.Count(Warn) != 0 {
		t.Fatalf("a good configuration must pass cleanly:\n%s", dump(r))
	}
	for _, c := range []string{EnvFile, RuntimeFiles, APIToken, JWTSecret, AdminPassword, Debug, AppURI, Redis, Metrics, PrivateKeys, Backups, Proxies, Database} {
		if len(r.Of(c)) == 0 {
			t.Errorf("check %s reported nothing", c)
		}
	}
	out := dump(r)
	for _, secret := range []string{strongToken, strongJWT, "r3dis-Pa55word-Long"} {
		if strings.Contains(out, secret) {
			t.Errorf("report leaks a secret:\n%s", out)
		}
	}
}

func touch(t *testing.T, p string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestEachBadSettingIsFlagged(t *testing.T) {
	archive := "backups/" + ArchivePrefix + "20250101T000000Z" + ArchiveSuffix
	cases := []struct {
		name    string
		check   string
		level   Level
		envMode os.FileMode
		change  func(f *fixture)
	}{
		{"world-readable .env", EnvFile, Error, 0o644, nil},
		{"group-readable .env", EnvFile, Warn, 0o640, nil},
		{"world-readable generated token", RuntimeFiles, Error, 0, func(f *fixture) {
			f.mkdir("runtime", 0o711)
			f.write("runtime/api_auth_token", strongToken, 0o644)
		}},
		{"world-readable sqlite database", Database, Error, 0, func(f *fixture) {
			f.mkdir("runtime", 0o751)
			f.write("runtime/epusdt.db", "x", 0o644)
		}},
		{"open runtime directory", RuntimeFiles, Warn, 0, func(f *fixture) { f.mkdir("runtime", 0o755) }},
		{"empty api token, none generated", APIToken, Error, 0, func(f *fixture) { os.Remove(f.path("runtime/api_auth_token")) }},
		{"upstream example api token", APIToken, Error, 0, func(f *fixture) { f.env["api_auth_token"] = "epusdt_password_xasddawqe" }},
		{"short api token", APIToken, Error, 0, func(f *fixture) { f.env["api_auth_token"] = "Xk29dL1q" }},
		{"repetitive api token", APIToken, Error, 0, func(f *fixture) { f.env["api_auth_token"] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }},
		{"weak generated token file", APIToken, Error, 0, func(f *fixture) { f.write("runtime/api_auth_token", "123456", 0o600) }},
		{"empty jwt secret", JWTSecret, Error, 0, func(f *fixture) { delete(f.env, "admin_jwt_secret") }},
		{"short jwt secret", JWTSecret, Error, 0, func(f *fixture) { f.env["admin_jwt_secret"] = "only-twenty-chars-xy" }},
		{"weak admin password", AdminPassword, Error, 0, func(f *fixture) { f.env["admin_init_password"] = "admin123" }},
		{"admin password = user name", AdminPassword, Error, 0, func(f *fixture) {
			f.env["admin_init_username"], f.env["admin_init_password"] = "operator-on-duty", "operator-on-duty"
		}},
		{"strong admin password left in .env", AdminPassword, Warn, 0, func(f *fixture) { f.env["admin_init_password"] = "Gx8#qL2!vR5@wN9z" }},
		{"debug on", Debug, Error, 0, func(f *fixture) { f.env["app_debug"] = "true" }},
		{"http app_uri", AppURI, Error, 0, func(f *fixture) { f.env["app_uri"] = "http://pay.shop.test" }},
		{"loopback app_uri", AppURI, Warn, 0, func(f *fixture) { f.env["app_uri"] = "https://127.0.0.1:8000" }},
		{"remote redis without password", Redis, Error, 0, func(f *fixture) { delete(f.env, "redis_passwd") }},
		{"metrics on main port without token", Metrics, Error, 0, func(f *fixture) { delete(f.env, "metrics_listen") }},
		{"metrics on all interfaces without token", Metrics, Error, 0, func(f *fixture) { f.env["metrics_listen"] = ":9100" }},
		{"metrics on a public address without token", Metrics, Error, 0, func(f *fixture) { f.env["metrics_listen"] = "0.0.0.0:9100" }},
		{"weak metrics token", Metrics, Warn, 0, func(f *fixture) { f.env["metrics_token"] = "abc" }},
		{"private key setting in .env", PrivateKeys, Error, 0, func(f *fixture) { f.env["tron_private_key"] = "whatever" }},
		{"raw key value under another name", PrivateKeys, Error, 0, func(f *fixture) {
			f.env["hot_wallet"] = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
		}},
		{"seed phrase in .env", PrivateKeys, Error, 0, func(f *fixture) {
			f.env["backup_words"] = "abandon ability able about above absent absorb abstract absurd abuse access accident"
		}},
		{"private key in the environment", PrivateKeys, Error, 0, func(f *fixture) { f.environ = []string{"EPUSDT_ETH_PRIVATE_KEY=x"} }},
		{"PEM key file", PrivateKeys, Error, 0, func(f *fixture) {
			f.write("tls.key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n", 0o600)
		}},
		{"raw key file in runtime", PrivateKeys, Error, 0, func(f *fixture) {
			f.write("runtime/hot.txt", "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n", 0o600)
		}},
		{"keystore file", PrivateKeys, Warn, 0, func(f *fixture) {
			f.mkdir("keystore", 0o700)
			f.write("keystore/UTC--2025-01-01T00-00-00Z--abc", `{"crypto":{"ciphertext":"00"}}`, 0o600)
		}},
		{"backup_dir unset", Backups, Error, 0, func(f *fixture) { delete(f.env, "backup_dir") }},
		{"backup_dir missing", Backups, Error, 0, func(f *fixture) { f.env["backup_dir"] = "/nonexistent/backups" }},
		{"no archive", Backups, Error, 0, func(f *fixture) { os.Remove(f.path(archive)) }},
		{"stale archive", Backups, Error, 0, func(f *fixture) { touch(f.t, f.path(archive), f.now.Add(-72*time.Hour)) }},
		{"world-readable archive", Backups, Error, 0, func(f *fixture) {
			f.mkdir("backups", 0o711)
			f.write(archive, "tar", 0o644)
		}},
		{"loopback listener without trusted proxies", Proxies, Warn, 0, func(f *fixture) { delete(f.env, "trusted_proxies") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			touch(t, f.path(archive), f.now.Add(-time.Hour))
			if c.change != nil {
				c.change(f)
			}
			mode := c.envMode
			if mode == 0 {
				mode = 0o600
			}
			r := f.run(mode)
			var hit bool
			for _, fd := range r.Of(c.check) {
				if fd.Level == c.level {
					hit = true
				}
			}
			if !hit {
				t.Fatalf("%s: want a %s from %s:\n%s", c.name, c.level, c.check, dump(r))
			}
			others := 0
			for _, fd := range r {
				if fd.Level != OK && fd.Check != c.check && !(fd.Check == RuntimeFiles && fd.Subject == f.path("runtime")) {
					others++
				}
			}
			if others > 0 {
				t.Errorf("%s: findings from other checks too:\n%s", c.name, dump(r))
			}
			if c.level == Error && r.Count(Error) == 0 {
				t.Error("an error finding must count as an error")
			}
		})
	}
}

func TestClosedDirectoryProtectsItsFiles(t *testing.T) {
	f := newFixture(t)
	touch(t, f.path("backups/"+ArchivePrefix+"20250101T000000Z"+ArchiveSuffix), f.now.Add(-time.Hour))
	f.write("runtime/epusdt.db", "x", 0o644) // runtime/ is 0700: nobody else can reach it
	f.write("runtime/api_auth_token", strongToken, 0o644)
	r := f.run(0o600)
	if r.Count(Error) != 0 || r.Count(Warn) != 0 {
		t.Fatalf("files inside a 0700 directory are not exposed:\n%s", dump(r))
	}
	if !strings.Contains(dump(r), "chmod 600") {
		t.Errorf("the report should still advise tightening the file:\n%s", dump(r))
	}
}

func TestLoopbackRedisWithoutPasswordIsFine(t *testing.T) {
	f := newFixture(t)
	touch(t, f.path("backups/"+ArchivePrefix+"20250101T000000Z"+ArchiveSuffix), f.now.Add(-time.Hour))
	f.env["redis_host"] = "127.0.0.1"
	delete(f.env, "redis_passwd")
	r := f.run(0o600)
	for _, fd := range r.Of(Redis) {
		if fd.Level != OK {
			t.Fatalf("loopback Redis: %s", dump(r))
		}
	}
}

func TestWeakness(t *testing.T) {
	for v, weak := range map[string]bool{
		"":                                  true,
		"change-me-to-a-long-random-string": true,
		"abcdefghijklmnop":                  false,
		"abababababababababab":              true,
		strongToken:                         false,
	} {
		if got := weakness(v, 16) != ""; got != weak {
			t.Errorf("weakness(%q) weak=%v, want %v", v, got, weak)
		}
	}
}
