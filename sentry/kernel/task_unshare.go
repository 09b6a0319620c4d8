package kernel

import "golang.org/x/sys/unix"

// unshareable are the unshare(2) flags Linux knows.
const unshareable = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
	CLONE_NEWNAMESPACES

// Unshare implements unshare(2): the task gets its own FD table
// (CLONE_FILES), root/cwd/umask (CLONE_FS) and UTS namespace
// (CLONE_NEWUTS). CLONE_VM, CLONE_SIGHAND and CLONE_THREAD only succeed
// for a process of one thread (nothing to unshare then); CLONE_SYSVSEM
// has nothing to undo. The other namespaces are the sandbox's and cannot
// be split: EINVAL, like a kernel built without them.
func (t *Task) Unshare(flags uint64) error {
	if flags&^unshareable != 0 || flags&CLONE_NEWNAMESPACES&^CLONE_NEWUTS != 0 {
		return unix.EINVAL
	}
	if flags&(CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) != 0 && len(t.tg.Threads()) > 1 {
		return unix.EINVAL
	}
	if flags&CLONE_NEWUTS != 0 {
		if err := t.UnshareUTS(); err != nil {
			return err
		}
	}
	if flags&CLONE_FILES != 0 {
		old := t.fdTable
		t.fdTable = old.Fork()
		old.DecRef()
	}
	if flags&CLONE_FS != 0 {
		old := t.fsContext
		t.fsContext = old.Fork()
		old.Release()
	}
	return nil
}
