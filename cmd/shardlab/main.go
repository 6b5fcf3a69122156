package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every subcommand.
const (
	exitOK        = 0
	exitFailure   = 1 // the command ran and found a failure (e.g. a violation)
	exitUsage     = 2 // bad flags, arguments or input files
	exitUndecided = 3 // a check ran out of time without a verdict
)

// exitError carries an exit status out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as the user's mistake: exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withStatus wraps err so that shardlab exits with code.
func withStatus(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "shardlab",
		Short:         "Verify, measure and plan a sharded registry",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Flag parsing errors are usage errors.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w\n%s", err, c.UsageString())}
	})
	root.AddCommand(
		// Subcommands are added here, one constructor per file.
		newCheckCmd(),
		newBenchratioCmd(),
		newScenariosCmd(),
		newRunCmd(),
		newSweepCmd(),
		newReportCmd(),
		newPlanCmd(),
		newBalanceCmd(),
		newCalibrateCmd(),
		newPredictCmd(),
		newValidateModelCmd(),
	)
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// Ctrl-C (or SIGTERM) cancels the command's context: a run or sweep
	// drops the point in flight and keeps every finished one, so the same
	// command resumes it. A second Ctrl-C kills the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "shardlab: interrupted (a run, sweep or report keeps what it finished; the same command resumes it)")
		return exitFailure
	}
	fmt.Fprintln(os.Stderr, "shardlab:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Cobra reports unknown commands and bad arguments as plain errors
	// before any subcommand runs; those are usage errors too.
	if isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}
