package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/app"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/logging"
)

func (c *cli) httpCmd() *cobra.Command {
	h := &cobra.Command{Use: "http", Short: "HTTP server commands"}
	h.AddCommand(&cobra.Command{
		Use:   "start",
		Short: "Start the gateway (migrates the database first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return c.start(ctx, cmd)
		},
	})
	return h
}

func (c *cli) start(ctx context.Context, cmd *cobra.Command) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	generated, err := cfg.EnsureSecrets()
	if err != nil {
		return err
	}
	for _, g := range generated {
		fmt.Fprintf(cmd.OutOrStdout(), "generated %s (shown once, stored in %s with mode 0600): %s\n", g.Key, g.File, g.Value)
	}
	log, closeLog, err := newLogger(cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	a, err := app.New(ctx, cfg, app.Options{Version: version, Log: log, Secrets: secretsOf(cfg)})
	if err != nil {
		log.Error("start failed", zap.Error(err))
		return err
	}
	if pw := a.GeneratedAdminPassword; pw != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "created admin %q with generated password (shown once): %s\n", cfg.AdminInitUsername, pw)
	}
	ln, err := net.Listen("tcp", cfg.HTTPListen)
	if err != nil {
		a.Store().Close()
		return fmt.Errorf("listen on %s (http_listen): %w", cfg.HTTPListen, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "epusdt %s listening on %s (db %s)\n", version, ln.Addr(), cfg.DBType)
	return a.Run(ctx, ln)
}

func newLogger(cfg *config.Config) (*zap.Logger, func(), error) {
	dir := filepath.Join(cfg.RuntimeDir(), strings.TrimPrefix(cfg.LogSavePath, "/"))
	log, closeLog, err := logging.New(logging.Options{
		Dir: dir, MaxSizeMB: cfg.LogMaxSize, MaxAgeDays: cfg.LogMaxAge, MaxBackups: cfg.MaxBackups,
		Debug: cfg.AppDebug, Secrets: secretsOf(cfg),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open log directory %s (log_save_path): %w", dir, err)
	}
	return log, closeLog, nil
}

// secretsOf lists every secret value of the configuration for masking.
func secretsOf(cfg *config.Config) []string {
	var out []string
	for _, f := range cfg.Fields() {
		if f.Secret {
			if v := fmt.Sprint(cfg.Value(f.Key)); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}
