package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/epusdt/epusdt/internal/admin"
	"github.com/epusdt/epusdt/internal/audit"
	"github.com/epusdt/epusdt/internal/store"
)

// adminCmd manages admin console accounts: `epusdt admin add USER` and
// `epusdt admin passwd USER`. The password is read from the first line of
// standard input; an empty one is generated and printed once.
func (c *cli) adminCmd() *cobra.Command {
	a := &cobra.Command{Use: "admin", Short: "Manage admin console accounts"}
	a.AddCommand(
		c.adminPasswordCmd("add USER", "Add an admin (password from stdin; empty = generated and printed once)", "admin.add",
			func(ctx context.Context, s *store.Store, user, pw string) error {
				err := admin.CreateAdmin(ctx, s, user, pw, time.Now())
				if errors.Is(err, store.ErrDuplicate) {
					return fmt.Errorf("admin %s exists already; use `epusdt admin passwd %s`", user, user)
				}
				return err
			}),
		c.adminPasswordCmd("passwd USER", "Set an admin's password and log out all its sessions (password from stdin; empty = generated)", "admin.passwd",
			func(ctx context.Context, s *store.Store, user, pw string) error {
				err := admin.SetPassword(ctx, s, user, pw, time.Now())
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no admin %s (see `epusdt admin add`)", user)
				}
				return err
			}))
	return a
}

func (c *cli) adminPasswordCmd(use, short, action string, fn func(context.Context, *store.Store, string, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, generated, err := readPassword(cmd.InOrStdin())
			if err != nil {
				return err
			}
			cfg, err := c.load()
			if err != nil {
				return err
			}
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				if err := fn(ctx, s, args[0], pw); err != nil {
					return err
				}
				rec := audit.New(audit.Options{Store: s, Enabled: cfg.AuditLogEnabled})
				if err := rec.Record(ctx, audit.Entry{Actor: "cli", Kind: store.ActorCLI, Action: action, Target: args[0]}); err != nil {
					return err
				}
				if generated {
					fmt.Fprintf(cmd.OutOrStdout(), "password of %s (shown once): %s\n", args[0], pw)
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "password of %s set\n", args[0])
				}
				return nil
			})
		},
	}
}

// readPassword reads the first line of r; an empty line (or no input)
// gives a generated password.
func readPassword(r io.Reader) (string, bool, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw != "" {
		return pw, false, nil
	}
	pw, err = admin.RandomPassword()
	return pw, true, err
}
