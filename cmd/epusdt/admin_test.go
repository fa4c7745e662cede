package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/epusdt/epusdt/internal/app"
	"github.com/epusdt/epusdt/internal/store"
)

func runAdmin(t *testing.T, c *cli, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := c.adminCmd()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.Execute()
	return out.String(), err
}

func TestAdminAddAndPasswd(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	if err := os.WriteFile(env, []byte("runtime_root_path="+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cli{configPath: env}
	if _, err := runAdmin(t, c, "admin123\n", "add", "bob"); err == nil || !strings.Contains(err.Error(), "commonly used") {
		t.Fatalf("weak password accepted: %v", err)
	}
	out, err := runAdmin(t, c, "", "add", "bob")
	if err != nil || !strings.Contains(out, "shown once") {
		t.Fatalf("add: %q %v", out, err)
	}
	generated := strings.TrimSpace(out[strings.LastIndex(out, ":")+1:])
	if _, err := runAdmin(t, c, "", "add", "bob"); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := runAdmin(t, c, "a-much-better-passphrase\n", "passwd", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := runAdmin(t, c, "x-long-enough-pass\n", "passwd", "nobody"); err == nil || !strings.Contains(err.Error(), "no admin") {
		t.Fatalf("unknown admin: %v", err)
	}
	cfg, err := c.load()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := app.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	adm, err := s.GetAdminByName(context.Background(), "bob")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(adm.PasswordHash), []byte("a-much-better-passphrase")) != nil ||
		bcrypt.CompareHashAndPassword([]byte(adm.PasswordHash), []byte(generated)) == nil {
		t.Fatalf("stored password: %v", err)
	}
	es, _ := s.ListAudit(context.Background(), store.AuditFilter{Actor: "cli"})
	if len(es) != 2 || es[0].Action != "admin.passwd" || es[1].Action != "admin.add" || es[0].ActorKind != store.ActorCLI {
		t.Fatalf("audit %+v", es)
	}
}
