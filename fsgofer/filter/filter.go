// Package filter is the gofer's seccomp allowlist: the host system calls
// that `runsc gofer` may make once it has confined itself (its root is the
// served tree, it holds only sandbox.GoferCapabilities) and starts serving.
//
// The list is reviewed data: every rule says why the gofer needs the call,
// and restricts the arguments where that is practical. It was derived from
// the server's code (fsgofer/server, fsgofer/proto) and checked by running
// the unit, syscall and end-to-end suites with the default action set to
// SECCOMP_RET_TRAP (the Go runtime prints the trapped call's stack), and by
// strace of a child that stresses the Go runtime under the filter
// (TestRuntimeSurvives). No call is answered with an errno: nothing the
// runtime probes needed one.
//
// Anything not listed kills the whole process (SECCOMP_RET_KILL_PROCESS):
// there is no execve, ptrace, mount, socket, connect, bind, clone3 or
// open_by_handle_at; a subverted gofer dies rather than reach them.
//
// Locking: none; Rules builds a fresh value, Install acts on the calling
// process.
package filter

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// low32 matches the low 32 bits of an argument the caller passed as a C
// int: the upper half of the register is not defined for it.
func low32(v uint64) seccomp.Arg { return seccomp.MaskedEqual(0xffffffff, v) }

// Rules returns the gofer's allowlist for serving on the connected sockets
// sockFDs (the root's, then one per bind mount). Order within one number
// matters only for readability: any matching form allows.
func Rules(sockFDs ...int) []seccomp.SyscallRule {
	A := seccomp.Allow
	anyv := seccomp.Any
	eq := seccomp.EqualTo
	var rules []seccomp.SyscallRule
	for _, fd := range sockFDs {
		sock := low32(uint64(fd))
		rules = append(rules,
			// --- The file protocol (fsgofer/proto) ---------------
			// Requests and their FDs arrive only on the sockets
			// runsc gave us, with MSG_CMSG_CLOEXEC (proto.Recv);
			// replies and donated FDs leave on them with
			// MSG_NOSIGNAL (proto.Send). No other socket may be
			// used, and none created.
			A(unix.SYS_RECVMSG, sock, anyv, eq(unix.MSG_CMSG_CLOEXEC)),
			A(unix.SYS_SENDMSG, sock, anyv, eq(unix.MSG_NOSIGNAL)),
			// Requests are served by several worker threads at
			// once, each blocked in recvmsg when idle: a worker
			// that fails for good shuts its socket down (both ways
			// only) to wake the others.
			A(unix.SYS_SHUTDOWN, sock, eq(unix.SHUT_RDWR)),
		)
	}
	return append(rules, []seccomp.SyscallRule{
		// --- The served tree (fsgofer/server) ------------------------
		// Walk, open and create resolve one name at a time relative
		// to a directory FD (node.openat); Serve opens the root
		// (unix.Open is openat(AT_FDCWD)).
		A(unix.SYS_OPENAT),
		// Stat and walk: fstat on held FDs, fstatat on names.
		A(unix.SYS_FSTAT),
		A(unix.SYS_NEWFSTATAT),
		// StatFS.
		A(unix.SYS_FSTATFS),
		// Getdents: read a directory and seek back to a cookie.
		A(unix.SYS_GETDENTS64),
		A(unix.SYS_LSEEK),
		// Readlink.
		A(unix.SYS_READLINKAT),
		// Create, Mkdir, Mknod (FIFOs and sockets only: CAP_MKNOD is
		// dropped), Symlink, Link, Unlink/Rmdir, Rename.
		A(unix.SYS_MKDIRAT),
		A(unix.SYS_MKNODAT),
		A(unix.SYS_SYMLINKAT),
		A(unix.SYS_LINKAT),
		A(unix.SYS_UNLINKAT),
		A(unix.SYS_RENAMEAT),
		// SetAttr and new files: owners, modes, times, size.
		A(unix.SYS_FCHOWN),
		A(unix.SYS_FCHOWNAT),
		A(unix.SYS_FCHMOD),
		A(unix.SYS_FCHMODAT),
		// unix.Fchmodat with flags (AT_EMPTY_PATH on an O_PATH FD,
		// ops_open.go chmod) is fchmodat2(2).
		A(unix.SYS_FCHMODAT2),
		A(unix.SYS_UTIMENSAT),
		A(unix.SYS_FTRUNCATE),
		// Every FD the server opened and no longer needs (sent FDs
		// are closed after the peer holds its copy).
		A(unix.SYS_CLOSE),
		// fcntl: reading and setting the status flags
		// (unix.SetNonblock on the socket; node.go sets O_APPEND on a
		// donated FD), and F_DUPFD_CLOEXEC, with which each open of a
		// file bind mount's root duplicates its I/O descriptor
		// (ServeFile). Not F_DUPFD, F_SETOWN, F_SETLEASE, locks.
		A(unix.SYS_FCNTL, anyv, eq(unix.F_GETFL)),
		A(unix.SYS_FCNTL, anyv, eq(unix.F_SETFL)),
		A(unix.SYS_FCNTL, anyv, eq(unix.F_DUPFD_CLOEXEC)),
		// Serve sets the umask to 0 and reads its own IDs once.
		A(unix.SYS_UMASK),
		A(unix.SYS_GETEUID),
		A(unix.SYS_GETEGID),
		// The debug log (runsc/log) and the runtime's crash output.
		A(unix.SYS_WRITE),

		// --- The Go runtime, beyond seccomp.GoRuntimeRules ----------
		// The heap: anonymous private mappings only (the gofer never
		// maps a file).
		A(unix.SYS_MMAP, anyv, anyv, anyv, seccomp.MaskedEqual(unix.MAP_ANONYMOUS|unix.MAP_SHARED|unix.MAP_PRIVATE, unix.MAP_ANONYMOUS|unix.MAP_PRIVATE)),
		// Asynchronous preemption (SIGURG) and signal forwarding
		// between threads (runtime.signalM, raise).
		A(unix.SYS_TGKILL),
		// sysmon re-derives GOMAXPROCS (Go 1.25+): the CPUs this
		// process may run on, and the cgroup CPU limit re-read with
		// pread from files the runtime opened at start-up
		// (internal/runtime/cgroup).
		A(unix.SYS_SCHED_GETAFFINITY, eq(0)),
		A(unix.SYS_PREAD64),
		// The netpoller's wake-up eventfd, and draining it.
		A(unix.SYS_EVENTFD2),
		A(unix.SYS_READ),
	}...)
}

// New returns the gofer's whole filter: Rules and the Go runtime's,
// killing the process on anything else or on a foreign calling
// convention.
func New(sockFDs ...int) *seccomp.Filter {
	return &seccomp.Filter{
		Rules:   append(Rules(sockFDs...), seccomp.GoRuntimeRules()...),
		Default: seccomp.ActionKillProcess,
		BadArch: seccomp.ActionKillProcess,
	}
}

// Install loads the gofer's filter on every thread of the process
// (SECCOMP_FILTER_FLAG_TSYNC).
//
// Preconditions: the gofer has confined itself (sandbox.ConfineGofer) and
// is about to serve sockFDs; nothing after this may need a call not listed.
func Install(sockFDs ...int) error {
	prog, err := New(sockFDs...).Build()
	if err != nil {
		return fmt.Errorf("building gofer seccomp filter: %w", err)
	}
	if err := seccomp.InstallAllThreads(prog); err != nil {
		return fmt.Errorf("gofer seccomp filter: %w", err)
	}
	return nil
}
