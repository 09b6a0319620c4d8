package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// emptyRootCandidates are directories over which Confine mounts the tmpfs
// that becomes the sandbox's root. The mount lives only in the sandbox's own
// mount namespace, so the host directory is merely hidden, never changed.
var emptyRootCandidates = []string{"/tmp", "/mnt", "/proc"}

// Confine moves the calling process (the sandbox, in its own mount
// namespace) into an empty, read-only root: afterwards no host path is
// reachable and /proc/<pid>/root on the host shows an empty directory. Like
// gVisor's setUpChroot, it mounts a small tmpfs, pivots into it and detaches
// the old root.
//
// Preconditions: the process is alone in a mount namespace it may change
// (CLONE_NEWNS) and has CAP_SYS_ADMIN; everything it still needs from the
// host is already open.
func Confine() error {
	// Nothing done below may propagate to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	dir, err := firstDir(emptyRootCandidates)
	if err != nil {
		return err
	}
	if err := unix.Mount("runsc-root", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=16k,nr_inodes=16,mode=0555"); err != nil {
		return fmt.Errorf("mounting empty root at %s: %w", dir, err)
	}
	if err := pivotRoot(dir); err != nil {
		return err
	}
	if err := unix.Mount("runsc-root", "/", "tmpfs", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("remounting empty root read-only: %w", err)
	}
	return nil
}

// SetupGoferRoot makes dir the root of the calling process (the gofer, in
// its own mount namespace): dir is bind-mounted onto itself with everything
// under it, made read-only when readOnly, and pivoted into. The host file
// system outside dir is unreachable afterwards.
//
// When dir is "/" (runsc do) there is nothing outside it to hide, and a
// mount stacked on "/" cannot be pivoted into (a path lookup of "/" never
// crosses onto it); the root stays as it is, made read-only when readOnly.
// All of this happens on the gofer's private copy of the mounts only.
//
// Preconditions: as for Confine.
func SetupGoferRoot(dir string, readOnly bool) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if filepath.Clean(dir) == "/" {
		if readOnly {
			if err := makeReadOnly("/"); err != nil {
				return err
			}
		}
		return unix.Chdir("/")
	}
	if err := unix.Mount(dir, dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting root %s: %w", dir, err)
	}
	if readOnly {
		if err := makeReadOnly(dir); err != nil {
			return err
		}
	}
	return pivotRoot(dir)
}

// makeReadOnly makes the mount at dir and every mount under it read-only.
// This is defence in depth: the gofer server refuses writes itself in
// read-only mode. So a mount that cannot be made read-only because a file
// on it is open for writing (EBUSY) is logged, not fatal.
func makeReadOnly(dir string) error {
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err := unix.MountSetattr(unix.AT_FDCWD, dir, unix.AT_RECURSIVE, attr)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EBUSY) {
		log.Warningf("cannot make %s read-only (%v); the gofer refuses writes itself", dir, err)
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("making %s read-only: %w", dir, err)
	}
	// Before Linux 5.12: the top mount only; the gofer server refuses
	// writes itself in read-only mode.
	if err := unix.Mount("", dir, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("remounting %s read-only: %w", dir, err)
	}
	return nil
}

// pivotRoot makes the mount at dir the root and detaches the old root, as
// runc does: pivot_root(".", ".") stacks the old root on top of the new
// one, from where it is unmounted.
func pivotRoot(dir string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening old root: %w", err)
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening new root %s: %w", dir, err)
	}
	defer unix.Close(newRoot)

	if err := unix.Fchdir(newRoot); err != nil {
		return fmt.Errorf("entering new root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", dir, err)
	}
	// The old root is now mounted over "/"; step onto it to detach it.
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("entering old root: %w", err)
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making old root a slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("entering new root: %w", err)
	}
	return nil
}

func firstDir(candidates []string) (string, error) {
	for _, d := range candidates {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, nil
		}
	}
	return "", fmt.Errorf("no directory to mount the empty root on (tried %v)", candidates)
}
