// Package memfd implements memfd_create(2) files: unnamed tmpfs files on
// a kernel-internal tmpfs mount, with Linux's file seals (F_ADD_SEALS,
// F_GET_SEALS; mm/memfd.c and mm/shmem.c): a sealed file refuses the
// writes, truncations and shared writable mappings its seals forbid.
//
// The seals belong to the inode, so every description of the file (a
// reopen through /proc/self/fd too) sees them.
//
// Locking: inode.mu guards the seals and is held across each write and
// size change, so a seal takes effect between two of them, never
// during one. It is taken before the tmpfs inode's own locks.
package memfd

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// File seals (uapi/linux/fcntl.h).
const (
	SealSeal        = 0x1
	SealShrink      = 0x2
	SealGrow        = 0x4
	SealWrite       = 0x8
	SealFutureWrite = 0x10
	SealExec        = 0x20
	allSeals        = SealSeal | SealShrink | SealGrow | SealWrite | SealFutureWrite | SealExec
)

// memfd_create's flags.
const (
	FlagCloexec      = 0x1
	FlagAllowSealing = 0x2
	FlagHugeTLB      = 0x4
	FlagNoexecSeal   = 0x8
	FlagExec         = 0x10
	allFlags         = FlagCloexec | FlagAllowSealing | FlagHugeTLB | FlagNoexecSeal | FlagExec
)

// MaxNameLen is the longest name memfd_create takes (NAME_MAX minus
// "memfd:").
const MaxNameLen = 255 - len("memfd:")

// mountName names the kernel's tmpfs for memfds.
const mountName = "memfd"

// inode is a memfd's tmpfs inode with its seals.
type inode struct {
	vfs.Inode

	mu    sync.Mutex
	seals uint32
}

// Create makes a memfd called name (the caller checked the flags and the
// name) and opens it for reading and writing.
func Create(ctx vfs.Context, v *vfs.VFS, name string, flags uint32) (*vfs.FileDescription, error) {
	if flags&^allFlags != 0 || flags&FlagExec != 0 && flags&FlagNoexecSeal != 0 {
		return nil, unix.EINVAL
	}
	if flags&FlagHugeTLB != 0 {
		return nil, unix.EINVAL // no hugetlbfs in the sandbox
	}
	m, err := v.KernelMount(ctx, mountName, func() vfs.Inode { return tmpfs.New(0o1777) })
	if err != nil {
		return nil, err
	}
	mode := uint32(0o777)
	seals := uint32(SealSeal)
	if flags&FlagAllowSealing != 0 {
		seals = 0
	}
	if flags&FlagNoexecSeal != 0 {
		mode, seals = 0o666, SealExec
	}
	tm, ok := m.Root().Inode().(vfs.TmpfileMaker)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	in, err := tm.MakeTmpfile(ctx, mode, false /* linkable */)
	if err != nil {
		return nil, err
	}
	// Linux gives a memfd its creator's IDs and this mode whatever the
	// umask.
	if err := in.SetAttr(vfs.Background(), vfs.SetAttr{Mask: vfs.SetMode, Mode: mode}); err != nil {
		return nil, err
	}
	mi := &inode{Inode: in, seals: seals}
	return v.OpenDetached(ctx, m, mi, "memfd:"+name, unix.O_RDWR)
}

// inodeOf returns the memfd inode of a description, or nil.
func inodeOf(f *vfs.FileDescription) *inode {
	in, _ := f.Inode().(*inode)
	return in
}

// Seals returns the file's seals (F_GET_SEALS); EINVAL if f is not a
// memfd.
func Seals(f *vfs.FileDescription) (uint32, error) {
	in := inodeOf(f)
	if in == nil {
		return 0, unix.EINVAL
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.seals, nil
}

// AddSeals implements F_ADD_SEALS: EINVAL if f is not a memfd or seals
// has unknown bits, EPERM if f is not open for writing or the file is
// sealed against sealing.
func AddSeals(f *vfs.FileDescription, seals uint32) error {
	in := inodeOf(f)
	if in == nil {
		return unix.EINVAL
	}
	if !f.Writable() {
		return unix.EPERM
	}
	if seals&^allSeals != 0 {
		return unix.EINVAL
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seals&SealSeal != 0 {
		return unix.EPERM
	}
	in.seals |= seals
	return nil
}

// CheckMap says whether f may be mapped: a shared writable mapping of a
// file sealed against writes is refused (EPERM). It also returns whether
// a shared mapping must stay unwritable (no mprotect to PROT_WRITE).
func CheckMap(f *vfs.FileDescription, shared, write bool) (readOnly bool, err error) {
	in := inodeOf(f)
	if in == nil || !shared {
		return false, nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seals&(SealWrite|SealFutureWrite) == 0 {
		return false, nil
	}
	if write {
		return true, unix.EPERM
	}
	return true, nil
}

// SetAttr implements vfs.Inode: a size change that a seal forbids fails
// with EPERM, and so does a chmod adding an exec bit under F_SEAL_EXEC.
func (in *inode) SetAttr(ctx vfs.Context, sa vfs.SetAttr) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if sa.Mask&(vfs.SetSize|vfs.SetMode) != 0 {
		a, err := in.Inode.Stat(ctx)
		if err != nil {
			return err
		}
		if sa.Mask&vfs.SetSize != 0 && (sa.Size < a.Size && in.seals&SealShrink != 0 ||
			sa.Size > a.Size && in.seals&SealGrow != 0) {
			return unix.EPERM
		}
		if sa.Mask&vfs.SetMode != 0 && in.seals&SealExec != 0 && (sa.Mode^a.Mode)&0o111 != 0 {
			return unix.EPERM
		}
	}
	return in.Inode.SetAttr(ctx, sa)
}

// Open implements vfs.Inode: the file checks seals on each write.
func (in *inode) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	impl, err := in.Inode.Open(ctx, flags)
	if err != nil {
		return nil, err
	}
	return &file{FileImpl: impl, in: in}, nil
}

// file is an open memfd.
type file struct {
	vfs.FileImpl
	in *inode
}

var _ vfs.FileAllocator = (*file)(nil)

// SharedFrames implements pgalloc.FrameSource with the tmpfs file's frames:
// a memfd mapped shared is shared memory. (Seals that forbid shared
// writable mappings are checked at mmap.)
func (f *file) SharedFrames(mf *pgalloc.MemoryFile, off uint64, frames []*pgalloc.Frame, mapper pgalloc.FrameMapper) error {
	return f.FileImpl.(pgalloc.FrameSource).SharedFrames(mf, off, frames, mapper)
}

// FrameOwner implements pgalloc.FrameSource.
func (f *file) FrameOwner() any { return f.FileImpl.(pgalloc.FrameSource).FrameOwner() }

// ForgetMapper implements pgalloc.FrameSource.
func (f *file) ForgetMapper(m pgalloc.FrameMapper) {
	f.FileImpl.(pgalloc.FrameSource).ForgetMapper(m)
}

// Write implements vfs.FileImpl: EPERM under F_SEAL_WRITE or
// F_SEAL_FUTURE_WRITE, and past the end under F_SEAL_GROW (a write that
// starts inside stops at the end).
func (f *file) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	in := f.in
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.seals&(SealWrite|SealFutureWrite) != 0 {
		return 0, unix.EPERM
	}
	if in.seals&SealGrow != 0 && len(src) > 0 {
		a, err := in.Inode.Stat(ctx)
		if err != nil {
			return 0, err
		}
		if off >= a.Size {
			return 0, unix.EPERM
		}
		src = src[:min(int64(len(src)), a.Size-off)]
	}
	return f.FileImpl.Write(ctx, src, off)
}

// Allocate implements vfs.FileAllocator: growing under F_SEAL_GROW and
// punching holes under the write seals fail with EPERM.
func (f *file) Allocate(ctx vfs.Context, mode uint32, off, length int64) error {
	fa, ok := f.FileImpl.(vfs.FileAllocator)
	if !ok {
		return unix.EOPNOTSUPP
	}
	in := f.in
	in.mu.Lock()
	defer in.mu.Unlock()
	if mode&unix.FALLOC_FL_PUNCH_HOLE != 0 && in.seals&(SealWrite|SealFutureWrite) != 0 {
		return unix.EPERM
	}
	if in.seals&SealGrow != 0 {
		a, err := in.Inode.Stat(ctx)
		if err != nil {
			return err
		}
		if off+length > a.Size && mode&unix.FALLOC_FL_KEEP_SIZE == 0 {
			return unix.EPERM
		}
	}
	return fa.Allocate(ctx, mode, off, length)
}
