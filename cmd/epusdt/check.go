package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/epusdt/epusdt/internal/app"
	"github.com/epusdt/epusdt/internal/check"
	"github.com/epusdt/epusdt/internal/ops"
)

// checkCmd is `epusdt check`: the security and operability review of this
// installation. It exits non-zero when it finds an error (or, with
// --strict, a warning).
func (c *cli) checkCmd() *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Review this installation's security: file modes, secrets, https, Redis, metrics, private keys, backups",
		Long: "Loads the configuration like `http start` and reports, one line each, what is wrong and what to do:\n" +
			"world-readable .env or runtime secrets, empty or weak api_auth_token / admin_jwt_secret / admin_init_password,\n" +
			"app_debug on, an http app_uri, Redis without a password on another host, /metrics reachable without a token,\n" +
			"plaintext private keys or seed phrases, and missing or stale backups in backup_dir.\n" +
			"Exit status 1 when anything is an ERROR (with --strict, also a WARN).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.load()
			if err != nil {
				return err
			}
			rep := check.Run(check.Options{Config: cfg, EnvFile: c.envFile(), Environ: os.Environ()})
			if err := rep.Write(cmd.OutOrStdout()); err != nil {
				return err
			}
			if n := rep.Count(check.Error); n > 0 {
				return fmt.Errorf("check: %d errors", n)
			}
			if n := rep.Count(check.Warn); strict && n > 0 {
				return fmt.Errorf("check: %d warnings (--strict)", n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	return cmd
}

// envFile is the .env file load() read: --config, or ./.env when present.
func (c *cli) envFile() string {
	if c.configPath != "" {
		return c.configPath
	}
	if _, err := os.Stat(".env"); err == nil {
		return ".env"
	}
	return ""
}

// dbCmd holds hidden database helpers for scripts/backup.sh.
func (c *cli) dbCmd() *cobra.Command {
	db := &cobra.Command{Use: "db", Short: "Database helpers used by scripts/backup.sh", Hidden: true}
	db.AddCommand(&cobra.Command{
		Use:   "backup-sqlite DEST",
		Short: "Write a consistent online copy of the SQLite database to DEST (VACUUM INTO), while the gateway runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := c.load()
			if err != nil {
				return err
			}
			if cfg.DBType != "sqlite" {
				return errors.New("backup-sqlite: db_type is " + cfg.DBType + ", not sqlite")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Minute)
			defer cancel()
			src := app.StoreOptions(cfg).DSN
			if err := ops.BackupSQLite(ctx, src, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s to %s\n", src, args[0])
			return nil
		},
	})
	return db
}
