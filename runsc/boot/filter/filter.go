// Package filter is the sentry's seccomp allowlist: the host system calls
// that `runsc boot` may make once sandbox.ConfineSentry has moved it into
// an empty root with only the platform's capabilities.
//
// The list is reviewed data: every rule says why the sentry needs the
// call, and restricts the arguments where that is practical. It was
// derived from the sentry's host calls (sentry/pgalloc, sentry/fsimpl/host
// and gofer, fsgofer/client) and checked by running the syscall and
// end-to-end suites with the default action set to SECCOMP_RET_TRAP (the Go
// runtime prints the trapped call's stack). The platform's own host calls
// are not listed here: its constructor gives them
// (platform.Constructor.SeccompRules), with their reasons, and New adds
// them.
//
// Anything not listed kills the whole process: there is no execve, mount,
// open/openat (the sentry reaches host files only through FDs it was
// given), socket, connect or bind.
//
// Locking: none.
package filter

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// Rules returns the sentry's own allowlist, without the platform's rules,
// for the calling process (signals are allowed to its own PID only).
func Rules() []seccomp.SyscallRule {
	A := seccomp.Allow
	anyv := seccomp.Any
	eq := seccomp.EqualTo
	self := eq(uint64(os.Getpid()))
	return []seccomp.SyscallRule{
		// --- The Go runtime's signals and CPU set --------------------
		// Preemption (SIGURG) and signal forwarding to the runtime's
		// own threads (signalM: tgkill(getpid(), tid, sig)), and the
		// re-raise of a fatal signal on itself (raiseproc,
		// dieFromSignal: kill(getpid(), sig)): the sentry's own PID
		// only. A platform that signals other processes says so in
		// its rules.
		A(unix.SYS_TGKILL, self),
		A(unix.SYS_KILL, self),
		// sysmon re-reads the calling thread's CPU set (pid 0) to
		// re-derive GOMAXPROCS.
		A(unix.SYS_SCHED_GETAFFINITY, eq(0)),

		// membarrier(2) of the application: MEMBARRIER_CMD_GLOBAL only
		// (sentry/syscalls/linux/sys_membarrier.go).
		A(unix.SYS_MEMBARRIER, eq(1), eq(0)),

		// --- The memory file (sentry/pgalloc) and host FDs -----------
		// Mapping the memory file and donated file FDs into the
		// sentry, and unmapping them.
		A(unix.SYS_MMAP),
		// Growing the memory file and punching holes in it.
		A(unix.SYS_FTRUNCATE),
		A(unix.SYS_FALLOCATE, anyv, eq(unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE)),
		// I/O on donated FDs: stdio, gofer-opened files, eventfds.
		A(unix.SYS_READ),
		A(unix.SYS_WRITE),
		A(unix.SYS_PREAD64),
		A(unix.SYS_PWRITE64),
		A(unix.SYS_READV),
		A(unix.SYS_WRITEV),
		A(unix.SYS_LSEEK),
		A(unix.SYS_FSTAT),
		A(unix.SYS_FSYNC),
		A(unix.SYS_FDATASYNC),
		A(unix.SYS_FCHMOD),
		A(unix.SYS_POLL),
		A(unix.SYS_PPOLL),
		A(unix.SYS_CLOSE),
		// Waiting on host FDs (sentry/fsimpl/host/wait.go) and the
		// runtime's netpoller wake-up: always CLOEXEC|NONBLOCK.
		A(unix.SYS_EVENTFD2, anyv, eq(unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)),
		// Terminal ioctls on a host TTY given as stdio
		// (sentry/fsimpl/host): termios, window size, FIONREAD.
		A(unix.SYS_IOCTL, anyv, eq(unix.TCGETS)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TCSETS)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TCSETSW)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TCSETSF)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TIOCGWINSZ)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TIOCSWINSZ)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TIOCGPGRP)),
		A(unix.SYS_IOCTL, anyv, eq(unix.TIOCINQ)),
		// fcntl: status flags (SetNonblock) and FD flags only.
		A(unix.SYS_FCNTL, anyv, eq(unix.F_GETFL)),
		A(unix.SYS_FCNTL, anyv, eq(unix.F_SETFL)),
		A(unix.SYS_FCNTL, anyv, eq(unix.F_GETFD)),
		A(unix.SYS_FCNTL, anyv, eq(unix.F_SETFD)),
		// Duplicating a stdio FD (CLOEXEC) before it becomes a host file.
		A(unix.SYS_FCNTL, anyv, eq(unix.F_DUPFD_CLOEXEC)),
		// The file protocol with the gofer (fsgofer/client, proto).
		A(unix.SYS_SENDMSG),
		A(unix.SYS_RECVMSG),
		// The control server (runsc/control) accepts runsc's connections
		// on the listening socket the launcher made, and shuts them
		// down when the sandbox stops.
		A(unix.SYS_ACCEPT4, anyv, anyv, anyv, eq(unix.SOCK_CLOEXEC)),
		A(unix.SYS_SHUTDOWN, anyv, eq(unix.SHUT_RDWR)),
		// sysinfo(2) for the application's sysinfo and /proc/meminfo.
		A(unix.SYS_SYSINFO),
		// Random bytes for the application (getrandom, AT_RANDOM)
		// through crypto/rand; the vDSO falls back to the syscall.
		A(unix.SYS_GETRANDOM),
		// The rest of what the Go runtime needs is
		// seccomp.GoRuntimeRules; what the platform needs, its
		// constructor's SeccompRules.
	}
}

// New returns the sentry's whole filter: Rules, the platform's rules
// (platform.Constructor.SeccompRules of the platform the sentry runs) and
// the Go runtime's.
func New(platformRules []seccomp.SyscallRule) *seccomp.Filter {
	rules := append(Rules(), platformRules...)
	return &seccomp.Filter{
		Rules:   append(rules, seccomp.GoRuntimeRules()...),
		Default: seccomp.ActionKillProcess,
		BadArch: seccomp.ActionKillProcess,
	}
}

// Install loads the sentry's filter, with the platform's rules, on every
// thread (TSYNC).
//
// Preconditions: sandbox.ConfineSentry has run.
func Install(platformRules []seccomp.SyscallRule) error {
	prog, err := New(platformRules).Build()
	if err != nil {
		return fmt.Errorf("building sentry seccomp filter: %w", err)
	}
	if err := seccomp.InstallAllThreads(prog); err != nil {
		return fmt.Errorf("sentry seccomp filter: %w", err)
	}
	return nil
}
