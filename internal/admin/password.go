package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/epusdt/epusdt/internal/store"
)

// bcryptCost is the work factor of stored password hashes.
const bcryptCost = 11

// MinPasswordLen is the shortest admin password accepted.
const MinPasswordLen = 10

// ErrWeakPassword is wrapped by CheckPassword's refusals.
var ErrWeakPassword = errors.New("password too weak")

// weakPasswords are refused whatever their length (compared lower-cased).
var weakPasswords = []string{
	"admin", "admin123", "admin1234", "admin12345", "admin123456", "administrator", "password", "password1",
	"password12", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "123456", "12345678", "123456789",
	"1234567890", "0123456789", "qwerty", "qwerty123", "qwertyuiop", "1q2w3e4r", "1q2w3e4r5t", "111111",
	"000000", "letmein", "welcome", "welcome123", "changeme", "changeme123", "epusdt", "epusdt123",
	"epusdt_password", "abc123", "abcdefghij", "iloveyou", "root", "toor", "test123", "secret", "dujiaoka",
}

// CheckPassword refuses a password that is shorter than MinPasswordLen,
// on the list of known weak passwords, equal to the user name, or one
// repeated character. The error says why.
func CheckPassword(username, pw string) error {
	low := strings.ToLower(pw)
	for _, w := range weakPasswords {
		if low == w {
			return fmt.Errorf("%w: it is on the list of commonly used passwords", ErrWeakPassword)
		}
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen {
		return fmt.Errorf("%w: it has %d characters, at least %d are required", ErrWeakPassword, n, MinPasswordLen)
	}
	if username != "" && strings.EqualFold(pw, username) {
		return fmt.Errorf("%w: it equals the user name", ErrWeakPassword)
	}
	if strings.Count(pw, pw[:1]) == len(pw) {
		return fmt.Errorf("%w: it repeats one character", ErrWeakPassword)
	}
	return nil
}

func hashPassword(pw string, cost int) ([]byte, error) {
	if len(pw) > 72 {
		return nil, fmt.Errorf("%w: at most 72 bytes", ErrWeakPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// RandomPassword returns a random 22-character password.
func RandomPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func validUsername(u string) error {
	if u == "" || len(u) > 64 {
		return errors.New("user name must have 1 to 64 characters")
	}
	for _, c := range u {
		if !(c == '-' || c == '_' || c == '.' || c == '@' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return fmt.Errorf("user name %q: only letters, digits and - _ . @ are allowed", u)
		}
	}
	return nil
}

// EnsureInitialAdmin creates the first admin from admin_init_username and
// admin_init_password when the database has no admin yet. An empty
// password is replaced by a random one, returned so the caller prints it
// once. A weak password is refused with the reason, even when an admin
// exists already, so a weak value never sits in the configuration.
func EnsureInitialAdmin(ctx context.Context, st *store.Store, username, password string, now time.Time) (string, error) {
	return ensureInitialAdmin(ctx, st, username, password, now, bcryptCost)
}

func ensureInitialAdmin(ctx context.Context, st *store.Store, username, password string, now time.Time, cost int) (string, error) {
	if password != "" {
		if err := CheckPassword(username, password); err != nil {
			return "", fmt.Errorf("admin_init_password: %w; choose a stronger one or leave it empty to generate one", err)
		}
	}
	n, err := st.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if err := validUsername(username); err != nil {
		return "", fmt.Errorf("admin_init_username: %w", err)
	}
	generated := ""
	if password == "" {
		if password, err = RandomPassword(); err != nil {
			return "", err
		}
		generated = password
	}
	if err := createAdmin(ctx, st, username, password, now, cost); err != nil && !errors.Is(err, store.ErrDuplicate) {
		return "", err
	}
	return generated, nil
}

// CreateAdmin adds an admin after checking the user name and password.
func CreateAdmin(ctx context.Context, st *store.Store, username, password string, now time.Time) error {
	return createAdmin(ctx, st, username, password, now, bcryptCost)
}

func createAdmin(ctx context.Context, st *store.Store, username, password string, now time.Time, cost int) error {
	if err := validUsername(username); err != nil {
		return err
	}
	if err := CheckPassword(username, password); err != nil {
		return err
	}
	h, err := hashPassword(password, cost)
	if err != nil {
		return err
	}
	_, err = st.CreateAdmin(ctx, username, string(h), now)
	return err
}

// SetPassword changes an admin's password (checked for strength) and
// revokes every session of that admin.
func SetPassword(ctx context.Context, st *store.Store, username, password string, now time.Time) error {
	adm, err := st.GetAdminByName(ctx, username)
	if err != nil {
		return fmt.Errorf("admin %s: %w", username, err)
	}
	if err := CheckPassword(username, password); err != nil {
		return err
	}
	h, err := hashPassword(password, bcryptCost)
	if err != nil {
		return err
	}
	return st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetAdminPassword(ctx, adm.ID, string(h), now); err != nil {
			return err
		}
		_, err := tx.RevokeAdminRefreshTokens(ctx, adm.ID, now)
		return err
	})
}
