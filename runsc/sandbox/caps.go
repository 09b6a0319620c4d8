package sandbox

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// GoferCapabilities are the only capabilities the gofer keeps once it is
// confined (DropGoferPrivileges). The sentry checks the application's
// permissions itself and asks the gofer to act as root over the served tree:
//
//   - CAP_CHOWN: new files, directories, symlinks and FIFOs are chowned to
//     the application's user and group; setattr changes owners.
//   - CAP_DAC_OVERRIDE: search, read, write, create, remove and rename
//     whatever the mode bits say (for directories it covers what
//     CAP_DAC_READ_SEARCH would).
//   - CAP_FOWNER: chmod, utimes and the like on files the gofer does not
//     own.
//   - CAP_FSETID: keep the set-group-ID bit that root would keep (chmod g+s
//     of a file whose group the gofer is not in).
//
// Not CAP_MKNOD: the gofer makes FIFOs and sockets only, which need none.
// Not CAP_DAC_READ_SEARCH: CAP_DAC_OVERRIDE already does all it would do
// here but link an O_PATH FD (linkat(AT_EMPTY_PATH)), which the server
// does by name in the parent instead; and it would let a subverted gofer
// call open_by_handle_at(2) and open any inode of a file system it serves,
// outside its root (the "shocker" escape). TestGoferActsAsRoot shows that
// each kept capability is needed and that these suffice.
var GoferCapabilities = []uintptr{
	unix.CAP_CHOWN,
	unix.CAP_DAC_OVERRIDE,
	unix.CAP_FOWNER,
	unix.CAP_FSETID,
}

// ConfineSentry is the sandbox process's confinement, run once the platform
// is up: Confine (empty root), then DropSentryPrivileges(caps), caps being
// what the platform's Requirements ask for (ptrace: CAP_SYS_PTRACE and
// CAP_KILL, to drive and kill stubs of another user). It is the Confine
// hook `runsc boot` gives boot.Run.
func ConfineSentry(caps []uintptr) error {
	if err := Confine(); err != nil {
		return err
	}
	return DropSentryPrivileges(caps)
}

// ConfineGofer is the gofer's confinement before it serves: SetupGoferRoot,
// then DropGoferPrivileges.
func ConfineGofer(dir string, readOnly bool) error {
	if err := SetupGoferRoot(dir, readOnly); err != nil {
		return err
	}
	return DropGoferPrivileges()
}

// DropSentryPrivileges leaves every thread of the calling process with
// caps only (see dropPrivileges).
func DropSentryPrivileges(caps []uintptr) error {
	if err := dropPrivileges(caps); err != nil {
		return fmt.Errorf("dropping sandbox privileges: %w", err)
	}
	return nil
}

// DropGoferPrivileges leaves every thread of the calling process with
// GoferCapabilities only (see dropPrivileges).
func DropGoferPrivileges() error {
	if err := dropPrivileges(GoferCapabilities); err != nil {
		return fmt.Errorf("dropping gofer privileges: %w", err)
	}
	return nil
}

// errNotAllThreads says the process cannot change the credentials of all of
// its threads at once: syscall.AllThreadsSyscall needs a binary without cgo
// (runsc is built with CGO_ENABLED=0).
var errNotAllThreads = errors.New("cannot change the capabilities of every thread (built with cgo?)")

// dropPrivileges leaves the calling process, on every one of its threads,
// with the capabilities in keep that it holds now as its effective and
// permitted sets, and nothing else:
//
//  1. the bounding set is emptied (the process never executes anything
//     again, and nothing it could execute may gain a capability); this
//     needs CAP_SETPCAP, so it comes first;
//  2. the ambient set is cleared;
//  3. effective and permitted become keep, inheritable empty (capset);
//  4. no_new_privs is set.
//
// Capabilities and no_new_privs are per thread, and capset(2) and prctl(2)
// change only the calling one, while the Go runtime has started several
// threads long before this runs. So each step runs on every thread through
// syscall.AllThreadsSyscall, which stops the world, runs the call on every
// thread the runtime knows, and makes threads started later inherit it. At
// the end the calling thread's sets are read back and checked.
//
// Preconditions: no thread was started outside the Go runtime (no cgo).
func dropPrivileges(keep []uintptr) error {
	var want uint64
	for _, c := range keep {
		want |= 1 << c
	}
	cur, err := readCaps()
	if err != nil {
		return err
	}
	// Keep only what the process holds: capset cannot add to the
	// permitted set.
	want &= cur.permitted

	// Every capability the kernel knows, whether the calling thread's
	// set holds it or not: the platform's factory thread emptied its own
	// set already, and dropping a dropped capability succeeds.
	last, err := lastCap()
	if err != nil {
		return err
	}
	for c := uintptr(0); c <= last; c++ {
		if err := allThreadsPrctl(unix.PR_CAPBSET_DROP, c, 0); err != nil {
			return fmt.Errorf("dropping bounding capability %d: %w", c, err)
		}
	}
	if err := allThreadsPrctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); err != nil && err != unix.EINVAL {
		// EINVAL: a kernel without ambient capabilities (before 4.3).
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	if err := allThreadsCapset(capSets{effective: want, permitted: want}); err != nil {
		return fmt.Errorf("setting capabilities: %w", err)
	}
	if err := allThreadsPrctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}

	got, err := readCaps()
	if err != nil {
		return err
	}
	if got != (capSets{effective: want, permitted: want}) {
		return fmt.Errorf("capabilities are %+v after the drop, want effective and permitted %#x only", got, want)
	}
	for c := uintptr(0); c <= last; c++ {
		if in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, c, 0, 0, 0); err != nil || in != 0 {
			return fmt.Errorf("bounding capability %d still there after the drop (%v)", c, err)
		}
	}
	return nil
}

// lastCap returns the highest capability number the kernel knows. It asks
// (PR_CAPBSET_READ fails with EINVAL past it) rather than reading
// /proc/sys/kernel/cap_last_cap: a confined sandbox has no /proc.
func lastCap() (uintptr, error) {
	for c := uintptr(0); c < 64; c++ {
		_, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, c, 0, 0, 0)
		if err == unix.EINVAL {
			if c == 0 {
				break
			}
			return c - 1, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading bounding capability %d: %w", c, err)
		}
	}
	return 0, errors.New("cannot find the last capability")
}

// capSets are a thread's effective, permitted and inheritable capability
// sets, one bit per capability.
type capSets struct {
	effective, permitted, inheritable uint64
}

// readCaps returns the calling thread's capability sets.
func readCaps() (capSets, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return capSets{}, fmt.Errorf("reading capabilities: %w", err)
	}
	join := func(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }
	return capSets{
		effective:   join(data[0].Effective, data[1].Effective),
		permitted:   join(data[0].Permitted, data[1].Permitted),
		inheritable: join(data[0].Inheritable, data[1].Inheritable),
	}, nil
}
