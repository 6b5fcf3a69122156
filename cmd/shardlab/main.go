package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses shared by every subcommand.
const (
	exitOK        = 0
	exitFailure   = 1 // the command ran and found a failure (e.g. a violation)
	exitUsage     = 2 // bad flags, arguments or input files
	exitUndecided = 3 // a check ended without a verdict: its time or memory budget ran out, or a signal stopped it
	// exitInterrupted is the shell's convention for a process ended by
	// SIGINT (128 + 2), so scripts can tell Ctrl-C from a violation.
	exitInterrupted = 130
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
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("shardlab {{.Version}}\n")
	root.PersistentPreRunE = checkOutFlag
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
		newMergeCmd(),
		newCalibrateCmd(),
		newPredictCmd(),
		newValidateModelCmd(),
		newDriverServeCmd(),
		newDriverProbeCmd(),
		newDriverBenchCmd(),
	)
	root.SetHelpCommand(newHelpCmd(root))
	for _, c := range root.Commands() {
		argsWithUsage(c)
	}
	addCompletions(root)
	return root
}

// argsWithUsage makes a wrong argument count a usage error (exit 2) that
// shows the command's usage, so "shardlab run" says what it needs.
func argsWithUsage(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	check := c.Args
	c.Args = func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%w\n\n%s", err, c.UsageString())}
		}
		return nil
	}
}

// newHelpCmd replaces cobra's help command, which answers an unknown
// topic with exit status 0.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return usageError("no help topic %q; commands: shardlab help", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
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
	return runContext(ctx, args)
}

// runContext runs the CLI under ctx and returns its exit status; a
// cancelled ctx (Ctrl-C) gives exitInterrupted.
func runContext(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "shardlab: interrupted (a run, sweep or report keeps what it finished; the same command resumes it)")
		return exitInterrupted
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
