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

// Wait implements subcommands.Command for "wait": wait for a container's
// init to exit and print its status, as gVisor's `runsc wait` does.
type Wait struct{}

// Name implements subcommands.Command.
func (*Wait) Name() string { return "wait" }

// Synopsis implements subcommands.Command.
func (*Wait) Synopsis() string { return "wait for a container to exit" }

// Usage implements subcommands.Command.
func (*Wait) Usage() string {
	return `wait <container id> - waits for the container's init to exit.

It prints {"id": ID, "exitStatus": N}, N as a shell reports it (128+S if
signal S killed it). A container that has already stopped answers at once.

`
}

// SetFlags implements subcommands.Command.
func (*Wait) SetFlags(*flag.FlagSet) {}

// waitResult is what wait prints, in gVisor's field names.
type waitResult struct {
	ID         string `json:"id"`
	ExitStatus int    `json:"exitStatus"`
}

// Execute implements subcommands.Command.
func (*Wait) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	status, err := c.Wait()
	if err != nil {
		return Failure(err)
	}
	out, err := json.Marshal(waitResult{ID: id, ExitStatus: status})
	if err != nil {
		return Failure(err)
	}
	fmt.Fprintln(os.Stdout, string(out))
	return subcommands.ExitSuccess
}
