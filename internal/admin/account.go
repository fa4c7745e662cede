package admin

import (
	"context"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/totp"
)

// PasswordRequest is the body of POST /admin/api/v1/auth/password.
type PasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *Admin) checkCurrent(s *session, pw string) error {
	if bcrypt.CompareHashAndPassword([]byte(s.admin.PasswordHash), []byte(pw)) != nil {
		return errf(http.StatusForbidden, "the current password is wrong")
	}
	return nil
}

// changePassword sets a new password, revokes every session of the admin
// (this one included) and opens a new one.
func (a *Admin) changePassword(ctx context.Context, s *session, req PasswordRequest) (TokenPair, error) {
	if err := a.checkCurrent(s, req.CurrentPassword); err != nil {
		return TokenPair{}, err
	}
	if err := CheckPassword(s.admin.Username, req.NewPassword); err != nil {
		return TokenPair{}, errf(http.StatusBadRequest, "new_password: %v", err)
	}
	h, err := hashPassword(req.NewPassword, a.d.bcryptCost)
	if err != nil {
		return TokenPair{}, err
	}
	now := a.now()
	var revoked int64
	err = a.st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetAdminPassword(ctx, s.admin.ID, string(h), now); err != nil {
			return err
		}
		revoked, err = tx.RevokeAdminRefreshTokens(ctx, s.admin.ID, now)
		return err
	})
	if err != nil {
		return TokenPair{}, err
	}
	a.audit(ctx, s, "auth.password_change", s.admin.Username, map[string]any{"sessions_revoked": revoked})
	return a.startSession(ctx, s.admin, now)
}

func (a *Admin) handlePassword(w http.ResponseWriter, r *http.Request, s *session) error {
	var req PasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := a.changePassword(r.Context(), s, req)
	if err != nil {
		return err
	}
	if s.cookie {
		a.setSessionCookies(w, p)
	}
	httpx.OK(w, r, p)
	return nil
}

// TOTPSetup is a new TOTP key for an admin to add to an authenticator app;
// it takes effect once confirmed with a code (auth/totp/enable).
type TOTPSetup struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
}

func (a *Admin) handleTOTPSetup(w http.ResponseWriter, r *http.Request, s *session) error {
	secret, err := totp.NewSecret()
	if err != nil {
		return err
	}
	httpx.OK(w, r, TOTPSetup{Secret: secret, URI: totp.URI(a.cfg.AppName, s.admin.Username, secret)})
	return nil
}

type totpRequest struct {
	Secret   string `json:"secret"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (a *Admin) enableTOTP(ctx context.Context, s *session, secret, code string) error {
	if _, err := totp.DecodeSecret(secret); err != nil {
		return errf(http.StatusBadRequest, "secret: %v", err)
	}
	step, ok := totp.Match(secret, strings.TrimSpace(code), a.now())
	if !ok {
		return errf(http.StatusBadRequest, "code: wrong TOTP code for this secret (check the device clock)")
	}
	// Recording the enabling code's step means that code cannot then log in.
	if err := a.st.SetAdminTOTP(ctx, s.admin.ID, strings.ToUpper(secret), step, a.now()); err != nil {
		return err
	}
	a.audit(ctx, s, "auth.totp_enable", s.admin.Username, nil)
	return nil
}

func (a *Admin) disableTOTP(ctx context.Context, s *session, password string) error {
	if err := a.checkCurrent(s, password); err != nil {
		return err
	}
	if err := a.st.SetAdminTOTP(ctx, s.admin.ID, "", 0, a.now()); err != nil {
		return err
	}
	a.audit(ctx, s, "auth.totp_disable", s.admin.Username, nil)
	return nil
}

func (a *Admin) handleTOTP(enable bool) func(http.ResponseWriter, *http.Request, *session) error {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		var req totpRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		var err error
		if enable {
			err = a.enableTOTP(r.Context(), s, req.Secret, req.Code)
		} else {
			err = a.disableTOTP(r.Context(), s, req.Password)
		}
		if err != nil {
			return err
		}
		httpx.OK(w, r, map[string]any{"totp_enabled": enable})
		return nil
	}
}

func (a *Admin) handleMe(w http.ResponseWriter, r *http.Request, s *session) error {
	httpx.OK(w, r, map[string]any{"id": s.admin.ID, "username": s.admin.Username, "totp_enabled": s.admin.TOTPSecret != "",
		"password_changed_at": s.admin.PasswordChangedAt, "csrf_token": s.csrf})
	return nil
}
