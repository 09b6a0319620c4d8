package cmd

import (
	"context"
	"flag"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Create implements subcommands.Command for "create": build a container's
// sandbox from an OCI bundle up to its loaded init, and return, like
// `runc create`. The sandbox outlives this runsc; "start" runs the init.
type Create struct {
	createFlags
}

// Name implements subcommands.Command.
func (*Create) Name() string { return "create" }

// Synopsis implements subcommands.Command.
func (*Create) Synopsis() string { return "create a container from an OCI bundle, ready to start" }

// Usage implements subcommands.Command.
func (*Create) Usage() string {
	return `create [flags] <container id> - creates a container in a new sandbox.

runsc returns once the sandbox has loaded the container's process; "runsc
start" runs it, "runsc delete" removes it.

`
}

// SetFlags implements subcommands.Command.
func (c *Create) SetFlags(f *flag.FlagSet) { c.register(f) }

// Execute implements subcommands.Command.
func (c *Create) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	ca, err := c.createArgs(confFrom(args), id)
	if err != nil {
		return Failure(err)
	}
	if _, err := container.Create(ca); err != nil {
		return createFailure(err)
	}
	return subcommands.ExitSuccess
}
