package cmd

import (
	"context"
	"flag"
	"fmt"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/fsgofer/filter"
	"github.com/cocoon-sandbox/cocoon/fsgofer/server"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
)

// Gofer implements subcommands.Command for "gofer", the file server process
// that runsc starts (internal): it makes the served directory its root,
// drops the capabilities a file server does not need, and serves the
// directory on the socket until the sandbox closes it.
type Gofer struct {
	rootDir  string
	ioFD     int
	readOnly bool
}

// Name implements subcommands.Command.
func (*Gofer) Name() string { return "gofer" }

// Synopsis implements subcommands.Command.
func (*Gofer) Synopsis() string { return "launch a gofer process (internal use only)" }

// Usage implements subcommands.Command.
func (*Gofer) Usage() string {
	return "gofer --root-dir=DIR --io-fd=N [--read-only] - serves DIR to a sandbox (started by runsc)\n\n"
}

// SetFlags implements subcommands.Command.
func (g *Gofer) SetFlags(f *flag.FlagSet) {
	f.StringVar(&g.rootDir, "root-dir", "", "absolute host directory to serve as the container's root.")
	f.IntVar(&g.ioFD, "io-fd", -1, "connected SOCK_SEQPACKET socket to serve the file protocol on.")
	f.BoolVar(&g.readOnly, "read-only", false, "refuse every change to the served tree.")
}

// Execute implements subcommands.Command.
func (g *Gofer) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_ = confFrom(args)
	if f.NArg() != 0 || g.rootDir == "" || g.ioFD < 0 {
		return usageError("gofer: --root-dir and --io-fd are required, and no arguments")
	}
	// The served directory becomes the root; then only the capabilities
	// a file server acting as root needs remain (sandbox.GoferCapabilities).
	if err := sandbox.ConfineGofer(g.rootDir, g.readOnly); err != nil {
		return Failure(fmt.Errorf("gofer: %w", err))
	}
	// From here on only the file server's system calls are allowed
	// (fsgofer/filter), on every thread.
	if err := filter.Install(g.ioFD); err != nil {
		return Failure(fmt.Errorf("gofer: %w", err))
	}
	log.Debugf("serving %s (read-only %t) on fd %d", g.rootDir, g.readOnly, g.ioFD)
	if err := server.Serve(g.ioFD, "/", g.readOnly); err != nil {
		return Failure(fmt.Errorf("gofer: %w", err))
	}
	return subcommands.ExitSuccess
}
