package cmd

import (
	"context"
	"flag"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Start implements subcommands.Command for "start": run a created
// container's process, like `runc start`.
type Start struct{}

// Name implements subcommands.Command.
func (*Start) Name() string { return "start" }

// Synopsis implements subcommands.Command.
func (*Start) Synopsis() string { return "start a created container" }

// Usage implements subcommands.Command.
func (*Start) Usage() string {
	return "start <container id> - starts the process of a container made by \"runsc create\".\n\n"
}

// SetFlags implements subcommands.Command.
func (*Start) SetFlags(*flag.FlagSet) {}

// Execute implements subcommands.Command.
func (*Start) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	if err := c.Start(); err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}
