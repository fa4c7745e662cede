package logging

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestSecretsAreMasked(t *testing.T) {
	dir := t.TempDir()
	secret := "s3cr3t-token-value"
	log, closeLog, err := New(Options{Dir: dir, MaxSizeMB: 1, Secrets: []string{secret, "ab"}})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("token is "+secret, zap.String("dsn", "user:"+secret+"@host"), zap.Error(errors.New("bad "+secret)),
		zap.ByteString("raw", []byte(secret)))
	log.With(zap.String("ctx", secret)).Info("with")
	closeLog()
	b, err := os.ReadFile(filepath.Join(dir, "epusdt.log"))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if strings.Contains(out, secret) {
		t.Fatalf("secret leaked: %s", out)
	}
	if strings.Count(out, "****") < 5 {
		t.Fatalf("expected masks in every field: %s", out)
	}
	if !strings.Contains(out, `"level":"info"`) {
		t.Fatalf("not JSON lines: %s", out)
	}
}
