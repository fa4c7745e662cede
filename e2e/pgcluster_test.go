package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/epusdt/epusdt/internal/proctest"
)

// pgCluster is a throwaway PostgreSQL cluster the test runs itself (never
// the shared server): initdb in a temp dir as the postgres OS user, its own
// port and socket directory, stopped and removed when the test ends.
type pgCluster struct {
	bin, dir, port string
}

// startPGCluster creates and starts a cluster. It skips (fails on CI)
// when PostgreSQL's server binaries or the postgres OS user are missing,
// or when the test does not run as root (runuser needs it).
func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := pgBinDir()
	u, err := user.Lookup("postgres")
	switch {
	case bin == "" || err != nil || os.Geteuid() != 0:
		msg := fmt.Sprintf("NOTICE: cannot run a private PostgreSQL cluster (server binaries %q, postgres user %v, euid %d): database-restart test SKIPPED",
			bin, err, os.Geteuid())
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "epusdt-e2e-pg-")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(proctest.FreeAddr(t), ":")
	c := &pgCluster{bin: bin, dir: dir, port: port}
	t.Cleanup(func() {
		_ = c.ctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := c.asPostgres("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// pgBinDir is the newest /usr/lib/postgresql/<version>/bin with pg_ctl.
func pgBinDir() string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi < vj
	})
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// DSN reaches the cluster's postgres database over TCP.
func (c *pgCluster) DSN() string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/postgres?sslmode=disable&connect_timeout=3"
}

// asPostgres runs one of the cluster's binaries as the postgres user.
func (c *pgCluster) asPostgres(name string, args ...string) ([]byte, error) {
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, name)}, args...)...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// ctl runs pg_ctl with args, waiting for the result.
func (c *pgCluster) ctl(args ...string) error {
	out, err := c.asPostgres("pg_ctl", append([]string{"-D", c.data(), "-w", "-t", "60"}, args...)...)
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// start starts the server on the cluster's port (TCP on 127.0.0.1 and a
// socket in the cluster's own directory).
func (c *pgCluster) start() error {
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.port, c.dir)
	return c.ctl("-l", filepath.Join(c.dir, "server.log"), "-o", opts, "start")
}

// stop stops the server: mode "immediate" is a crash (no checkpoint,
// connections cut), "fast" a clean shutdown that disconnects clients.
func (c *pgCluster) stop(mode string) error { return c.ctl("-m", mode, "stop") }
