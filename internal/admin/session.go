package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/audit"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
)

// Cookie names of the browser session.
const (
	CookieAccess  = "epusdt_admin_at"
	CookieRefresh = "epusdt_admin_rt"
	cookiePath    = "/admin"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf_token"
)

// session is an authenticated request's admin and login.
type session struct {
	admin  store.Admin
	family string
	cookie bool // authenticated by cookie (CSRF applies), not by a bearer header
	csrf   string
	ip     string
}

// httpError is an error with the HTTP status and the message the caller
// sees.
type httpError struct {
	status int
	msg    string
	retry  time.Duration // > 0: sent as Retry-After
}

func (e *httpError) Error() string { return e.msg }

func errf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to the HTTP status and the message to show;
// unexpected errors are logged and shown as "internal error".
func (a *Admin) statusOf(r *http.Request, err error) (int, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.Is(err, errBadToken), errors.Is(err, errBadRefresh), errors.Is(err, errRefreshReuse):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case httpx.IsBodyTooLarge(err):
		return http.StatusRequestEntityTooLarge, "request body too large"
	}
	a.log.Error("admin request failed", zap.String("path", r.URL.Path), zap.String("request_id", httpx.RequestID(r.Context())), zap.Error(err))
	return http.StatusInternalServerError, "internal error"
}

func (a *Admin) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := a.statusOf(r, err)
	var he *httpError
	if errors.As(err, &he) && he.retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((he.retry+time.Second-1)/time.Second)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="epusdt-admin"`)
	}
	httpx.FailHTTP(w, r, status, status, msg)
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// authenticate checks the access token of a request (Authorization:
// Bearer, else the session cookie): signature and claims, the admin still
// active, and the login not revoked (logout, password change, refresh
// reuse).
func (a *Admin) authenticate(r *http.Request) (*session, error) {
	raw, ok := bearer(r)
	if !ok {
		c, err := r.Cookie(CookieAccess)
		if err != nil || c.Value == "" {
			return nil, errf(http.StatusUnauthorized, "authentication required")
		}
		raw = c.Value
	}
	c, err := a.parseAccess(raw)
	if err != nil {
		return nil, err
	}
	return a.sessionFor(r.Context(), c.Subject, c.SID, !ok, a.clientIP(r))
}

func (a *Admin) sessionFor(ctx context.Context, subject, family string, cookie bool, ip string) (*session, error) {
	id, err := strconv.ParseInt(subject, 10, 64)
	if err != nil {
		return nil, errBadToken
	}
	adm, err := a.st.GetAdmin(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	if adm.Status != store.AdminActive {
		return nil, errf(http.StatusUnauthorized, "this admin account is disabled")
	}
	live, err := a.st.RefreshFamilyLive(ctx, family, a.now())
	if err != nil {
		return nil, err
	}
	if !live {
		return nil, errf(http.StatusUnauthorized, "this session was logged out or revoked; log in again")
	}
	return &session{admin: adm, family: family, cookie: cookie, csrf: a.csrfToken(family), ip: ip}, nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// checkCSRF guards a cookie-authenticated state change: the request must
// carry the session's CSRF token (header or form field) and, when the
// browser names its Origin, come from this site. ("null" names none: the
// pages' Referrer-Policy no-referrer makes browsers send it on form posts.)
func (a *Admin) checkCSRF(r *http.Request, s *session) error {
	if !s.cookie || !unsafeMethod(r.Method) {
		return nil
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !a.sameOrigin(r, o) {
		return errf(http.StatusForbidden, "cross-site request refused (Origin %s)", o)
	}
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(csrfField)
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
		return errf(http.StatusForbidden, "missing or wrong CSRF token; reload the page and try again")
	}
	return nil
}

func (a *Admin) sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if u.Host == r.Host {
		return true
	}
	app, err := url.Parse(a.cfg.AppURI)
	return err == nil && app.Host != "" && app.Scheme == u.Scheme && app.Host == u.Host
}

// api wraps a JSON API handler: authentication (401) and CSRF for cookie
// sessions (403).
func (a *Admin) api(h func(w http.ResponseWriter, r *http.Request, s *session) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.authenticate(r)
		if err == nil {
			err = a.checkCSRF(r, s)
		}
		if err == nil {
			err = h(w, r, s)
		}
		if err != nil {
			a.writeErr(w, r, err)
		}
	})
}

func (a *Admin) setSessionCookies(w http.ResponseWriter, p TokenPair) {
	http.SetCookie(w, &http.Cookie{Name: CookieAccess, Value: p.AccessToken, Path: cookiePath, MaxAge: p.ExpiresIn,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: CookieRefresh, Value: p.RefreshToken, Path: cookiePath,
		MaxAge: int(a.cfg.AdminRefreshTTL.Seconds()), HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
}

func (a *Admin) clearSessionCookies(w http.ResponseWriter) {
	for _, n := range []string{CookieAccess, CookieRefresh} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: cookiePath, MaxAge: -1, HttpOnly: true, Secure: a.secure,
			SameSite: http.SameSiteStrictMode})
	}
}

// decodeJSON reads a JSON body into v; a malformed body is a 400 that
// says what is wrong.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if httpx.IsBodyTooLarge(err) {
			return err
		}
		return errf(http.StatusBadRequest, "request body is not valid JSON: %v", err)
	}
	return nil
}

// audit records an action of s's admin.
func (a *Admin) audit(ctx context.Context, s *session, action, target string, detail map[string]any) {
	a.auditAs(ctx, s.admin.Username, s.ip, action, target, detail)
}

func (a *Admin) auditAs(ctx context.Context, actor, ip, action, target string, detail map[string]any) {
	err := a.d.Audit.Record(ctx, audit.Entry{Actor: actor, Kind: store.ActorAdmin, Action: action, Target: target, IP: ip, Detail: detail})
	if err != nil {
		a.log.Error("audit log write failed", zap.String("action", action), zap.Error(err))
	}
}
