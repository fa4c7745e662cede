package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/epusdt/epusdt/internal/notify"
	"github.com/epusdt/epusdt/internal/store"
)

func (c *cli) callbackCmd() *cobra.Command {
	cb := &cobra.Command{Use: "callback", Short: "Inspect and resend merchant callbacks"}
	cb.AddCommand(&cobra.Command{
		Use:   "resend TRADE_ID",
		Short: "Send an order's callback again (same event id); works on failed, pending and delivered callbacks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				j, err := notify.Resend(ctx, s, args[0], time.Now())
				if errors.Is(err, notify.ErrNoCallback) || errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("order %s has no callback to resend", args[0])
				}
				if err != nil {
					return err
				}
				if err := s.AppendAudit(ctx, store.AuditEntry{Actor: "cli", ActorKind: store.ActorCLI, Action: "callback.resend",
					Target: args[0], Detail: fmt.Sprintf(`{"event_id":%q}`, j.EventID), CreatedAt: time.Now()}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "callback %s of %s queued now (event %s); a running gateway delivers it\n", j.Kind, j.TradeID, j.EventID)
				return nil
			})
		},
	})
	var failed bool
	var limit int
	list := &cobra.Command{
		Use:   "list [--failed]",
		Short: "List callback jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				f := store.CallbackJobFilter{Limit: limit}
				if failed {
					f.Status = store.CallbackFailed
				}
				jobs, err := notify.ListJobs(ctx, s, f)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TRADE_ID\tKIND\tSTATUS\tATTEMPTS\tNEXT\tEVENT\tLAST ERROR")
				for _, j := range jobs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.TradeID, j.Kind, j.Status, j.Attempts, j.MaxAttempts,
						j.NextAttemptAt.Format(time.RFC3339), j.EventID, j.LastError)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&failed, "failed", false, "only callbacks that exhausted their retries")
	list.Flags().IntVar(&limit, "limit", 100, "rows at most")
	cb.AddCommand(list, &cobra.Command{
		Use:   "log TRADE_ID",
		Short: "Show every delivery attempt of an order's callbacks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				ds, err := notify.Deliveries(ctx, s, args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tATTEMPT\tHTTP\tDURATION\tERROR\tRESPONSE")
				for _, d := range ds {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%.60q\n", d.CreatedAt.Format(time.RFC3339), d.Attempt, d.HTTPStatus,
						d.Duration.Round(time.Millisecond), d.Error, d.ResponseBody)
				}
				return tw.Flush()
			})
		},
	})
	return cb
}
