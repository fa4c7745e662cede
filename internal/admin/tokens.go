package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/epusdt/epusdt/internal/store"
)

// JWT fields the console issues and insists on.
const (
	TokenIssuer   = "epusdt"
	TokenAudience = "epusdt-admin"
)

// claims are an access token's contents: sub is the admin id, sid the
// login (refresh token family) it belongs to.
type claims struct {
	jwt.RegisteredClaims
	SID  string `json:"sid"`
	Name string `json:"name"`
}

// TokenPair is what login and refresh return.
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"` // seconds the access token lives
	TokenType    string `json:"token_type"`
}

var (
	errBadToken     = errors.New("invalid or expired access token")
	errBadRefresh   = errors.New("invalid or expired refresh token")
	errRefreshReuse = errors.New("refresh token was already used: every token of this session is revoked; log in again")
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(raw string) string {
	s := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(s[:])
}

func (a *Admin) issueAccess(adm store.Admin, family string, now time.Time) (string, error) {
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: TokenIssuer, Subject: strconv.FormatInt(adm.ID, 10), Audience: jwt.ClaimStrings{TokenAudience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(a.cfg.AdminAccessTTL)), ID: randomHex(8),
	}, SID: family, Name: adm.Username}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.secret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// parseAccess verifies signature (HS256 only), issuer, audience, expiry and
// issue time.
func (a *Admin) parseAccess(raw string) (*claims, error) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(TokenIssuer),
		jwt.WithAudience(TokenAudience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(a.now),
		jwt.WithLeeway(5*time.Second))
	var c claims
	if _, err := p.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return a.secret, nil }); err != nil {
		return nil, errBadToken
	}
	if c.SID == "" || c.Subject == "" || c.IssuedAt == nil {
		return nil, errBadToken
	}
	return &c, nil
}

// csrfToken binds a CSRF token to a login (family).
func (a *Admin) csrfToken(family string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte("csrf|" + family))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *Admin) pair(adm store.Admin, family, refresh string, now time.Time) (TokenPair, error) {
	access, err := a.issueAccess(adm, family, now)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(a.cfg.AdminAccessTTL / time.Second),
		TokenType: "Bearer"}, nil
}

func (a *Admin) newRefresh(ctx context.Context, c interface {
	InsertRefreshToken(context.Context, store.RefreshToken) error
}, adminID int64, family string, now time.Time) (string, error) {
	raw := "rt_" + randomHex(32)
	err := c.InsertRefreshToken(ctx, store.RefreshToken{AdminID: adminID, TokenHash: hashToken(raw), Family: family,
		ExpiresAt: now.Add(a.cfg.AdminRefreshTTL), CreatedAt: now})
	return raw, err
}

// startSession opens a new login (family) for adm.
func (a *Admin) startSession(ctx context.Context, adm store.Admin, now time.Time) (TokenPair, error) {
	family := randomHex(16)
	refresh, err := a.newRefresh(ctx, a.st, adm.ID, family, now)
	if err != nil {
		return TokenPair{}, err
	}
	return a.pair(adm, family, refresh, now)
}

// rotate uses a refresh token once and returns the next pair of the same
// login. Using a token a second time revokes the whole login.
func (a *Admin) rotate(ctx context.Context, raw string) (TokenPair, store.Admin, error) {
	now := a.now()
	var out TokenPair
	var adm store.Admin
	reused := false
	err := a.st.InTx(ctx, func(tx *store.Tx) error {
		t, err := tx.GetRefreshToken(ctx, hashToken(raw))
		if errors.Is(err, store.ErrNotFound) {
			return errBadRefresh
		}
		if err != nil {
			return err
		}
		if t.RevokedAt != nil || !now.Before(t.ExpiresAt) {
			return errBadRefresh
		}
		if t.UsedAt == nil {
			err = tx.UseRefreshToken(ctx, t.ID, now)
		}
		if t.UsedAt != nil || errors.Is(err, store.ErrConflict) {
			reused, adm.ID = true, t.AdminID
			_, err := tx.RevokeRefreshFamily(ctx, t.Family, now)
			return err
		}
		if err != nil {
			return err
		}
		if adm, err = tx.GetAdmin(ctx, t.AdminID); err != nil || adm.Status != store.AdminActive {
			return errBadRefresh
		}
		next, err := a.newRefresh(ctx, tx, adm.ID, t.Family, now)
		if err != nil {
			return err
		}
		out, err = a.pair(adm, t.Family, next, now)
		return err
	})
	if err == nil && reused {
		err = errRefreshReuse
	}
	return out, adm, err
}

// revokeRefresh revokes the login a refresh token belongs to.
func (a *Admin) revokeRefresh(ctx context.Context, raw string) error {
	t, err := a.st.GetRefreshToken(ctx, hashToken(raw))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = a.st.RevokeRefreshFamily(ctx, t.Family, a.now())
	return err
}
