package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// List implements subcommands.Command for "list": the containers under
// --root, like `runc list`.
type List struct {
	format string
	quiet  bool
}

// Name implements subcommands.Command.
func (*List) Name() string { return "list" }

// Synopsis implements subcommands.Command.
func (*List) Synopsis() string { return "list the containers under --root" }

// Usage implements subcommands.Command.
func (*List) Usage() string {
	return "list [--format table|json] [--quiet] - lists the containers and their state.\n\n"
}

// SetFlags implements subcommands.Command.
func (l *List) SetFlags(f *flag.FlagSet) {
	f.StringVar(&l.format, "format", "table", "output format: table or json.")
	f.StringVar(&l.format, "f", "table", "shorthand for --format.")
	f.BoolVar(&l.quiet, "quiet", false, "print the IDs only.")
	f.BoolVar(&l.quiet, "q", false, "shorthand for --quiet.")
}

// Execute implements subcommands.Command.
func (l *List) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	if f.NArg() != 0 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	if l.format != "table" && l.format != "json" {
		return usageError("--format %q: want table or json", l.format)
	}
	root := confFrom(args).RootDir
	ids, err := container.List(root)
	if err != nil {
		return Failure(err)
	}
	if l.quiet {
		for _, id := range ids {
			fmt.Println(id)
		}
		return subcommands.ExitSuccess
	}
	states := []container.State{}
	for _, id := range ids {
		c, err := container.Load(root, id)
		if errors.Is(err, container.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return Failure(err)
		}
		states = append(states, c.OCIState())
	}
	if l.format == "json" {
		out, err := json.Marshal(states)
		if err != nil {
			return Failure(err)
		}
		fmt.Println(string(out))
		return subcommands.ExitSuccess
	}
	w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
	fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
	for _, s := range states {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
	}
	if err := w.Flush(); err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}
