package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Spec implements subcommands.Command for "spec": write a template
// config.json, like `runc spec`.
type Spec struct {
	bundle   string
	rootless bool
}

// Name implements subcommands.Command.
func (*Spec) Name() string { return "spec" }

// Synopsis implements subcommands.Command.
func (*Spec) Synopsis() string { return "create a template config.json" }

// Usage implements subcommands.Command.
func (*Spec) Usage() string {
	return `spec [--bundle DIR] [--rootless] - writes DIR/config.json, a template to edit.

It runs "sh" in DIR/rootfs with a terminal, with the mounts and namespaces
every client asks for. An existing config.json is not overwritten.

`
}

// SetFlags implements subcommands.Command.
func (s *Spec) SetFlags(f *flag.FlagSet) {
	f.StringVar(&s.bundle, "bundle", ".", "directory to write config.json to.")
	f.StringVar(&s.bundle, "b", ".", "shorthand for --bundle.")
	f.BoolVar(&s.rootless, "rootless", false, "a template for a container run without root.")
}

// Execute implements subcommands.Command.
func (s *Spec) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() != 0 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	data, err := json.MarshalIndent(specutils.DefaultSpec(s.rootless), "", "\t")
	if err != nil {
		return Failure(err)
	}
	path := filepath.Join(s.bundle, "config.json")
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return Failure(fmt.Errorf("file %s exists; remove it first", path))
		}
		return Failure(err)
	}
	_, werr := out.Write(append(data, '\n'))
	if cerr := out.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return Failure(fmt.Errorf("writing %s: %w", path, werr))
	}
	return subcommands.ExitSuccess
}
