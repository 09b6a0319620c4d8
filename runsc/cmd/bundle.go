package cmd

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/boot"
	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/container"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// createFlags are the flags create and run share, named as runc's.
type createFlags struct {
	bundle        string
	pidFile       string
	consoleSocket string
	preserveFDs   int
	noPivot       bool
}

func (c *createFlags) register(f *flag.FlagSet) {
	f.StringVar(&c.bundle, "bundle", ".", "path to the root of the bundle directory.")
	f.StringVar(&c.bundle, "b", ".", "shorthand for --bundle.")
	f.StringVar(&c.pidFile, "pid-file", "", "file to write the sandbox process's host PID to.")
	f.StringVar(&c.consoleSocket, "console-socket", "", "unix socket to send the master of the container's terminal to (process.terminal).")
	f.IntVar(&c.preserveFDs, "preserve-fds", 0, "pass N extra FDs (3 to 3+N-1) to the container; only 0 is supported yet.")
	f.BoolVar(&c.noPivot, "no-pivot", false, "accepted for runc compatibility: the sentry has no host root to pivot from.")
}

// createArgs reads the bundle and describes container id made from it:
// what create and run share.
func (c *createFlags) createArgs(conf *config.Config, id string) (*container.CreateArgs, error) {
	if c.preserveFDs != 0 {
		return nil, fmt.Errorf("--preserve-fds=%d: passing extra FDs is not supported yet", c.preserveFDs)
	}
	a, err := createArgs(conf, id, c.bundle, c.pidFile)
	if err != nil {
		return nil, err
	}
	if c.consoleSocket != "" {
		if a.ConsoleSocket, err = filepath.Abs(c.consoleSocket); err != nil {
			return nil, fmt.Errorf("--console-socket: %w", err)
		}
	}
	return a, nil
}

// createArgs reads the bundle at bundleFlag and describes container id
// made from it.
func createArgs(conf *config.Config, id, bundleFlag, pidFile string) (*container.CreateArgs, error) {
	if err := specutils.ValidateID(id); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(bundleFlag)
	if err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	spec, err := specutils.ReadSpec(bundle)
	if err != nil {
		return nil, err
	}
	rootfs, err := specutils.RootPath(bundle, spec)
	if err != nil {
		return nil, err
	}
	if err := specutils.CheckBindSources(bundle, spec); err != nil {
		return nil, err
	}
	if conf.OCISeccomp && spec.Linux != nil && spec.Linux.Seccomp != nil {
		// The sandbox compiles it again; a bad profile fails here,
		// before anything starts.
		if _, err := boot.CompileOCISeccomp(spec.Linux.Seccomp); err != nil {
			return nil, err
		}
	}
	if err := specutils.CheckNamespacePaths(spec); err != nil {
		return nil, err
	}
	return &container.CreateArgs{
		Conf:    conf,
		ID:      id,
		Bundle:  bundle,
		Spec:    spec,
		RootFS:  rootfs,
		PidFile: pidFile,
	}, nil
}

// createFailure reports a failed create or run: a container the sandbox
// could not build (a missing init binary) exits with the status a shell
// gives it (127, 126), anything else with ExitRuntimeError.
func createFailure(err error) subcommands.ExitStatus {
	var be *sandbox.BootError
	if errors.As(err, &be) && be.Status != 0 {
		report(be.Msg)
		return subcommands.ExitStatus(be.Status)
	}
	return Failure(err)
}

// oneID checks that f has exactly one argument, a container ID, and
// returns it.
func oneID(f *flag.FlagSet) (string, bool) {
	if f.NArg() != 1 {
		f.Usage()
		return "", false
	}
	return f.Arg(0), true
}
