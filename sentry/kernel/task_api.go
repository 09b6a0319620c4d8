package kernel

// This file lists the Task methods that system-call handlers use. Their
// bodies live beside the state they touch; these are the stable API.

import (
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// The memory of the task's address space is reached only through these
// (EFAULT on a bad address, never a raw pointer).

// CopyIn copies len(dst) bytes from application address addr.
func (t *Task) CopyIn(addr uintptr, dst []byte) (int, error) { return t.copyIn(addr, dst) }

// CopyOut copies src to application address addr.
func (t *Task) CopyOut(addr uintptr, src []byte) (int, error) { return t.copyOut(addr, src) }

// CopyInString copies a NUL-terminated string of at most maxLen bytes
// (ENAMETOOLONG beyond, EFAULT on a bad address).
func (t *Task) CopyInString(addr uintptr, maxLen int) (string, error) {
	return t.copyInString(addr, maxLen)
}

// FDTable returns the task's file descriptor table.
func (t *Task) FDTable() *vfs.FDTable { return t.fdTable }

// FSContext returns the task's root, working directory and umask.
func (t *Task) FSContext() *vfs.FSContext { return t.fsContext }

// VFS returns the sandbox's virtual file system.
func (t *Task) VFS() *vfs.VFS { return t.k.vfs }

// UID returns the task's file-system user ID, what file permission checks
// use (vfs.Context).
func (t *Task) UID() uint32 { return t.Credentials().FSUID }

// GID returns the task's file-system group ID (vfs.Context).
func (t *Task) GID() uint32 { return t.Credentials().FSGID }

// Scratch returns a buffer of n bytes owned by the task, reused across
// system calls so that handlers do not allocate per call. Its content is
// not preserved between calls; n above ScratchMax allocates.
func (t *Task) Scratch(n int) []byte {
	if n < 0 {
		n = 0
	}
	if n > ScratchMax {
		return make([]byte, n)
	}
	if cap(t.scratch) < n {
		t.scratch = make([]byte, ScratchMax)
	}
	return t.scratch[:n]
}

// ScratchMax is the largest buffer Scratch reuses.
const ScratchMax = 64 << 10

// RealIDs returns the task as a vfs.Context whose credentials are its real
// user and group IDs (access(2) checks with them).
func (t *Task) RealIDs() vfs.Context { return realIDs{t} }

type realIDs struct{ *Task }

func (r realIDs) UID() uint32 { return r.Credentials().RUID }
func (r realIDs) GID() uint32 { return r.Credentials().RGID }
