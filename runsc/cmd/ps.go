package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Ps implements subcommands.Command for "ps": list a container's
// processes, as gVisor's `runsc ps` does.
type Ps struct {
	format string
}

// Name implements subcommands.Command.
func (*Ps) Name() string { return "ps" }

// Synopsis implements subcommands.Command.
func (*Ps) Synopsis() string { return "list the processes of a container" }

// Usage implements subcommands.Command.
func (*Ps) Usage() string {
	return "ps [--format table|json] <container id> - lists the container's processes, PIDs as the container sees them.\n\n"
}

// SetFlags implements subcommands.Command.
func (p *Ps) SetFlags(f *flag.FlagSet) {
	f.StringVar(&p.format, "format", "table", "output format: table or json.")
}

// Execute implements subcommands.Command.
func (p *Ps) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	if p.format != "table" && p.format != "json" {
		return usageError("--format %q: want table or json", p.format)
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	procs, err := c.Processes()
	if err != nil {
		return Failure(err)
	}
	if p.format == "json" {
		out, err := json.Marshal(procs)
		if err != nil {
			return Failure(err)
		}
		fmt.Fprintln(os.Stdout, string(out))
		return subcommands.ExitSuccess
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "UID\tPID\tPPID\tSTAT\tTIME\tCMD")
	for _, pr := range procs {
		fmt.Fprintf(w, "%d\t%d\t%d\t%s\t%s\t%s\n", pr.UID, pr.PID, pr.PPID, pr.State,
			time.Duration(pr.UserTimeNS).Round(time.Second), pr.Cmd)
	}
	if err := w.Flush(); err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}
