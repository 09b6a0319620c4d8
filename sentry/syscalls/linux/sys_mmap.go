package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/memfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Mmap implements Linux syscall mmap(2).
func Mmap(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], uint64(a[2]), int(a[3]), int32(a[4]), uint64(a[5])
	private := flags&unix.MAP_PRIVATE != 0
	shared := flags&unix.MAP_SHARED != 0
	anon := flags&unix.MAP_ANONYMOUS != 0
	// MAP_SHARED_VALIDATE (both bits) is only for files.
	if private == shared && (flags&unix.MAP_SHARED_VALIDATE != unix.MAP_SHARED_VALIDATE || anon) {
		return 0, unix.EINVAL
	}
	if prot&^uint64(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP) != 0 {
		return 0, unix.EINVAL
	}
	if length == 0 || off%linux.PageSize != 0 {
		return 0, unix.EINVAL
	}
	opts := mm.MMapOpts{
		Addr:      addr,
		Length:    length,
		Fixed:     flags&unix.MAP_FIXED != 0,
		NoReplace: flags&unix.MAP_FIXED_NOREPLACE != 0,
		Perms:     platform.ProtToAccessType(prot),
		MaxPerms:  platform.AnyAccess,
		Private:   !shared,
		GrowsDown: flags&unix.MAP_GROWSDOWN != 0,
	}
	if opts.NoReplace {
		opts.Fixed = true
	}
	if !anon {
		file, err := t.FDTable().Get(fd)
		if err != nil {
			return 0, err
		}
		defer file.DecRef()
		if !file.Readable() {
			return 0, unix.EACCES
		}
		a, err := file.Stat(t)
		if err != nil {
			return 0, err
		}
		if a.Mode&unix.S_IFMT != unix.S_IFREG {
			return 0, unix.ENODEV
		}
		if shared && !file.Writable() {
			opts.MaxPerms.Write = false
			if opts.Perms.Write {
				return 0, unix.EACCES
			}
		}
		if sealed, err := memfd.CheckMap(file, shared, opts.Perms.Write); err != nil {
			return 0, err
		} else if sealed {
			opts.MaxPerms.Write = false
		}
		opts.File = file
		opts.Offset = off
		opts.Name = fileName(t, file)
	}
	return t.MemoryManager().MMap(opts)
}

// Munmap implements Linux syscall munmap(2).
func Munmap(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MUnmap(a[0], a[1])
}

// Mprotect implements Linux syscall mprotect(2).
func Mprotect(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	prot := uint64(a[2])
	if prot&^uint64(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP) != 0 {
		return 0, unix.EINVAL
	}
	return 0, t.MemoryManager().MProtect(a[0], a[1], platform.ProtToAccessType(prot))
}

// Brk implements Linux syscall brk(2).
func Brk(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return t.MemoryManager().Brk(a[0]), nil
}

// Mremap implements Linux syscall mremap(2).
func Mremap(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return t.MemoryManager().MRemap(a[0], a[1], a[2], int(a[3]), a[4])
}

// Madvise implements Linux syscall madvise(2).
func Madvise(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().Madvise(a[0], a[1], int(a[2]))
}

// msync(2) flags.
const (
	msAsync      = 1
	msInvalidate = 2
	msSync       = 4
)

// Msync implements Linux syscall msync(2): shared file mappings are private
// copies for now, so there is nothing to write back; the range is checked.
func Msync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(a[2])
	if flags&^(msAsync|msInvalidate|msSync) != 0 || flags&msAsync != 0 && flags&msSync != 0 {
		return 0, unix.EINVAL
	}
	return 0, t.MemoryManager().Mapped(a[0], a[1])
}

// Mlock implements mlock(2) and munlock(2): sentry memory is never swapped
// by the sandbox, so they only check that the range is mapped.
func Mlock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, mlock(t, a[0], a[1], true)
}

// Mlock2 implements Linux syscall mlock2(2): MLOCK_ONFAULT is the only
// flag (and changes nothing here: the sentry never swaps).
func Mlock2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	const mlockOnfault = 1
	if a[2]&^mlockOnfault != 0 {
		return 0, unix.EINVAL
	}
	return 0, mlock(t, a[0], a[1], true)
}

// Munlock implements Linux syscall munlock(2).
func Munlock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, mlock(t, a[0], a[1], false)
}

// mlock locks or unlocks the pages covering [addr, addr+length).
func mlock(t *kernel.Task, addr, length uintptr, lock bool) error {
	start := addr &^ (linux.PageSize - 1)
	return t.MemoryManager().MLock(start, length+(addr-start), lock, memlockLimit(t))
}

// memlockLimit is how much the caller may lock: RLIMIT_MEMLOCK, or no
// limit with CAP_IPC_LOCK.
func memlockLimit(t *kernel.Task) uint64 {
	if t.Credentials().HasCapability(unix.CAP_IPC_LOCK) {
		return mm.Unlimited
	}
	l, _ := t.Rlimit(unix.RLIMIT_MEMLOCK, nil)
	return l.Cur
}

// Mlockall implements Linux syscall mlockall(2).
func Mlockall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	const mclCurrent, mclFuture, mclOnfault = 1, 2, 4
	if a[0] == 0 || a[0]&^(mclCurrent|mclFuture|mclOnfault) != 0 || a[0] == mclOnfault {
		return 0, unix.EINVAL
	}
	return 0, t.MemoryManager().MLockAll(a[0]&mclCurrent != 0, a[0]&mclFuture != 0, memlockLimit(t))
}

// Munlockall implements Linux syscall munlockall(2).
func Munlockall(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	t.MemoryManager().MUnlockAll()
	return 0, nil
}

// Mincore implements Linux syscall mincore(2): a page is "in core" once the
// sandbox populated it.
func Mincore(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	res, err := t.MemoryManager().Resident(a[0], a[1])
	if err != nil {
		return 0, err
	}
	vec := t.Scratch(len(res))
	for i, r := range res {
		vec[i] = 0
		if r {
			vec[i] = 1
		}
	}
	_, err = t.CopyOut(a[2], vec)
	return 0, err
}

// fileName is the path /proc/[pid]/maps shows for a mapped file.
func fileName(t *kernel.Task, f *vfs.FileDescription) string {
	if vd := f.VirtualDentry(); vd != nil {
		return t.VFS().PathOf(t.FSContext(), *vd)
	}
	return ""
}
