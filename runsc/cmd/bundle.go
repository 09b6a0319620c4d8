package cmd

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/container"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// createArgs reads the bundle at bundleFlag and describes container id
// made from it: what create and run share.
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
	if spec.Process.Terminal {
		log.Warningf("process.terminal=true: no console yet, the container uses runsc's stdio as it is")
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
