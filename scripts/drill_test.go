// Package scripts_test runs the backup → wipe → restore drill of
// scripts/backup.sh and scripts/restore.sh against the real gateway binary
// on SQLite, MariaDB/MySQL and PostgreSQL.
package scripts_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "epusdt-drill-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "epusdt")
	if out, err := exec.Command("go", "build", "-o", binPath, "../cmd/epusdt").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build epusdt: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// baseEnv is the environment of every child process: the runner's minus
// its EPUSDT_* variables, plus extra.
func baseEnv(extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "EPUSDT_") {
			env = append(env, e)
		}
	}
	return append(env, extra...)
}

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

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// gateway is a running `epusdt http start`.
type gateway struct {
	cmd  *exec.Cmd
	addr string
	out  *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startGateway(t *testing.T, dir, addr string) *gateway {
	t.Helper()
	g := &gateway{addr: addr, out: &lockedBuffer{}, done: make(chan error, 1)}
	g.cmd = exec.Command(binPath, "http", "start")
	g.cmd.Dir, g.cmd.Env = dir, baseEnv()
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil {
			_ = g.cmd.Process.Kill()
			<-g.done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-g.done:
			t.Fatalf("gateway exited at start: %v\n%s", err, g.out.String())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gateway not healthy within 60 s:\n%s", g.out.String())
	return nil
}

func (g *gateway) stop(t *testing.T) {
	t.Helper()
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.done:
		if err != nil {
			t.Fatalf("gateway stopped with %v:\n%s", err, g.out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("gateway did not stop on SIGTERM:\n%s", g.out.String())
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
