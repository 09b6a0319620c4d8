package seccomp

import "golang.org/x/sys/unix"

// GoRuntimeCloneFlags are the flags the Go runtime's newosproc passes to
// clone(2) for a new thread (runtime·clone adds CLONE_SETTLS). Allowing
// clone with exactly these allows new threads and nothing else: no fork,
// no new namespaces.
const GoRuntimeCloneFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES |
	unix.CLONE_SIGHAND | unix.CLONE_SYSVSEM | unix.CLONE_THREAD | unix.CLONE_SETTLS

// GoRuntimeRules are the system calls every running Go program (built with
// CGO_ENABLED=0) makes on its own, whatever its code does; each process's
// allowlist adds them to its own rules. Memory mapping, tgkill and
// sched_getaffinity are left to the process's list, which restricts them
// in its own way.
func GoRuntimeRules() []SyscallRule {
	return []SyscallRule{
		// Locks, parking and waking threads.
		Allow(unix.SYS_FUTEX),
		// New threads, with exactly the runtime's flags.
		Allow(unix.SYS_CLONE, EqualTo(GoRuntimeCloneFlags)),
		// Returning memory to the host.
		Allow(unix.SYS_MUNMAP),
		Allow(unix.SYS_MADVISE),
		// Signals: handlers, masks, the alternate stack, return from a
		// handler; getpid/gettid name the thread that asynchronous
		// preemption (SIGURG) and signal forwarding target.
		Allow(unix.SYS_RT_SIGACTION),
		Allow(unix.SYS_RT_SIGPROCMASK),
		Allow(unix.SYS_RT_SIGRETURN),
		Allow(unix.SYS_SIGALTSTACK),
		Allow(unix.SYS_GETPID),
		Allow(unix.SYS_GETTID),
		// Scheduling: sysmon sleeps, spinning threads yield; the time
		// when the vDSO is not used.
		Allow(unix.SYS_NANOSLEEP),
		Allow(unix.SYS_SCHED_YIELD),
		Allow(unix.SYS_CLOCK_GETTIME),
		// The kernel resumes a nanosleep, timed futex wait, poll or
		// ppoll interrupted by a handled signal (SIGURG preemption)
		// through restart_syscall(2).
		Allow(unix.SYS_RESTART_SYSCALL),
		// The netpoller (netpoll_epoll.go), started the first time a
		// timer or a pollable file needs it.
		Allow(unix.SYS_EPOLL_CREATE1),
		Allow(unix.SYS_EPOLL_CTL),
		Allow(unix.SYS_EPOLL_PWAIT),
		// Threads and the process end.
		Allow(unix.SYS_EXIT),
		Allow(unix.SYS_EXIT_GROUP),
	}
}
