package cmd

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Debug implements subcommands.Command for "debug", gVisor's command for
// looking into a running sandbox. It dumps the sandbox's goroutine stacks
// with --stacks; it talks to the sandbox over the control API, so it works
// even when the container's processes are wedged.
type Debug struct {
	stacks bool
}

// Name implements subcommands.Command.
func (*Debug) Name() string { return "debug" }

// Synopsis implements subcommands.Command.
func (*Debug) Synopsis() string { return "show the state of a running sandbox" }

// Usage implements subcommands.Command.
func (*Debug) Usage() string {
	return "debug [flags] <container id> - show the state of a running sandbox.\n\n"
}

// SetFlags implements subcommands.Command.
func (d *Debug) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&d.stacks, "stacks", false, "print the stacks of every goroutine of the sandbox process")
}

// Execute implements subcommands.Command.
func (d *Debug) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	if !d.stacks {
		report("debug: nothing asked for (try --stacks)")
		return subcommands.ExitUsageError
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	stacks, err := c.Stacks()
	if err != nil {
		return Failure(err)
	}
	fmt.Fprint(os.Stdout, stacks)
	return subcommands.ExitSuccess
}
