package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/memfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// noteMemfd is the table's note on memfd_create.
const noteMemfd = "MFD_HUGETLB answers EINVAL (no hugetlbfs); F_SEAL_WRITE does not wait for or refuse " +
	"existing shared writable mappings (EBUSY), since MAP_SHARED file mappings are private copies"

// MemfdCreate implements Linux syscall memfd_create(2).
func MemfdCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[1])
	name, err := t.CopyInString(a[0], memfd.MaxNameLen+1)
	if err == unix.ENAMETOOLONG {
		return 0, unix.EINVAL
	}
	if err != nil {
		return 0, err
	}
	f, err := memfd.Create(t, t.VFS(), name, flags)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, flags&memfd.FlagCloexec != 0)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}
