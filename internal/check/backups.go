package check

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ArchivePrefix and ArchiveSuffix frame the names scripts/backup.sh gives
// its archives: epusdt-backup-20250102T030405Z.tar.gz.
const (
	ArchivePrefix = "epusdt-backup-"
	ArchiveSuffix = ".tar.gz"
)

func (r *run) checkBackups() {
	o := r.cfg.Ops
	if o.BackupDir == "" {
		r.add(Backups, Error, "backup_dir", "not set, so no backup can be checked: run scripts/backup.sh DIR daily (cron or a systemd timer) and set backup_dir=DIR")
		return
	}
	dir := r.abs(o.BackupDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.add(Backups, Error, dir, "cannot read the backup directory: %v", err)
		return
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o007 != 0 {
		r.add(Backups, Warn, dir, "backup directory is open to every user (mode %04o): archives hold .env and secrets; chmod 700", fi.Mode().Perm())
	}
	var newest os.FileInfo
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ArchivePrefix) || !strings.HasSuffix(e.Name(), ArchiveSuffix) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if why, l := modeProblem(fi.Mode()); l == Error && closedBy(p, true) == "" {
			r.add(Backups, Error, p, "%s: archives hold .env and secrets; chmod 600", why)
		}
		if newest == nil || fi.ModTime().After(newest.ModTime()) {
			newest = fi
		}
	}
	if newest == nil {
		r.add(Backups, Error, dir, "no backup archive (%s*%s): run scripts/backup.sh %s", ArchivePrefix, ArchiveSuffix, dir)
		return
	}
	age := r.o.Now().Sub(newest.ModTime())
	if max := time.Duration(o.BackupMaxAgeHrs) * time.Hour; o.BackupMaxAgeHrs > 0 && age > max {
		r.add(Backups, Error, filepath.Join(dir, newest.Name()), "newest backup is %s old (backup_max_age_hours=%d): is the backup job running?",
			age.Truncate(time.Minute), o.BackupMaxAgeHrs)
		return
	}
	r.add(Backups, OK, filepath.Join(dir, newest.Name()), "newest backup is %s old", age.Truncate(time.Minute))
}
