package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Install sets no_new_privs and loads prog as a seccomp filter for the
// calling OS thread only (and threads it creates afterwards). The caller
// must hold its goroutine on the thread (runtime.LockOSThread) and should
// never unlock it, or the Go runtime may run other goroutines there.
func Install(prog []unix.SockFilter) error {
	return install(prog, 0)
}

// InstallAllThreads is Install for every thread of the process at once
// (SECCOMP_FILTER_FLAG_TSYNC), what a Go program normally wants.
func InstallAllThreads(prog []unix.SockFilter) error {
	return install(prog, unix.SECCOMP_FILTER_FLAG_TSYNC)
}

func install(prog []unix.SockFilter, flags uintptr) error {
	if len(prog) == 0 || len(prog) > maxInsns {
		return fmt.Errorf("installing seccomp filter: bad length %d", len(prog))
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	if err := setModeFilter(prog, flags); err != nil {
		return fmt.Errorf("installing seccomp filter: %w", err)
	}
	return nil
}
