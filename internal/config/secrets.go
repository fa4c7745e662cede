package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Generated names a secret that EnsureSecrets created on this run.
type Generated struct {
	Key   string
	Value string
	File  string
}

// RuntimeDir is runtime_root_path made absolute.
func (c *Config) RuntimeDir() string {
	p, err := filepath.Abs(c.RuntimeRootPath)
	if err != nil {
		return c.RuntimeRootPath
	}
	return p
}

// EnsureSecrets fills api_auth_token and admin_jwt_secret when they are
// empty: from runtime/<key> if a previous run generated it, otherwise with a
// new random value written there with mode 0600. It returns what it
// generated now so the caller can print it once.
func (c *Config) EnsureSecrets() ([]Generated, error) {
	dir := c.RuntimeDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create runtime directory %s: %w", dir, err)
	}
	var out []Generated
	for _, s := range []struct {
		key string
		dst *string
	}{{"api_auth_token", &c.APIAuthToken}, {"admin_jwt_secret", &c.AdminJWTSecret}} {
		if *s.dst != "" {
			continue
		}
		file := filepath.Join(dir, s.key)
		b, err := os.ReadFile(file)
		if err == nil {
			v := strings.TrimSpace(string(b))
			if v == "" {
				return nil, fmt.Errorf("%s: file %s is empty; delete it to generate a new one", s.key, file)
			}
			*s.dst = v
			continue
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		v, err := RandomToken(32)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(file, []byte(v+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", file, err)
		}
		*s.dst = v
		out = append(out, Generated{Key: s.key, Value: v, File: file})
	}
	return out, nil
}

// RandomToken returns n random bytes as hex.
func RandomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
