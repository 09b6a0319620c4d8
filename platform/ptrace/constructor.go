package ptrace

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// Name is the ptrace platform's --platform name.
const Name = "ptrace"

func init() { platform.Register(Name, Constructor{}) }

// Constructor is the ptrace platform's platform.Constructor.
type Constructor struct{}

// Requirements implements platform.Constructor.
func (Constructor) Requirements() platform.Requirements {
	return platform.Requirements{
		// Stubs run as nobody and are not dumpable (privileges.go),
		// so the sentry, still uid 0 after it confined itself, needs:
		//   - CAP_SYS_PTRACE: to seize and drive a stub of another
		//     user that is not dumpable (ptrace_may_access() in
		//     kernel/ptrace.c), and to take a socket end out of it
		//     (pidfd_getfd, fdpass.go); also what lets it trace
		//     under Yama ptrace_scope 1 or 2.
		//   - CAP_KILL: to signal a process of another user:
		//     tgkill(SIGSTOP) for Interrupt, kill(SIGKILL) when an
		//     address space or the platform is released.
		Capabilities: []uintptr{unix.CAP_KILL, unix.CAP_SYS_PTRACE},
		// SeccompRules let the sentry ptrace, wait for, stop and kill
		// any PID: its own PID namespace holds only the sandbox.
		PIDNamespace: true,
	}
}

// SeccompRules implements platform.Constructor: the host system calls the
// platform makes once the sentry is confined (sentryRules).
func (Constructor) SeccompRules() []seccomp.SyscallRule { return sentryRules() }

var errDevices = errors.New("the ptrace platform takes no devices")

// New implements platform.Constructor.
func (Constructor) New(opts platform.Options) (platform.Platform, error) {
	if len(opts.Devices) != 0 {
		for _, d := range opts.Devices {
			d.Close()
		}
		return nil, errDevices
	}
	p, err := New(opts.MemoryFileFD)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return p, nil
}
