package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// SyscallFn is the shape of a system-call handler.
type SyscallFn func(t *kernel.Task, args arch.SyscallArgs) (uintptr, error)

// fsEntry names a file-system system call and its handler.
type fsEntry struct {
	name string
	fn   SyscallFn
}

// fsTable lists the file-system system calls (VFS engineer's part of the
// table).
var fsTable = map[uintptr]fsEntry{
	unix.SYS_READ:     {"read", Read},
	unix.SYS_WRITE:    {"write", Write},
	unix.SYS_PREAD64:  {"pread64", Pread64},
	unix.SYS_PWRITE64: {"pwrite64", Pwrite64},
	unix.SYS_READV:    {"readv", Readv},
	unix.SYS_WRITEV:   {"writev", Writev},
	unix.SYS_PREADV:   {"preadv", Preadv},
	unix.SYS_PWRITEV:  {"pwritev", Pwritev},
	unix.SYS_PREADV2:  {"preadv2", Preadv2},
	unix.SYS_PWRITEV2: {"pwritev2", Pwritev2},
	unix.SYS_LSEEK:    {"lseek", Lseek},
	unix.SYS_SENDFILE: {"sendfile", Sendfile},

	unix.SYS_OPEN:        {"open", Open},
	unix.SYS_OPENAT:      {"openat", Openat},
	unix.SYS_CREAT:       {"creat", Creat},
	unix.SYS_CLOSE:       {"close", Close},
	unix.SYS_CLOSE_RANGE: {"close_range", CloseRange},
	unix.SYS_DUP:         {"dup", Dup},
	unix.SYS_DUP2:        {"dup2", Dup2},
	unix.SYS_DUP3:        {"dup3", Dup3},
	unix.SYS_GETCWD:      {"getcwd", Getcwd},
	unix.SYS_CHDIR:       {"chdir", Chdir},
	unix.SYS_FCHDIR:      {"fchdir", Fchdir},
	unix.SYS_CHROOT:      {"chroot", Chroot},
	unix.SYS_UMASK:       {"umask", Umask},

	unix.SYS_STAT:       {"stat", Stat},
	unix.SYS_FSTAT:      {"fstat", Fstat},
	unix.SYS_LSTAT:      {"lstat", Lstat},
	unix.SYS_NEWFSTATAT: {"newfstatat", Newfstatat},
	unix.SYS_STATX:      {"statx", Statx},
	unix.SYS_STATFS:     {"statfs", Statfs},
	unix.SYS_FSTATFS:    {"fstatfs", Fstatfs},

	unix.SYS_ACCESS:     {"access", Access},
	unix.SYS_FACCESSAT:  {"faccessat", Faccessat},
	unix.SYS_FACCESSAT2: {"faccessat2", Faccessat2},
	unix.SYS_MKDIR:      {"mkdir", Mkdir},
	unix.SYS_MKDIRAT:    {"mkdirat", Mkdirat},
	unix.SYS_MKNOD:      {"mknod", Mknod},
	unix.SYS_MKNODAT:    {"mknodat", Mknodat},
	unix.SYS_RMDIR:      {"rmdir", Rmdir},
	unix.SYS_UNLINK:     {"unlink", Unlink},
	unix.SYS_UNLINKAT:   {"unlinkat", Unlinkat},
	unix.SYS_RENAME:     {"rename", Rename},
	unix.SYS_RENAMEAT:   {"renameat", Renameat},
	unix.SYS_RENAMEAT2:  {"renameat2", Renameat2},
	unix.SYS_SYMLINK:    {"symlink", Symlink},
	unix.SYS_SYMLINKAT:  {"symlinkat", Symlinkat},
	unix.SYS_LINK:       {"link", Link},
	unix.SYS_LINKAT:     {"linkat", Linkat},
	unix.SYS_READLINK:   {"readlink", Readlink},
	unix.SYS_READLINKAT: {"readlinkat", Readlinkat},
	unix.SYS_CHMOD:      {"chmod", Chmod},
	unix.SYS_FCHMOD:     {"fchmod", Fchmod},
	unix.SYS_FCHMODAT:   {"fchmodat", Fchmodat},
	unix.SYS_CHOWN:      {"chown", Chown},
	unix.SYS_FCHOWN:     {"fchown", Fchown},
	unix.SYS_LCHOWN:     {"lchown", Lchown},
	unix.SYS_FCHOWNAT:   {"fchownat", Fchownat},
	unix.SYS_TRUNCATE:   {"truncate", Truncate},
	unix.SYS_FTRUNCATE:  {"ftruncate", Ftruncate},
	unix.SYS_UTIMENSAT:  {"utimensat", Utimensat},
	unix.SYS_UTIME:      {"utime", Utime},
	unix.SYS_UTIMES:     {"utimes", Utimes},
	unix.SYS_FUTIMESAT:  {"futimesat", Futimesat},

	unix.SYS_GETDENTS64: {"getdents64", Getdents64},
	unix.SYS_GETDENTS:   {"getdents", Getdents},

	unix.SYS_FCNTL:     {"fcntl", Fcntl},
	unix.SYS_FLOCK:     {"flock", Flock},
	unix.SYS_FSYNC:     {"fsync", Fsync},
	unix.SYS_FDATASYNC: {"fdatasync", Fdatasync},
	unix.SYS_SYNC:      {"sync", Sync},
	unix.SYS_SYNCFS:    {"syncfs", Syncfs},
	unix.SYS_FADVISE64: {"fadvise64", Fadvise64},
	unix.SYS_FALLOCATE: {"fallocate", Fallocate},
	unix.SYS_IOCTL:     {"ioctl", Ioctl},

	unix.SYS_GETXATTR:     {"getxattr", Getxattr},
	unix.SYS_LGETXATTR:    {"lgetxattr", Lgetxattr},
	unix.SYS_FGETXATTR:    {"fgetxattr", Fgetxattr},
	unix.SYS_LISTXATTR:    {"listxattr", Listxattr},
	unix.SYS_LLISTXATTR:   {"llistxattr", Llistxattr},
	unix.SYS_FLISTXATTR:   {"flistxattr", Flistxattr},
	unix.SYS_SETXATTR:     {"setxattr", Setxattr},
	unix.SYS_LSETXATTR:    {"lsetxattr", Lsetxattr},
	unix.SYS_FSETXATTR:    {"fsetxattr", Fsetxattr},
	unix.SYS_REMOVEXATTR:  {"removexattr", Removexattr},
	unix.SYS_LREMOVEXATTR: {"lremovexattr", Lremovexattr},
	unix.SYS_FREMOVEXATTR: {"fremovexattr", Fremovexattr},

	unix.SYS_POLL:     {"poll", Poll},
	unix.SYS_PPOLL:    {"ppoll", Ppoll},
	unix.SYS_SELECT:   {"select", Select},
	unix.SYS_PSELECT6: {"pselect6", Pselect6},
}

// fsSyscalls maps numbers to handlers, for the kernel's table.
var fsSyscalls = func() map[uintptr]SyscallFn {
	m := make(map[uintptr]SyscallFn, len(fsTable))
	for nr, e := range fsTable {
		m[nr] = e.fn
	}
	return m
}()

// fsSyscallName returns the name of file-system system call nr.
func fsSyscallName(nr uintptr) string { return fsTable[nr].name }
