// Command loadgen measures a running EPUSDT gateway from the outside, the
// way a shop and a payer meet it:
//
//	loadgen create   -url URL -token T -c 32 -n 5000      create orders at a concurrency: orders/s, p50/p95/p99
//	loadgen settle   -url URL -token T -rpc DEVCHAIN -n 30  pay orders on devchain: detection latency after
//	                                                        settlement, callback received after settlement (runs its own merchant)
//	loadgen rpc-cost -url URL -rpc DEVCHAIN -blocks 1000    RPC calls the gateway makes while 1,000 blocks pass
//
// Orders are signed like the Epusdt PHP plugins sign them (ksort, skip
// empty values, md5 of k=v&… with the token appended). Every subcommand
// prints a human summary, or with -row one Markdown table row for
// scripts/figures.sh. It never asserts anything: it measures.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: loadgen create|settle|rpc-cost [flags] (-h for each)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "create":
		err = runCreate(ctx, args[1:], stdout, stderr)
	case "settle":
		err = runSettle(ctx, args[1:], stdout, stderr)
	case "rpc-cost":
		err = runRPCCost(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "loadgen: unknown subcommand %q (want create, settle or rpc-cost)\n", args[0])
		return 2
	}
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

// newFlags returns a flag set that reports errors to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("loadgen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
