package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/epusdt/epusdt/internal/app"
	"github.com/epusdt/epusdt/internal/config"
)

func (c *cli) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.load()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s, applied, err := app.OpenStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, _, err := s.SchemaStatus(ctx)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "database is up to date (schema version %d)\n", cur)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "applied migrations %v; schema version %d\n", applied, cur)
			return nil
		},
	}
}

func (c *cli) configCmd() *cobra.Command {
	cc := &cobra.Command{Use: "config", Short: "Configuration commands"}
	cc.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Load and validate the configuration, print the effective values (secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.load()
			if err != nil {
				return err
			}
			for _, line := range cfg.Effective() {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "# configuration OK")
			return nil
		},
	})
	cc.AddCommand(&cobra.Command{
		Use:   "keys",
		Short: "Print every configuration key with its default and meaning (Markdown table)",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			def := config.Default()
			fmt.Fprintln(cmd.OutOrStdout(), "| key | default | meaning |\n|---|---|---|")
			for _, f := range def.Fields() {
				v := fmt.Sprint(displayDefault(def.Value(f.Key)))
				if v == "" {
					v = "(empty)"
				} else if f.Secret {
					v = "(secret)"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "| `%s` | `%s` | %s |\n", f.Key, v, f.Help)
			}
		},
	})
	return cc
}

func displayDefault(v any) any {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ",")
	case fmt.Stringer:
		return x.String()
	}
	return v
}
