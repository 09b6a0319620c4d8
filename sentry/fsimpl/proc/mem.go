package proc

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// memFile is /proc/[pid]/mem: the task's memory at file offsets equal to
// addresses, which debuggers read and write (gdb reads the program's
// memory through it). Opening it needs the right to ptrace the task, as
// Linux checks at open; writes ignore page protections (FOLL_FORCE), so a
// breakpoint lands in read-only text.
func memFile(t *kernel.Task) vfs.Inode {
	return kernfs.NewOpener(0o600, func(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
		if !mayPtrace(ctx, t) {
			return nil, unix.EACCES
		}
		return &openMem{t: t}, nil
	})
}

// mayPtrace says whether the caller behind ctx may ptrace t.
func mayPtrace(ctx vfs.Context, t *kernel.Task) bool {
	caller, ok := ctx.(interface{ MayPtrace(*kernel.Task) bool })
	return ok && caller.MayPtrace(t)
}

// openMem is an open /proc/[pid]/mem. Each read and write goes to the
// memory the task has then.
type openMem struct {
	vfs.FileDefaults
	t *kernel.Task
}

// maxMemIO bounds one read or write, so a huge count from the application
// never becomes one huge copy under the memory manager's lock (Linux
// copies a page at a time too).
const maxMemIO = 1 << 20

// Read implements vfs.FileImpl: a read that starts in a hole is EIO, one
// that reaches a hole stops there. A task without memory (a zombie)
// reads as empty.
func (o *openMem) Read(_ vfs.Context, dst []byte, off int64) (int, error) {
	return o.transfer(dst, off, nil, func(m *mm.MemoryManager, addr uintptr, b []byte) int {
		n, _ := m.CopyIn(addr, b)
		return n
	})
}

// Write implements vfs.FileImpl, as Read does, ignoring protections; a
// task without memory is EIO.
func (o *openMem) Write(_ vfs.Context, src []byte, off int64) (int, error) {
	return o.transfer(src, off, unix.EIO, func(m *mm.MemoryManager, addr uintptr, b []byte) int {
		n, _ := m.ForceCopyOut(addr, b)
		return n
	})
}

// transfer runs copy over at most maxMemIO bytes of buf at address off
// of the task's memory: EIO if nothing could be copied, noMemory (or 0
// bytes when it is nil) for a task without memory.
func (o *openMem) transfer(buf []byte, off int64, noMemory error, copy func(m *mm.MemoryManager, addr uintptr, b []byte) int) (int, error) {
	m := o.t.MemoryManager()
	if m == nil || o.t.IsZombie() {
		return 0, noMemory
	}
	if len(buf) > maxMemIO {
		buf = buf[:maxMemIO]
	}
	n := copy(m, uintptr(off), buf)
	if n == 0 && len(buf) > 0 {
		return 0, unix.EIO
	}
	return n, nil
}
