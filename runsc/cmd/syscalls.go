package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/google/subcommands"

	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

// Syscalls implements subcommands.Command for "syscalls": it prints the
// sentry's system-call table, number by number, with how complete each call
// is and what is missing, as gVisor's `runsc syscalls` does.
type Syscalls struct {
	format string
	all    bool
}

// Name implements subcommands.Command.
func (*Syscalls) Name() string { return "syscalls" }

// Synopsis implements subcommands.Command.
func (*Syscalls) Synopsis() string { return "print the system calls the sandbox implements" }

// Usage implements subcommands.Command.
func (*Syscalls) Usage() string {
	return `syscalls [--format=table|json] [--all] - list the sentry's system calls by number:
name, support (supported, partial, unsupported) and a note saying what is missing or why

`
}

// SetFlags implements subcommands.Command.
func (s *Syscalls) SetFlags(f *flag.FlagSet) {
	f.StringVar(&s.format, "format", "table", "output format: table or json.")
	f.BoolVar(&s.all, "all", false, "also list the known calls that answer ENOSYS, with why.")
}

// Execute implements subcommands.Command.
func (s *Syscalls) Execute(context.Context, *flag.FlagSet, ...any) subcommands.ExitStatus {
	if s.format != "table" && s.format != "json" {
		return usageError("syscalls: unknown --format %q (table or json)", s.format)
	}
	if err := s.write(os.Stdout); err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}

// write prints the table's entries (the implemented ones unless --all) in
// the chosen format.
func (s *Syscalls) write(w io.Writer) error {
	var entries []linuxsys.Entry
	for _, e := range linuxsys.Entries() {
		if s.all || e.Support != linuxsys.Unsupported {
			entries = append(entries, e)
		}
	}
	if s.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NUM\tNAME\tSUPPORT\tNOTE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", e.Number, e.Name, e.Support, e.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Rows without a note would end in the padding of the column before.
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " ")); err != nil {
			return err
		}
	}
	return nil
}
