package cmd

import (
	"context"
	"errors"
	"flag"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Delete implements subcommands.Command for "delete": remove containers,
// their sandboxes and their state, like `runc delete`.
type Delete struct {
	force bool
}

// Name implements subcommands.Command.
func (*Delete) Name() string { return "delete" }

// Synopsis implements subcommands.Command.
func (*Delete) Synopsis() string { return "delete containers and their state" }

// Usage implements subcommands.Command.
func (*Delete) Usage() string {
	return `delete [flags] <container id>... - deletes stopped or created containers.

A running container is deleted only with --force, which kills it first;
--force also ignores IDs that do not exist.

`
}

// SetFlags implements subcommands.Command.
func (d *Delete) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&d.force, "force", false, "kill a running container first; ignore missing ones.")
	f.BoolVar(&d.force, "f", false, "shorthand for --force.")
}

// Execute implements subcommands.Command.
func (d *Delete) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	if f.NArg() == 0 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	conf := confFrom(args)
	status := subcommands.ExitSuccess
	for _, id := range f.Args() {
		c, err := container.Load(conf.RootDir, id)
		if err == nil {
			err = c.Delete(d.force)
		}
		if err != nil && !(d.force && errors.Is(err, container.ErrNotExist)) {
			status = Failure(err)
		}
	}
	return status
}
