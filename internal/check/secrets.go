package check

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// knownWeak are values published in examples and guides, or the usual
// first guesses; compared in lower case.
var knownWeak = map[string]bool{
	"epusdt_password_xasddawqe": true, "epusdt": true, "password": true, "passw0rd": true, "secret": true,
	"admin": true, "admin123": true, "admin888": true, "root": true, "test": true, "token": true, "123456": true,
	"12345678": true, "123456789": true, "1234567890": true, "qwerty": true, "abc123": true, "111111": true,
	"000000": true, "change-me": true, "changeme": true, "your_token": true, "your-secret": true,
}

// weakness says why a secret is weak, or "" when it is not.
func weakness(v string, minLen int) string {
	l := lower(v)
	distinct := map[rune]bool{}
	for _, c := range v {
		distinct[c] = true
	}
	switch {
	case knownWeak[l], strings.Contains(l, "change-me"), strings.Contains(l, "changeme"), strings.Contains(l, "example"):
		return "a well-known example or default value"
	case len(v) < minLen:
		return "shorter than " + strconv.Itoa(minLen) + " characters"
	case len(distinct) < 6:
		return "too few distinct characters"
	}
	return ""
}

// effectiveSecret returns the configured value or, when empty, the one a
// previous start generated into runtime/<key>.
func (r *run) effectiveSecret(key, configured string) (value, source string) {
	if configured != "" {
		return configured, key
	}
	file := filepath.Join(r.runtimeDir(), key)
	b, err := os.ReadFile(file)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return "", file
		}
		return "", key
	}
	return strings.TrimSpace(string(b)), file
}

func (r *run) checkSecrets() {
	r.checkSecret(APIToken, "api_auth_token", r.cfg.APIAuthToken, 16)
	r.checkSecret(JWTSecret, "admin_jwt_secret", r.cfg.AdminJWTSecret, 32)
	r.checkAdminPassword()
	if t := r.cfg.Ops.MetricsToken; t != "" {
		if why := weakness(t, 16); why != "" {
			r.add(Metrics, Warn, "metrics_token", "weak token: %s", why)
		}
	}
}

func (r *run) checkSecret(check, key, configured string, minLen int) {
	v, src := r.effectiveSecret(key, configured)
	if v == "" {
		r.add(check, Error, src, "empty, and no generated value in %s: leave it empty and start the gateway once to generate one, or set a long random value (openssl rand -hex 32)",
			filepath.Join(r.runtimeDir(), key))
		return
	}
	if why := weakness(v, minLen); why != "" {
		r.add(check, Error, src, "weak: %s; use a long random value (openssl rand -hex 32)", why)
		return
	}
	r.add(check, OK, src, "set, %d characters", len(v))
}

func (r *run) checkAdminPassword() {
	p := r.cfg.AdminInitPassword
	if p == "" {
		r.add(AdminPassword, OK, "admin_init_password", "empty: the first start generates a random password and prints it once")
		return
	}
	why := weakness(p, 12)
	if why == "" && lower(p) == lower(r.cfg.AdminInitUsername) {
		why = "the same as the user name"
	}
	if why != "" {
		r.add(AdminPassword, Error, "admin_init_password", "weak: %s; set a long random password or leave it empty to have one generated", why)
		return
	}
	r.add(AdminPassword, Warn, "admin_init_password", "the first admin's password stays in plaintext in the configuration: change it in the admin console and remove the key")
}
