package cmd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/google/subcommands"

	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

// Syscalls implements subcommands.Command for "syscalls": it prints the
// sentry's system-call table, as gVisor's `runsc syscalls` does.
type Syscalls struct {
	all bool
}

// Name implements subcommands.Command.
func (*Syscalls) Name() string { return "syscalls" }

// Synopsis implements subcommands.Command.
func (*Syscalls) Synopsis() string { return "print the system calls the sandbox implements" }

// Usage implements subcommands.Command.
func (*Syscalls) Usage() string {
	return "syscalls [--all] - list the sentry's system calls: number, name and whether it is implemented\n\n"
}

// SetFlags implements subcommands.Command.
func (s *Syscalls) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&s.all, "all", false, "also list the known calls that answer ENOSYS.")
}

// Execute implements subcommands.Command.
func (s *Syscalls) Execute(context.Context, *flag.FlagSet, ...any) subcommands.ExitStatus {
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "NR\tNAME\tSTATUS")
	for nr, sc := range linuxsys.Table() {
		switch {
		case sc.Fn != nil:
			fmt.Fprintf(w, "%d\t%s\timplemented\n", nr, sc.Name)
		case sc.Name != "" && s.all:
			fmt.Fprintf(w, "%d\t%s\tENOSYS\n", nr, sc.Name)
		}
	}
	if err := w.Flush(); err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}
