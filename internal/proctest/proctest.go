// Package proctest runs real processes in tests: it builds binaries of this
// module, starts them with a clean environment, captures their output,
// waits for an HTTP endpoint, and stops them with SIGTERM or SIGKILL.
package proctest

import (
	"bufio"
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

// Build compiles the package at pkgPath (e.g. "github.com/epusdt/epusdt/cmd/epusdt")
// into dir and returns the binary's path.
func Build(dir, pkgPath string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkgPath))
	cmd := exec.Command("go", "build", "-o", out, pkgPath)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkgPath, err, b)
	}
	return out, nil
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// CleanEnv is the test runner's environment without EPUSDT_* variables
// (so a developer's settings never leak into a test), plus extra.
func CleanEnv(extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "EPUSDT_") {
			env = append(env, e)
		}
	}
	return append(env, extra...)
}

// Buffer collects output for concurrent readers.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proc is a running process.
type Proc struct {
	Cmd    *exec.Cmd
	out    *Buffer
	exited chan struct{}
	err    error // set before exited is closed
	// Lines receives each output line (buffered; lines are dropped when full).
	Lines chan string
}

// Start runs bin in dir with CleanEnv(env...) and kills it when the test ends.
func Start(t testing.TB, bin, dir string, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, CleanEnv(env...)
	p := &Proc{Cmd: cmd, out: &Buffer{}, exited: make(chan struct{}), Lines: make(chan string, 1024)}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.out.Write([]byte(line + "\n"))
			select {
			case p.Lines <- line:
			default:
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.err = cmd.Wait(); pw.Close(); close(p.exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	return p
}

// Output returns what the process printed so far (stdout and stderr).
func (p *Proc) Output() string { return p.out.String() }

// Exited is closed once the process has ended.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Err is the exit error; valid once Exited is closed.
func (p *Proc) Err() error {
	<-p.exited
	return p.err
}

// WaitHTTP polls url until it answers 200 or within passes.
func (p *Proc) WaitHTTP(t testing.TB, url string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		select {
		case <-p.exited:
			t.Fatalf("process exited (%v) before %s answered; output:\n%s", p.err, url, p.Output())
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %s; output:\n%s", url, within, p.Output())
	return 0
}

// Stop sends SIGTERM and waits up to 30 s for the exit; it returns the exit error.
func (p *Proc) Stop(t testing.TB) error {
	t.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(30 * time.Second):
		t.Fatalf("process did not stop within 30s of SIGTERM; output:\n%s", p.Output())
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("process survived SIGKILL")
	}
}
