package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/app"
	"github.com/epusdt/epusdt/internal/store"
)

func (c *cli) walletCmd() *cobra.Command {
	w := &cobra.Command{Use: "wallet", Short: "Manage receiving wallets"}
	var chain, label string
	add := &cobra.Command{
		Use:   "add --chain tron|ethereum|bsc|polygon ADDRESS",
		Short: "Add a receiving wallet (validated for its chain)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !address.IsChain(chain) {
				return fmt.Errorf("--chain %q: want one of %s", chain, strings.Join(address.Chains(), ", "))
			}
			addr, err := address.Normalize(chain, args[0])
			if err != nil {
				return fmt.Errorf("address %q is not a valid %s address: %v", args[0], chain, err)
			}
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				got, err := s.AddWallet(ctx, chain, addr, label, time.Now())
				if errors.Is(err, store.ErrDuplicate) {
					return fmt.Errorf("wallet %s is already on %s", addr, chain)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "added %s wallet %s (id %d)\n", chain, got.Address, got.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&chain, "chain", "", "chain of the wallet: tron, ethereum, bsc or polygon (required)")
	add.Flags().StringVar(&label, "label", "", "a label for operators")
	_ = add.MarkFlagRequired("chain")

	var listChain string
	var all bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List wallets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				ws, err := s.ListWallets(ctx, listChain, all)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCHAIN\tADDRESS\tSTATUS\tLABEL")
				for _, w := range ws {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", w.ID, w.Chain, w.Address, walletStatus(w), w.Label)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&listChain, "chain", "", "only this chain")
	list.Flags().BoolVar(&all, "all", false, "include removed wallets")

	w.AddCommand(add, list,
		c.walletChange("enable", "Enable a wallet", func(ctx context.Context, s *store.Store, ch, a string) error {
			return s.SetWalletStatus(ctx, ch, a, store.WalletEnabled, time.Now())
		}),
		c.walletChange("disable", "Disable a wallet (no new orders; payments to it are still recorded)", func(ctx context.Context, s *store.Store, ch, a string) error {
			return s.SetWalletStatus(ctx, ch, a, store.WalletDisabled, time.Now())
		}),
		c.walletChange("remove", "Remove a wallet (soft: history is kept)", func(ctx context.Context, s *store.Store, ch, a string) error {
			return s.RemoveWallet(ctx, ch, a, time.Now())
		}))
	return w
}

func walletStatus(w store.Wallet) string {
	switch {
	case w.DeletedAt != nil:
		return "removed"
	case w.Status == store.WalletEnabled:
		return "enabled"
	}
	return "disabled"
}

func (c *cli) walletChange(verb, short string, fn func(context.Context, *store.Store, string, string) error) *cobra.Command {
	var chain string
	cmd := &cobra.Command{
		Use:   verb + " ADDRESS",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withStore(func(ctx context.Context, s *store.Store) error {
				ch, addr, err := findWallet(ctx, s, chain, args[0])
				if err != nil {
					return err
				}
				if err := fn(ctx, s, ch, addr); err != nil {
					return fmt.Errorf("%s wallet %s: %w", verb, addr, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%sd %s wallet %s\n", strings.TrimSuffix(verb, "e"), ch, addr)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&chain, "chain", "", "chain of the wallet (needed when the address is on several EVM chains)")
	return cmd
}

// findWallet resolves ADDRESS (and optionally --chain) to one live wallet.
func findWallet(ctx context.Context, s *store.Store, chain, raw string) (string, string, error) {
	chains := address.Chains()
	if chain != "" {
		if !address.IsChain(chain) {
			return "", "", fmt.Errorf("--chain %q: want one of %s", chain, strings.Join(address.Chains(), ", "))
		}
		chains = []string{chain}
	}
	var found []string
	var addr string
	for _, ch := range chains {
		a, err := address.Normalize(ch, raw)
		if err != nil {
			if chain != "" {
				return "", "", fmt.Errorf("address %q is not a valid %s address: %v", raw, ch, err)
			}
			continue
		}
		if _, err := s.GetWallet(ctx, ch, a, false); err == nil {
			found, addr = append(found, ch), a
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", "", err
		}
	}
	switch len(found) {
	case 0:
		return "", "", fmt.Errorf("no wallet %s (see epusdt wallet list)", raw)
	case 1:
		return found[0], addr, nil
	}
	return "", "", fmt.Errorf("wallet %s is on %s: say which with --chain", raw, strings.Join(found, " and "))
}

func (c *cli) withStore(fn func(ctx context.Context, s *store.Store) error) error {
	cfg, err := c.load()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, _, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(ctx, s)
}
