package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// State implements subcommands.Command for "state": print a container's
// OCI state as JSON, like `runc state`.
type State struct{}

// Name implements subcommands.Command.
func (*State) Name() string { return "state" }

// Synopsis implements subcommands.Command.
func (*State) Synopsis() string { return "print the state of a container" }

// Usage implements subcommands.Command.
func (*State) Usage() string {
	return "state <container id> - prints the container's OCI state (status created, running or stopped) as JSON.\n\n"
}

// SetFlags implements subcommands.Command.
func (*State) SetFlags(*flag.FlagSet) {}

// Execute implements subcommands.Command.
func (*State) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	out, err := json.MarshalIndent(c.OCIState(), "", "  ")
	if err != nil {
		return Failure(fmt.Errorf("encoding state: %w", err))
	}
	fmt.Fprintln(os.Stdout, string(out))
	return subcommands.ExitSuccess
}
