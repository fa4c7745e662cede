// Package scripts_test runs the backup → wipe → restore drill of
// scripts/backup.sh and scripts/restore.sh against the real gateway binary
// on SQLite, MariaDB/MySQL and PostgreSQL.
package scripts_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/proctest"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "epusdt-drill-bin")
	if err != nil {
		panic(err)
	}
	if binPath, err = proctest.Build(dir, "github.com/epusdt/epusdt/cmd/epusdt"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// baseEnv is the environment of every child process: the runner's minus
// its EPUSDT_* variables, plus extra.
func baseEnv(extra ...string) []string { return proctest.CleanEnv(extra...) }

// script runs scripts/NAME in dir and returns its output.
func script(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	abs, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{abs}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func freeAddr(t *testing.T) string { return proctest.FreeAddr(t) }

// gateway is a running `epusdt http start`.
type gateway struct{ *proctest.Proc }

func startGateway(t *testing.T, dir, addr string) *gateway {
	t.Helper()
	g := &gateway{proctest.Start(t, binPath, dir, nil, "http", "start")}
	g.WaitHTTP(t, "http://"+addr+"/healthz", 60*time.Second)
	return g
}

func (g *gateway) stop(t *testing.T) {
	t.Helper()
	if err := g.Stop(t); err != nil {
		t.Fatalf("gateway stopped with %v:\n%s", err, g.Output())
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
