package admin

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/totp"
)

func TestTestAddressesAreValid(t *testing.T) {
	for _, a := range []string{walletA, walletB, tronUSDT} {
		if got, err := address.Normalize(address.Tron, a); err != nil || got != a {
			t.Fatalf("%s: %v %v", a, got, err)
		}
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t, nil)
	p := e.login(testUser, testPassword)
	if p.ExpiresIn != 900 || p.TokenType != "Bearer" || !strings.HasPrefix(p.RefreshToken, "rt_") {
		t.Fatalf("pair %+v", p)
	}
	expect(t, e.call("GET", "/admin/api/v1/me", "", nil), 401, "authentication required")
	expect(t, e.call("GET", "/admin/api/v1/me", p.AccessToken, nil), 200, "success")

	parts := strings.Split(p.AccessToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"sub":"1"`, `"sub":"2"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	sigFlip := parts[0] + "." + parts[1] + "." + flip(parts[2])
	noneTok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := e.clock.now()
	good := jwt.MapClaims{"iss": TokenIssuer, "aud": TokenAudience, "sub": "1", "sid": "x", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, good).SignedString([]byte(e.cfg.AdminJWTSecret))
	rs256, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, good).SignedString(key)
	wrongAud := jwt.MapClaims{"iss": TokenIssuer, "aud": "someone-else", "sub": "1", "sid": "x", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	aud, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, wrongAud).SignedString([]byte(e.cfg.AdminJWTSecret))
	otherKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString([]byte("another-secret-0123456789"))
	for name, tok := range map[string]string{"tampered payload": tampered, "tampered signature": sigFlip, "alg none": noneTok,
		"HS512": hs512, "RS256": rs256, "wrong audience": aud, "other key": otherKey, "garbage": "abc.def.ghi"} {
		r := e.call("GET", "/admin/api/v1/orders", tok, nil)
		if r.HTTP != 401 || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: got %d %s", name, r.HTTP, r.Message)
		}
	}
	e.clock.advance(16 * time.Minute)
	expect(t, e.call("GET", "/admin/api/v1/me", p.AccessToken, nil), 401, "invalid or expired")
}

func flip(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t, nil)
	p1 := e.login(testUser, testPassword)
	r := e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{p1.RefreshToken})
	expect(t, r, 200, "success")
	var p2 TokenPair
	r.into(t, &p2)
	if p2.RefreshToken == p1.RefreshToken || p2.AccessToken == "" {
		t.Fatal("refresh did not rotate")
	}
	expect(t, e.call("GET", "/admin/api/v1/me", p2.AccessToken, nil), 200, "")
	// The rotated-out token used again: refused, and the whole login dies.
	expect(t, e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{p1.RefreshToken}), 401, "already used")
	expect(t, e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{p2.RefreshToken}), 401, "invalid")
	expect(t, e.call("GET", "/admin/api/v1/me", p2.AccessToken, nil), 401, "revoked")
	expect(t, e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{"rt_nonsense"}), 401, "invalid")
	// Other logins are untouched.
	p3 := e.login(testUser, testPassword)
	expect(t, e.call("GET", "/admin/api/v1/me", p3.AccessToken, nil), 200, "")
	// An expired refresh token is refused.
	e.clock.advance(e.cfg.AdminRefreshTTL + time.Second)
	expect(t, e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{p3.RefreshToken}), 401, "invalid")
	if !contains(e.auditActions(t), "auth.refresh_reuse") {
		t.Fatal("reuse not audited")
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestLogoutAndPasswordChangeRevoke(t *testing.T) {
	e := newEnv(t, nil)
	p := e.login(testUser, testPassword)
	other := e.login(testUser, testPassword)
	expect(t, e.call("POST", "/admin/api/v1/auth/logout", p.AccessToken, nil), 200, "")
	expect(t, e.call("GET", "/admin/api/v1/me", p.AccessToken, nil), 401, "logged out")
	expect(t, e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{p.RefreshToken}), 401, "invalid")
	expect(t, e.call("GET", "/admin/api/v1/me", other.AccessToken, nil), 200, "")

	expect(t, e.call("POST", "/admin/api/v1/auth/password", other.AccessToken, PasswordRequest{"wrong-password-x", "brand-new-password-1"}), 403, "current password")
	expect(t, e.call("POST", "/admin/api/v1/auth/password", other.AccessToken, PasswordRequest{testPassword, "admin123"}), 400, "commonly used")
	expect(t, e.call("POST", "/admin/api/v1/auth/password", other.AccessToken, PasswordRequest{testPassword, "short1"}), 400, "at least 10")
	r := e.call("POST", "/admin/api/v1/auth/password", other.AccessToken, PasswordRequest{testPassword, "brand-new-password-1"})
	expect(t, r, 200, "")
	var fresh TokenPair
	r.into(t, &fresh)
	expect(t, e.call("GET", "/admin/api/v1/me", other.AccessToken, nil), 401, "revoked")
	expect(t, e.call("POST", "/admin/api/v1/auth/refresh", "", refreshRequest{other.RefreshToken}), 401, "invalid")
	expect(t, e.call("GET", "/admin/api/v1/me", fresh.AccessToken, nil), 200, "")
	expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: testPassword}), 401, "invalid user name or password")
	e.login(testUser, "brand-new-password-1")
	acts := e.auditActions(t)
	for _, want := range []string{"auth.login", "auth.logout", "auth.password_change", "auth.login_failed"} {
		if !contains(acts, want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	e := newEnv(t, nil)
	for i := 1; i < MaxFailedLogins; i++ {
		expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: "wrong-" + strconv.Itoa(i)}), 401, "invalid user name")
	}
	r := e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: "wrong-again"})
	expect(t, r, 429, "account locked")
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 59 || ra > 60 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Even the right password is refused while locked.
	expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: testPassword}), 429, "account locked")
	e.clock.advance(61 * time.Second)
	// One more failure doubles the lock.
	expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: "still-wrong"}), 429, "2m0s")
	e.clock.advance(121 * time.Second)
	e.login(testUser, testPassword)
	adm, _ := e.st.GetAdminByName(context.Background(), testUser)
	if adm.FailedLogins != 0 || !adm.LockedUntil.IsZero() {
		t.Fatalf("success did not reset: %+v", adm)
	}
	// Unknown users get the same answer as a wrong password.
	expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: "mallory", Password: "whatever-123"}), 401, "invalid user name or password")
	if !contains(e.auditActions(t), "auth.locked") {
		t.Fatal("lock not audited")
	}
}

func TestLoginThrottlePerIPAndUser(t *testing.T) {
	e := newEnv(t, nil, func(d *Deps) { d.Limiter = NewMemoryLimiter(3, time.Minute, d.Now) })
	for i := 0; i < 3; i++ {
		expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: "u" + strconv.Itoa(i), Password: "x-123456789"}), 401, "")
	}
	r := e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: testPassword})
	expect(t, r, 429, "too many login attempts")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	e.clock.advance(time.Minute)
	e.login(testUser, testPassword)
}

func TestTOTPSecondFactor(t *testing.T) {
	e := newEnv(t, nil)
	p := e.login(testUser, testPassword)
	r := e.call("POST", "/admin/api/v1/auth/totp/setup", p.AccessToken, nil)
	expect(t, r, 200, "")
	var setup TOTPSetup
	r.into(t, &setup)
	key, err := totp.DecodeSecret(setup.Secret)
	if err != nil || !strings.HasPrefix(setup.URI, "otpauth://totp/") {
		t.Fatalf("setup %+v %v", setup, err)
	}
	expect(t, e.call("POST", "/admin/api/v1/auth/totp/enable", p.AccessToken, totpRequest{Secret: setup.Secret, Code: "000000"}), 400, "wrong TOTP")
	code := totp.At(key, e.clock.now())
	expect(t, e.call("POST", "/admin/api/v1/auth/totp/enable", p.AccessToken, totpRequest{Secret: setup.Secret, Code: code}), 200, "")
	expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: testPassword}), 401, "TOTP code is required")
	expect(t, e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: testPassword, TOTP: "123"}), 401, "wrong TOTP")
	// The code that enabled TOTP cannot log in: each code is accepted once.
	login := func(code string) reply {
		return e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: testUser, Password: testPassword, TOTP: code})
	}
	expect(t, login(code), 401, "used already")
	e.clock.advance(totp.Step)
	fresh := totp.At(key, e.clock.now())
	expect(t, login(fresh), 200, "")
	expect(t, login(fresh), 401, "used already")
	// The previous step's code is still within the drift window, but older
	// than the one used: refused too.
	expect(t, login(code), 401, "used already")
	e.clock.advance(totp.Step)
	expect(t, login(totp.At(key, e.clock.now())), 200, "")
	expect(t, e.call("POST", "/admin/api/v1/auth/totp/disable", p.AccessToken, totpRequest{Password: "nope-nope-nope"}), 403, "")
	expect(t, e.call("POST", "/admin/api/v1/auth/totp/disable", p.AccessToken, totpRequest{Password: testPassword}), 200, "")
	e.login(testUser, testPassword)
}

func TestCSRFOnCookieSessions(t *testing.T) {
	e := newEnv(t, nil)
	c := e.browser()
	csrf := e.browserLogin(c)
	body := `{"chain":"tron","address":"` + walletA + `"}`
	post := func(hdr ...string) reply {
		req, _ := http.NewRequest("POST", e.srv.URL+"/admin/api/v1/wallets", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return e.send(c, req)
	}
	expect(t, post(), 403, "CSRF")
	expect(t, post(csrfHeader, "forged"), 403, "CSRF")
	expect(t, post(csrfHeader, csrf, "Origin", "https://evil.example"), 403, "cross-site")
	expect(t, post(csrfHeader, csrf, "Origin", e.srv.URL), 200, "")
	// Reads need no token; UI form posts without it are refused too.
	req, _ := http.NewRequest("GET", e.srv.URL+"/admin/api/v1/wallets", nil)
	expect(t, e.send(c, req), 200, "")
	req, _ = http.NewRequest("POST", e.srv.URL+"/admin/wallets", strings.NewReader("chain=tron&address="+walletB))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := e.send(c, req); r.HTTP != 403 || !strings.Contains(string(r.Data), "CSRF") {
		t.Fatalf("form without csrf: %d %s", r.HTTP, r.Data)
	}
	if _, err := e.st.GetWallet(context.Background(), "tron", walletB, true); err == nil {
		t.Fatal("wallet added without CSRF token")
	}
}

// browserLogin logs in through the login form and returns the session's
// CSRF token.
func (e *env) browserLogin(c *http.Client) string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/admin/login", nil)
	r := e.send(c, req)
	page := string(r.Data)
	i := strings.Index(page, `name="login_csrf" value="`)
	if r.HTTP != 200 || i < 0 {
		e.t.Fatalf("login page %d", r.HTTP)
	}
	lc := page[i+len(`name="login_csrf" value="`):]
	lc = lc[:strings.Index(lc, `"`)]
	form := "login_csrf=" + lc + "&username=" + testUser + "&password=" + testPassword + "&next=/admin/"
	req, _ = http.NewRequest("POST", e.srv.URL+"/admin/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r = e.send(c, req)
	if r.HTTP != http.StatusSeeOther {
		e.t.Fatalf("form login: %d %s", r.HTTP, r.Data)
	}
	for _, ck := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, CookieAccess+"=") && !(strings.Contains(ck, "HttpOnly") && strings.Contains(ck, "SameSite=Strict")) {
			e.t.Fatalf("cookie flags: %s", ck)
		}
	}
	req, _ = http.NewRequest("GET", e.srv.URL+"/admin/api/v1/me", nil)
	r = e.send(c, req)
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	r.into(e.t, &me)
	return me.CSRF
}

func TestLoginFormNeedsItsCSRFCookie(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/login", strings.NewReader("login_csrf=abc&username=alice&password="+testPassword))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := e.send(e.browser(), req); r.HTTP != 403 {
		t.Fatalf("login without cookie: %d", r.HTTP)
	}
}

func TestSecureCookiesOnHTTPS(t *testing.T) {
	e := newEnv(t, nil, func(d *Deps) { d.Config.AppURI = "https://pay.example.com" })
	w := &recorder{h: http.Header{}}
	e.a.setSessionCookies(w, TokenPair{AccessToken: "a", RefreshToken: "r", ExpiresIn: 60})
	for _, c := range w.h.Values("Set-Cookie") {
		if !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
			t.Fatalf("cookie %s", c)
		}
	}
}

type recorder struct{ h http.Header }

func (r *recorder) Header() http.Header       { return r.h }
func (r *recorder) Write([]byte) (int, error) { return 0, nil }
func (r *recorder) WriteHeader(int)           {}

func TestEnsureInitialAdmin(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	st := e.st
	now := time.Now()
	for _, weak := range []string{"admin123", "password", "12345678", "short-9ch", "aaaaaaaaaaaa"} {
		if _, err := EnsureInitialAdmin(ctx, st, "root", weak, now); err == nil || !strings.Contains(err.Error(), "admin_init_password") {
			t.Errorf("%q accepted: %v", weak, err)
		}
	}
	// An admin exists already: nothing is created.
	if gen, err := EnsureInitialAdmin(ctx, st, "bob", "", now); err != nil || gen != "" {
		t.Fatalf("existing: %q %v", gen, err)
	}
	if _, err := st.GetAdminByName(ctx, "bob"); err == nil {
		t.Fatal("second initial admin created")
	}
	st2 := newEmptyStore(t)
	gen, err := EnsureInitialAdmin(ctx, st2, "root", "", now)
	if err != nil || len(gen) < 20 {
		t.Fatalf("generated %q %v", gen, err)
	}
	if gen2, _ := EnsureInitialAdmin(ctx, st2, "root", "", now); gen2 != "" {
		t.Fatal("password generated twice")
	}
	adm, err := st2.GetAdminByName(ctx, "root")
	if err != nil || adm.Status != store.AdminActive {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(adm.PasswordHash)); c != bcryptCost || bcrypt.CompareHashAndPassword([]byte(adm.PasswordHash), []byte(gen)) != nil {
		t.Fatalf("stored hash cost %d or password mismatch", c)
	}
	if err := SetPassword(ctx, st2, "root", "qwerty123", now); err == nil {
		t.Fatal("weak password set")
	}
}

// TestEveryAPIRouteNeedsAuth calls every admin API route without a token,
// and with an expired one.
func TestEveryAPIRouteNeedsAuth(t *testing.T) {
	e := newEnv(t, nil)
	p := e.login(testUser, testPassword)
	e.clock.advance(time.Hour)
	n := 0
	for _, rt := range e.a.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if rt.Group != "admin" || !strings.HasPrefix(path, "/admin/api/v1/") {
			continue
		}
		path = strings.NewReplacer("{trade_id}", "T1", "{id}", "1").Replace(path)
		for _, tok := range []string{"", p.AccessToken} {
			if r := e.call(method, path, tok, map[string]string{}); r.HTTP != 401 {
				t.Errorf("%s %s (token %v): %d", method, path, tok != "", r.HTTP)
			}
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d API routes", n)
	}
}
