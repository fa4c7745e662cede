package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/totp"
)

// Lockout policy: after MaxFailedLogins consecutive failures an account is
// locked for a minute, doubling with each further failure up to an hour.
const (
	MaxFailedLogins = 5
	maxLock         = time.Hour
)

func lockFor(failures int) time.Duration {
	if failures < MaxFailedLogins {
		return 0
	}
	return min(time.Minute<<min(failures-MaxFailedLogins, 10), maxLock)
}

// LoginRequest is the body of POST /admin/api/v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

var errBadLogin = errf(http.StatusUnauthorized, "invalid user name or password")

func secondsText(d time.Duration) time.Duration { return (d + time.Second - 1).Truncate(time.Second) }

// throttle applies the per-IP and per-user login limits.
func (a *Admin) throttle(ctx context.Context, ip, username string) error {
	for _, key := range []string{"ip:" + ip, "user:" + strings.ToLower(username)} {
		ok, retry, err := a.d.Limiter.Allow(ctx, key)
		if err != nil {
			a.log.Warn("login limiter failed", zap.Error(err), zap.Bool("allowed", ok))
		}
		if !ok {
			a.auditAs(ctx, username, ip, "auth.login_throttled", "", map[string]any{"key": strings.SplitN(key, ":", 2)[0]})
			return &httpError{status: http.StatusTooManyRequests, retry: retry,
				msg: "too many login attempts; try again in " + secondsText(retry).String()}
		}
	}
	return nil
}

// login checks the credentials (throttled, with lockout) and opens a
// session.
func (a *Admin) login(ctx context.Context, req LoginRequest, ip string) (TokenPair, error) {
	if err := a.throttle(ctx, ip, req.Username); err != nil {
		return TokenPair{}, err
	}
	now := a.now()
	adm, err := a.st.GetAdminByName(ctx, req.Username)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(a.dummyPw, []byte(req.Password))
		a.auditAs(ctx, req.Username, ip, "auth.login_failed", "", map[string]any{"reason": "unknown user"})
		return TokenPair{}, errBadLogin
	}
	if err != nil {
		return TokenPair{}, err
	}
	if now.Before(adm.LockedUntil) {
		a.auditAs(ctx, adm.Username, ip, "auth.login_failed", "", map[string]any{"reason": "account locked"})
		return TokenPair{}, a.lockedErr(adm, now)
	}
	step, err := a.checkCredentials(adm, req, now)
	if err == nil && adm.TOTPSecret != "" {
		err = a.useTOTP(ctx, adm.ID, step)
	}
	if err != nil {
		return TokenPair{}, a.loginFailed(ctx, adm, ip, err, now)
	}
	if err := a.st.AdminLoginSucceeded(ctx, adm.ID, now); err != nil {
		return TokenPair{}, err
	}
	p, err := a.startSession(ctx, adm, now)
	if err != nil {
		return TokenPair{}, err
	}
	a.auditAs(ctx, adm.Username, ip, "auth.login", "", map[string]any{"totp": adm.TOTPSecret != ""})
	return p, nil
}

var errTOTPRequired = errf(http.StatusUnauthorized, "a TOTP code is required for this account")

var errTOTPReused = errf(http.StatusUnauthorized, "this TOTP code was used already; wait for the next one")

// checkCredentials checks the password and, for an account with TOTP, the
// code; it returns the code's time step.
func (a *Admin) checkCredentials(adm store.Admin, req LoginRequest, now time.Time) (uint64, error) {
	if bcrypt.CompareHashAndPassword([]byte(adm.PasswordHash), []byte(req.Password)) != nil {
		return 0, errBadLogin
	}
	if adm.Status != store.AdminActive {
		return 0, errf(http.StatusUnauthorized, "this admin account is disabled")
	}
	if adm.TOTPSecret == "" {
		return 0, nil
	}
	if strings.TrimSpace(req.TOTP) == "" {
		return 0, errTOTPRequired
	}
	step, ok := totp.Match(adm.TOTPSecret, strings.TrimSpace(req.TOTP), now)
	if !ok {
		return 0, errf(http.StatusUnauthorized, "wrong TOTP code")
	}
	return step, nil
}

// useTOTP spends the code of step for the admin: a code logs in once.
func (a *Admin) useTOTP(ctx context.Context, id int64, step uint64) error {
	fresh, err := a.st.UseAdminTOTPStep(ctx, id, step)
	if err == nil && !fresh {
		err = errTOTPReused
	}
	return err
}

// loginFailed counts a failure (a missing TOTP code is not one) and locks
// the account when the policy says so.
func (a *Admin) loginFailed(ctx context.Context, adm store.Admin, ip string, cause error, now time.Time) error {
	var he *httpError
	if errors.Is(cause, errTOTPRequired) || !errors.As(cause, &he) {
		return cause // not a failed attempt: a missing code, or a database error
	}
	upd, err := a.st.AdminLoginFailed(ctx, adm.ID, now, lockFor)
	if err != nil {
		return err
	}
	a.auditAs(ctx, adm.Username, ip, "auth.login_failed", "", map[string]any{"reason": cause.Error(), "failures": upd.FailedLogins})
	if now.Before(upd.LockedUntil) {
		a.auditAs(ctx, adm.Username, ip, "auth.locked", "", map[string]any{"until": upd.LockedUntil.Format(time.RFC3339)})
		return a.lockedErr(upd, now)
	}
	return cause
}

func (a *Admin) lockedErr(adm store.Admin, now time.Time) error {
	d := adm.LockedUntil.Sub(now)
	return &httpError{status: http.StatusTooManyRequests, retry: d,
		msg: "account locked after repeated failed logins; try again in " + secondsText(d).String()}
}

func (a *Admin) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	err := decodeJSON(r, &req)
	var p TokenPair
	if err == nil {
		p, err = a.login(r.Context(), req, a.clientIP(r))
	}
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	httpx.OK(w, r, p)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (a *Admin) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := decodeJSON(r, &req); err != nil {
		a.writeErr(w, r, err)
		return
	}
	p, adm, err := a.rotate(r.Context(), req.RefreshToken)
	if errors.Is(err, errRefreshReuse) {
		a.auditAs(r.Context(), adm.Username, a.clientIP(r), "auth.refresh_reuse", "", map[string]any{"admin_id": adm.ID})
	}
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	httpx.OK(w, r, p)
}

// logout revokes the session's login.
func (a *Admin) logout(ctx context.Context, s *session) error {
	if _, err := a.st.RevokeRefreshFamily(ctx, s.family, a.now()); err != nil {
		return err
	}
	a.audit(ctx, s, "auth.logout", "", nil)
	return nil
}

func (a *Admin) handleLogout(w http.ResponseWriter, r *http.Request, s *session) error {
	var req refreshRequest
	if r.ContentLength != 0 {
		_ = decodeJSON(r, &req)
	}
	if req.RefreshToken != "" {
		if err := a.revokeRefresh(r.Context(), req.RefreshToken); err != nil {
			return err
		}
	}
	if err := a.logout(r.Context(), s); err != nil {
		return err
	}
	if s.cookie {
		a.clearSessionCookies(w)
	}
	httpx.OK(w, r, map[string]any{"logged_out": true})
	return nil
}
