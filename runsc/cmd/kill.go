package cmd

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Kill implements subcommands.Command for "kill": send a signal to a
// container's init, or with --all to all of its processes, like `runc kill`.
type Kill struct {
	all bool
	pid int
}

// Name implements subcommands.Command.
func (*Kill) Name() string { return "kill" }

// Synopsis implements subcommands.Command.
func (*Kill) Synopsis() string { return "send a signal to a container" }

// Usage implements subcommands.Command.
func (*Kill) Usage() string {
	return `kill [flags] <container id> [signal] - sends a signal (default SIGTERM) to the container's init.

The signal is a number or a name, with or without "SIG" (9, KILL, SIGKILL).
As for any PID 1, a signal the init does not handle is ignored, but for
SIGKILL and SIGSTOP.

`
}

// SetFlags implements subcommands.Command.
func (k *Kill) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&k.all, "all", false, "send the signal to every process of the container.")
	f.BoolVar(&k.all, "a", false, "shorthand for --all.")
	f.IntVar(&k.pid, "pid", 0, "send the signal to this process of the container (its PID inside) instead of the init.")
}

// Execute implements subcommands.Command.
func (k *Kill) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	if f.NArg() < 1 || f.NArg() > 2 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	sig := unix.SIGTERM
	if f.NArg() == 2 {
		var err error
		if sig, err = ParseSignal(f.Arg(1)); err != nil {
			return usageError("%v", err)
		}
	}
	c, err := container.Load(confFrom(args).RootDir, f.Arg(0))
	if err != nil {
		return Failure(err)
	}
	if k.pid != 0 {
		if k.all || k.pid < 0 {
			return usageError("--pid wants a positive PID, without --all")
		}
		err = c.SignalProcess(int32(k.pid), int(sig))
	} else {
		err = c.Signal(int(sig), k.all)
	}
	if err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}

// ParseSignal parses a signal given as a number (1 to 64) or a name with
// or without the "SIG" prefix, in any case.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("signal %d out of range 1-64", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}
