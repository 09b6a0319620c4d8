package cmd

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Run implements subcommands.Command for "run": create and run a container
// from an OCI bundle, wait for it, and remove it, like `runc run`.
type Run struct {
	bundle  string
	pidFile string
}

// Name implements subcommands.Command.
func (*Run) Name() string { return "run" }

// Synopsis implements subcommands.Command.
func (*Run) Synopsis() string { return "create and run a container from an OCI bundle" }

// Usage implements subcommands.Command.
func (*Run) Usage() string {
	return `run [flags] <container id> - runs the bundle's process in a new sandbox.

runsc exits with the process's status (128+N if signal N killed it); the
container's state under --root is removed when it exits.

`
}

// SetFlags implements subcommands.Command.
func (r *Run) SetFlags(f *flag.FlagSet) {
	f.StringVar(&r.bundle, "bundle", ".", "path to the root of the bundle directory.")
	f.StringVar(&r.pidFile, "pid-file", "", "file to write the sandbox process's host PID to.")
}

// Execute implements subcommands.Command.
func (r *Run) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf := confFrom(args)
	if f.NArg() != 1 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	id := f.Arg(0)
	if err := specutils.ValidateID(id); err != nil {
		return Failure(err)
	}
	bundle, err := filepath.Abs(r.bundle)
	if err != nil {
		return Failure(fmt.Errorf("--bundle: %w", err))
	}
	spec, err := specutils.ReadSpec(bundle)
	if err != nil {
		return Failure(err)
	}
	rootfs, err := specutils.RootPath(bundle, spec)
	if err != nil {
		return Failure(err)
	}
	if spec.Process.Terminal {
		log.Warningf("process.terminal=true: no console yet, the container uses runsc's stdio as it is")
	}
	status, err := container.Run(&container.RunArgs{
		Conf:    conf,
		ID:      id,
		Bundle:  bundle,
		Spec:    spec,
		RootFS:  rootfs,
		PidFile: r.pidFile,
	})
	if err != nil {
		return Failure(err)
	}
	return subcommands.ExitStatus(status)
}
