package cmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/platform"
	_ "github.com/cocoon-sandbox/cocoon/platform/platforms"
	"github.com/cocoon-sandbox/cocoon/runsc/boot"
	"github.com/cocoon-sandbox/cocoon/runsc/boot/filter"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Boot implements subcommands.Command for "boot", the sandbox process that
// runsc starts (internal): it reads the spec and hands over to boot.Run.
type Boot struct {
	goferFD      int
	specFD       int
	controllerFD int
	exitFD       int
	stdioFDs     string
	bindFDs      string
}

// Name implements subcommands.Command.
func (*Boot) Name() string { return "boot" }

// Synopsis implements subcommands.Command.
func (*Boot) Synopsis() string { return "launch a sandbox process (internal use only)" }

// Usage implements subcommands.Command.
func (*Boot) Usage() string {
	return "boot --gofer-fd=N --spec-fd=M --controller-fd=C [--exit-fd=E] [--stdio-fds=0,1,2] <container id> - runs the sentry (started by runsc)\n\n"
}

// SetFlags implements subcommands.Command.
func (b *Boot) SetFlags(f *flag.FlagSet) {
	f.IntVar(&b.goferFD, "gofer-fd", -1, "connected socket to the gofer serving the root.")
	f.IntVar(&b.specFD, "spec-fd", -1, "file holding the container's OCI spec as JSON, read from its current offset.")
	f.IntVar(&b.controllerFD, "controller-fd", -1, "listening socket to serve the control API on.")
	f.IntVar(&b.exitFD, "exit-fd", -1, "file receiving the root container's exit record.")
	f.StringVar(&b.stdioFDs, "stdio-fds", "0,1,2", "the container's stdin, stdout and stderr.")
	f.StringVar(&b.bindFDs, "bind-fds", "", "connected sockets to the gofer, one per bind mount of the spec, in spec order.")
}

// Execute implements subcommands.Command.
func (b *Boot) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf := confFrom(args)
	if f.NArg() != 1 || b.goferFD < 0 || b.specFD < 0 || b.controllerFD < 0 {
		return usageError("boot: --gofer-fd, --spec-fd, --controller-fd and a container ID are required")
	}
	stdio, err := parseStdioFDs(b.stdioFDs)
	if err != nil {
		return usageError("boot: %v", err)
	}
	bindFDs, err := parseFDList(b.bindFDs)
	if err != nil {
		return usageError("boot: --bind-fds: %v", err)
	}
	plat, err := platform.Lookup(conf.Platform)
	if err != nil {
		return usageError("boot: --platform: %v", err)
	}
	specFile := os.NewFile(uintptr(b.specFD), "spec")
	data, err := io.ReadAll(specFile)
	specFile.Close()
	if err != nil {
		return Failure(fmt.Errorf("reading spec: %w", err))
	}
	spec, err := specutils.ParseSpec(data)
	if err != nil {
		return Failure(fmt.Errorf("spec: %w", err))
	}
	return subcommands.ExitStatus(boot.Run(&boot.Args{
		ContainerID:  f.Arg(0),
		Spec:         spec,
		GoferFD:      b.goferFD,
		BindFDs:      bindFDs,
		ControllerFD: b.controllerFD,
		ExitStatusFD: b.exitFD,
		Stdio:        stdio,
		Platform:     plat,
		PlatformName: conf.Platform,
		// An empty root, then only the capabilities that drive the
		// stubs (CAP_SYS_PTRACE, CAP_KILL) and no_new_privs, then
		// the seccomp allowlist with the platform's rules.
		Confine: func() error { return confineSentry(plat) },
		Debug:   conf.Debug,

		SharedFileAccess: conf.FileAccess == "shared",
		OCISeccomp:       conf.OCISeccomp,
	}))
}

// confineSentry is sandbox.ConfineSentry, then the sentry's seccomp
// allowlist (runsc/boot/filter) with the platform's rules on every thread.
func confineSentry(plat platform.Constructor) error {
	if err := sandbox.ConfineSentry(plat.Requirements().Capabilities); err != nil {
		return err
	}
	return filter.Install(plat.SeccompRules())
}

// parseStdioFDs parses "0,1,2".
func parseStdioFDs(s string) ([3]int, error) {
	var fds [3]int
	list, err := parseFDList(s)
	if err != nil || len(list) != 3 {
		return fds, fmt.Errorf("--stdio-fds=%q: want three FDs", s)
	}
	copy(fds[:], list)
	return fds, nil
}

// parseFDList parses a comma-separated list of FDs ("" is none).
func parseFDList(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var fds []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not an FD", p)
		}
		fds = append(fds, n)
	}
	return fds, nil
}
