package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// generatedSecrets are the files EnsureSecrets writes into runtime/.
var generatedSecrets = []string{"api_auth_token", "admin_jwt_secret"}

// modeProblem describes what is wrong with a secret file's permissions, or
// returns "" when only its owner (and at most its group, for reading) can
// use it.
func modeProblem(m fs.FileMode) (string, Level) {
	p := m.Perm()
	switch {
	case p&0o002 != 0:
		return fmt.Sprintf("writable by every user (mode %04o)", p), Error
	case p&0o004 != 0:
		return fmt.Sprintf("readable by every user (mode %04o)", p), Error
	case p&0o020 != 0:
		return fmt.Sprintf("writable by its group (mode %04o)", p), Warn
	case p&0o040 != 0:
		return fmt.Sprintf("readable by its group (mode %04o)", p), Warn
	}
	return "", OK
}

// closedBy returns the nearest directory above path that other users
// (others=true) or the group cannot search, which makes the file's own
// mode moot for them; "" when every directory up to / lets them through.
func closedBy(path string, others bool) string {
	bit := fs.FileMode(0o010)
	if others {
		bit = 0o001
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&bit == 0 {
			return dir
		}
		if dir == filepath.Dir(dir) {
			return ""
		}
	}
}

// checkSecretFile reports a secret file's permissions, counting the
// directories above it; a missing file is not a finding (ok is false).
func (r *run) checkSecretFile(check, path string) (ok bool) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		r.add(check, Warn, path, "cannot inspect: %v", err)
		return true
	}
	why, l := modeProblem(fi.Mode())
	if why != "" {
		if dir := closedBy(path, l == Error); dir != "" {
			r.add(check, OK, path, "%s, but %s is closed to them; chmod 600 %s all the same", why, dir, path)
			return true
		}
		r.add(check, l, path, "%s: it holds secrets; run chmod 600 %s", why, path)
		return true
	}
	r.add(check, OK, path, "mode %04o", fi.Mode().Perm())
	return true
}

func (r *run) checkEnvFile() {
	if r.o.EnvFile == "" {
		r.add(EnvFile, OK, ".env", "no .env file: configuration comes from EPUSDT_* variables")
		return
	}
	r.checkSecretFile(EnvFile, r.abs(r.o.EnvFile))
}

func (r *run) checkRuntimeFiles() {
	dir := r.runtimeDir()
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		r.add(RuntimeFiles, Warn, dir, "runtime directory does not exist yet: start the gateway once, then check again")
		return
	}
	if err != nil {
		r.add(RuntimeFiles, Warn, dir, "cannot inspect: %v", err)
		return
	}
	if p := fi.Mode().Perm(); p&0o007 != 0 {
		r.add(RuntimeFiles, Warn, dir, "runtime directory is open to every user (mode %04o): chmod 700 %s", p, dir)
	}
	for _, name := range generatedSecrets {
		r.checkSecretFile(RuntimeFiles, filepath.Join(dir, name))
	}
}

// checkDatabase looks at the SQLite file (it holds admin password hashes
// and every order) and at database passwords of remote servers.
func (r *run) checkDatabase() {
	if p := r.sqlitePath(); p != "" {
		found := false
		for _, f := range []string{p, p + "-wal"} {
			found = r.checkSecretFile(Database, f) || found
		}
		if !found {
			r.add(Database, Warn, p, "SQLite database not found: start the gateway once, then check again")
		}
		return
	}
	db, key := r.cfg.MySQL, "mysql_passwd"
	if r.cfg.DBType == "postgres" {
		db, key = r.cfg.Postgres, "postgres_passwd"
	}
	if r.cfg.DBDSN == "" && db.Passwd == "" && !isLoopback(db.Host) {
		r.add(Database, Error, key, "the %s server %s is reached without a password", r.cfg.DBType, db.Host)
		return
	}
	r.add(Database, OK, r.cfg.DBType, "server credentials configured")
}
