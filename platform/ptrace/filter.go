package ptrace

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// stubCloneFlags are the flags of the fork injected into the template stub:
// CLONE_PARENT makes the new stub the sentry's child (so the sentry reaps it)
// and SIGCHLD is its exit signal.
const stubCloneFlags = unix.CLONE_PARENT | uint64(unix.SIGCHLD)

// stubThreadFlags are the flags of the clone injected into a stub's
// leader to make one more stub thread, for one more application thread:
// the new thread shares everything, runs the same child path and waits
// in pause until its context's thread seizes it.
const stubThreadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM

// stubFilter is the seccomp policy of every stub. Application system calls
// never reach it (PTRACE_SYSEMU stops them before seccomp runs); it limits
// what the stub itself executes, which is also all an application could do
// if it ever ran a system call without being intercepted. Anything else
// kills the whole stub process.
func stubFilter() *seccomp.Filter {
	anyArg := seccomp.Any
	eq := seccomp.EqualTo
	return &seccomp.Filter{
		Rules: append(vsyscallRules(), []seccomp.SyscallRule{
			// MapFile: always shared and at a fixed address; prot,
			// address, length, offset and the FD vary. The FD is the
			// memory file, or a file just passed in (fdpass.go):
			// a stub holds no other file but its socket, which
			// cannot be mapped (factory.go closes what the exec
			// inherited).
			seccomp.Allow(unix.SYS_MMAP, anyArg, anyArg, anyArg, eq(unix.MAP_SHARED|unix.MAP_FIXED)),
			// The tracer's scratch page for passing FDs
			// (fdpass.go): one private read-write page at exactly
			// scratchAddr, never executable.
			seccomp.Allow(unix.SYS_MMAP, eq(scratchAddr), eq(linux.PageSize), eq(unix.PROT_READ|unix.PROT_WRITE),
				eq(unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED)),
			// The stub's private socket for passed FDs: a unix
			// socket pair (whose other end the sentry takes), and
			// receiving one FD at a time from it.
			seccomp.Allow(unix.SYS_SOCKETPAIR, eq(unix.AF_UNIX), eq(unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC), eq(0)),
			seccomp.Allow(unix.SYS_RECVMSG, eq(stubSockFD), anyArg, eq(unix.MSG_CMSG_CLOEXEC)),
			// Closing the socket's other end, and a passed FD once
			// it is mapped.
			seccomp.Allow(unix.SYS_CLOSE),
			// Unmap.
			seccomp.Allow(unix.SYS_MUNMAP),
			// Permission changes on mapped ranges (reserved for
			// AddressSpace implementations that change protections in
			// place; harmless: it cannot create mappings).
			seccomp.Allow(unix.SYS_MPROTECT),
			// NewAddressSpace: the fork injected into the template,
			// exact flags, no new stack.
			seccomp.Allow(unix.SYS_CLONE, eq(stubCloneFlags), eq(0)),
			seccomp.Allow(unix.SYS_CLONE, eq(stubThreadFlags), eq(0)),
			// The fresh child ties its life to the sentry...
			seccomp.Allow(unix.SYS_PRCTL, eq(unix.PR_SET_PDEATHSIG), eq(uint64(unix.SIGKILL))),
			// ...checks that the sentry did not die before that...
			seccomp.Allow(unix.SYS_GETPPID),
			// ...and waits to be seized.
			seccomp.Allow(unix.SYS_PAUSE),
			// Pinning to the tracer's CPU (affinity.go): itself
			// only, an 8-byte set from the stub's mask table.
			seccomp.Allow(unix.SYS_SCHED_SETAFFINITY, eq(0), eq(8)),
			// The template drops the FDs its exec inherited, all
			// but the memory file (factory.go).
			seccomp.Allow(unix.SYS_CLOSE_RANGE, eq(stubMemFD+1), eq(math.MaxUint32), eq(0)),
			// The failure path.
			seccomp.Allow(unix.SYS_EXIT),
			seccomp.Allow(unix.SYS_EXIT_GROUP),
		}...),
		Default: seccomp.ActionKillProcess,
		BadArch: seccomp.ActionKillProcess,
	}
}

// sentryRules are the host system calls that the platform makes from the
// sentry once it is confined; the sentry's filter (runsc/boot/filter) adds
// them to its own. Signals and waits are not limited by PID: the sandbox's
// own PID namespace (Requirements.PIDNamespace) holds only the sentry and
// its stubs.
func sentryRules() []seccomp.SyscallRule {
	anyArg := seccomp.Any
	eq := seccomp.EqualTo
	return []seccomp.SyscallRule{
		// Seizing, stopping, resuming and reading/writing the
		// registers of stubs, and injecting system calls into them.
		seccomp.Allow(unix.SYS_PTRACE),
		// Reaping stop and exit events of stubs.
		seccomp.Allow(unix.SYS_WAIT4),
		seccomp.Allow(unix.SYS_WAITID),
		// Interrupt: SIGSTOP to a stub thread.
		seccomp.Allow(unix.SYS_TGKILL, anyArg, anyArg, eq(uint64(interruptSignal))),
		// Release: SIGKILL to a stub or the template.
		seccomp.Allow(unix.SYS_KILL, anyArg, eq(uint64(unix.SIGKILL))),
		// Pinning a tracer thread to the CPU of its stub
		// (affinity.go): only the calling thread (pid 0).
		seccomp.Allow(unix.SYS_SCHED_SETAFFINITY, eq(0)),
		// Passing a host FD into a stub (fdpass.go): taking the
		// sentry's end of the stub's private socket out of the stub...
		seccomp.Allow(unix.SYS_PIDFD_OPEN, anyArg, eq(0)),
		seccomp.Allow(unix.SYS_PIDFD_GETFD, anyArg, anyArg, eq(0)),
		// ...sending files over it, and closing the pidfd, the
		// socket and the files sent.
		seccomp.Allow(unix.SYS_SENDMSG, anyArg, anyArg, eq(0)),
		seccomp.Allow(unix.SYS_CLOSE),
		// A MapFile of another file, queued for the tracer, holds a
		// duplicate of the caller's FD until it is applied.
		seccomp.Allow(unix.SYS_FCNTL, anyArg, eq(unix.F_DUPFD_CLOEXEC)),
		// New reads its own capabilities and user (privileges.go).
		seccomp.Allow(unix.SYS_CAPGET),
		seccomp.Allow(unix.SYS_GETEUID),
	}
}
