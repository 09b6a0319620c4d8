package ptrace

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Stub privileges. A stub runs application code; if that code ever escapes
// interception it must find nothing to use: no capabilities, an owner that
// owns nothing on the host, and no way for another host process of that
// owner to attach to it.
const (
	// stubUID and stubGID are nobody and nogroup. setuid from root to a
	// non-zero UID clears the permitted and effective capability sets, and
	// an exec by a non-root user grants none.
	stubUID = 65534
	stubGID = 65534

	// stubExecMode is the mode of the memfd the template is executed
	// from: execute-only. The exec runs as stubUID, which cannot read the
	// file, so the kernel makes the stub non-dumpable (would_dump() in
	// fs/exec.c) and its clones inherit that: a host process running as
	// nobody cannot ptrace a stub or open its /proc files; only a tracer
	// with CAP_SYS_PTRACE (the sentry) can.
	stubExecMode = 0o111
)

// stubCredential prepares the calling thread to execute the template stub
// without privileges and returns the credential to execute it with (nil: as
// the caller).
//
//   - A caller that is root or holds any capability executes the stub as
//     stubUID/stubGID with no supplementary groups. First it empties its own
//     thread's capability bounding set (the child inherits it), so the stub's
//     bounding set is empty too; that needs CAP_SETPCAP.
//   - A caller without privileges (non-root, no capabilities) has nothing to
//     shed: the stub runs as the caller.
//
// Preconditions: the caller is the factory goroutine, locked to its OS
// thread for good. The bounding set is per thread; the factory never
// unlocks its thread (the runtime ends it), and the Go runtime never clones
// new threads from a locked thread, so no other goroutine ever runs with the
// emptied set.
func stubCredential() (*syscall.Credential, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil, fmt.Errorf("reading capabilities: %w", err)
	}
	privileged := unix.Geteuid() == 0
	for _, d := range data {
		privileged = privileged || d.Effective != 0 || d.Permitted != 0
	}
	if !privileged {
		return nil, nil
	}
	if err := clearThreadBoundingSet(); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: stubUID, Gid: stubGID, Groups: []uint32{}}, nil
}

// clearThreadBoundingSet drops every capability the kernel knows from the
// calling thread's bounding set. The last capability is found by asking
// (PR_CAPBSET_READ fails with EINVAL past it), not from /proc.
func clearThreadBoundingSet() error {
	for c := 0; ; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err == unix.EINVAL {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading bounding capability %d: %w", c, err)
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping bounding capability %d for the stub: %w", c, err)
		}
	}
}
