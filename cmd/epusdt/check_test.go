package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCheck runs `epusdt check` on the .env at dir/.env, from dir.
func runCheck(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	c := &cli{configPath: filepath.Join(dir, ".env")}
	cmd := c.checkCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func TestCheckCommandExitStatus(t *testing.T) {
	dir := t.TempDir()
	// t.TempDir's parent is closed to other users, which would make a
	// world-readable .env harmless; open the path like a real install's.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	good := strings.Join([]string{
		"app_uri=https://pay.shop.test",
		"api_auth_token=Q7fz2LkP9wXr4TbN8mVc3HsY6JdA1eGu",
		"admin_jwt_secret=5b8e2f9a1c6d3e7f0a4b8c2d6e9f1a3b5c7d9e0f",
		"metrics_token=M3tr1cs-Scrape-Token-7Hq2",
		"backup_dir=backups",
		"http_listen=:8000",
		"tron_enabled=false",
	}, "\n") + "\n"
	writeFile(t, filepath.Join(dir, ".env"), good, 0o600)
	writeFile(t, filepath.Join(dir, "runtime", "epusdt.db"), "db", 0o600)
	writeFile(t, filepath.Join(dir, "backups", "epusdt-backup-20250101T000000Z.tar.gz"), "tar", 0o600)
	if err := os.Chmod(filepath.Join(dir, "runtime"), 0o700); err != nil {
		t.Fatal(err)
	}

	out, err := runCheck(t, dir)
	if err != nil {
		t.Fatalf("good configuration: %v\n%s", err, out)
	}
	if !strings.Contains(out, "0 errors, 0 warnings") {
		t.Fatalf("good configuration output:\n%s", out)
	}

	writeFile(t, filepath.Join(dir, ".env"), good+"app_debug=true\n", 0o644)
	out, err = runCheck(t, dir)
	if err == nil || !strings.Contains(err.Error(), "2 errors") {
		t.Fatalf("bad configuration must fail with 2 errors, got %v\n%s", err, out)
	}
	for _, want := range []string{"ERROR  env-file", "ERROR  debug"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Q7fz2LkP9wXr4TbN8mVc3HsY6JdA1eGu") {
		t.Error("the api token appears in the output")
	}

	writeFile(t, filepath.Join(dir, ".env"), good+"app_uri=https://127.0.0.1\n", 0o600)
	if out, err := runCheck(t, dir); err != nil {
		t.Fatalf("a warning alone must not fail: %v\n%s", err, out)
	}
	if out, err := runCheck(t, dir, "--strict"); err == nil {
		t.Fatalf("--strict must fail on a warning:\n%s", out)
	}
}
