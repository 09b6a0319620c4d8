package cmd

import (
	"context"
	"flag"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Run implements subcommands.Command for "run": create and start a
// container from an OCI bundle, wait for it and delete it, like `runc run`.
type Run struct {
	createFlags
	detach bool
}

// Name implements subcommands.Command.
func (*Run) Name() string { return "run" }

// Synopsis implements subcommands.Command.
func (*Run) Synopsis() string { return "create and run a container from an OCI bundle" }

// Usage implements subcommands.Command.
func (*Run) Usage() string {
	return `run [flags] <container id> - runs the bundle's process in a new sandbox.

runsc exits with the process's status (128+N if signal N killed it); the
container's state under --root is removed when it exits. With --detach,
runsc returns once the container runs, and "runsc delete" removes it.

`
}

// SetFlags implements subcommands.Command.
func (r *Run) SetFlags(f *flag.FlagSet) {
	r.register(f)
	f.BoolVar(&r.detach, "detach", false, "return once the container runs, leaving it running.")
	f.BoolVar(&r.detach, "d", false, "shorthand for --detach.")
}

// Execute implements subcommands.Command.
func (r *Run) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	ca, err := r.createArgs(confFrom(args), id)
	if err != nil {
		return Failure(err)
	}
	status, err := container.Run(&container.RunArgs{CreateArgs: *ca, Detach: r.detach})
	if err != nil {
		return createFailure(err)
	}
	return subcommands.ExitStatus(status)
}
