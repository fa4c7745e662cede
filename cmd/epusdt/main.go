// Command epusdt is the EPUSDT payment gateway: `epusdt http start` serves
// it; other subcommands migrate the database, check the configuration and
// manage wallets and callbacks.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/epusdt/epusdt/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "epusdt:", err)
		os.Exit(1)
	}
}

// cli carries what every subcommand shares.
type cli struct {
	configPath string
}

func newRoot() *cobra.Command {
	c := &cli{}
	root := &cobra.Command{
		Use:           "epusdt",
		Short:         "Self-hosted USDT payment gateway (Epusdt API compatible)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&c.configPath, "config", "", "path of the .env file (default: ./.env when present)")
	root.AddCommand(c.httpCmd(), c.migrateCmd(), c.versionCmd(), c.configCmd(), c.walletCmd(), c.callbackCmd(),
		c.adminCmd(), c.checkCmd(), c.dbCmd())
	return root
}

// load reads and validates the configuration, printing warnings to stderr.
func (c *cli) load() (*config.Config, error) {
	l, err := config.Load(c.configPath, os.Environ())
	if err != nil {
		return nil, err
	}
	for _, w := range l.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	return &l.Config, nil
}

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "epusdt", version)
		},
	}
}
