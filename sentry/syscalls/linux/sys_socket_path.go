package linux

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	unixsocket "github.com/cocoon-sandbox/cocoon/sentry/socket/unix"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file binds unix sockets to path names, as Linux's unix_bind_bsd
// and unix_find_bsd: bind makes a socket inode at the path (mode 0777
// less the umask) and the namespace maps that inode's identity (device
// and inode number) to the socket; connect and sendto resolve the path
// to the inode and look the socket up. The inode outlives the socket, as
// on Linux: a later bind to the path needs an unlink first, and a
// connect to it finds no socket (ECONNREFUSED).

// bindPath binds s to a path name: EINVAL if s is already bound,
// EADDRINUSE if the path exists, and the errors of mknod(2).
func bindPath(t *kernel.Task, s *unixsocket.Socket, path string) error {
	if s.Bound() {
		return unix.EINVAL
	}
	err := t.VFS().MknodAt(t, t.FSContext(), vfs.VirtualDentry{}, path, uint32(vfs.TypeSocket)|0o777, 0)
	if err == unix.EEXIST {
		return unix.EADDRINUSE
	}
	if err != nil {
		return err
	}
	a, err := t.VFS().StatAt(t, t.FSContext(), vfs.VirtualDentry{}, path, false /* follow */)
	if err == nil {
		err = s.BindKey(inodeKey(a), path)
	}
	if err != nil {
		// Linux unlinks what it made when the bind fails after mknod.
		t.VFS().UnlinkAt(t, t.FSContext(), vfs.VirtualDentry{}, path)
	}
	return err
}

// pathName resolves a path name to the key its socket is bound at: the
// errors of path lookup (ENOENT, ENOTDIR, ELOOP, EACCES to search),
// ECONNREFUSED for a file that is not a socket, EACCES without write
// permission on it.
func pathName(t *kernel.Task, path string) (string, error) {
	a, err := t.VFS().StatAt(t, t.FSContext(), vfs.VirtualDentry{}, path, true /* follow */)
	if err != nil {
		return "", err
	}
	if vfs.FileType(a.Mode)&vfs.TypeMask != vfs.TypeSocket {
		return "", unix.ECONNREFUSED
	}
	if err := vfs.MayAccess(t, a, vfs.MayWrite); err != nil {
		return "", err
	}
	return inodeKey(a), nil
}

// inodeKey names a socket inode in the namespace: never starting with a
// NUL byte, so never an abstract name.
func inodeKey(a vfs.Attr) string { return fmt.Sprintf("inode:%d:%d", a.Dev, a.Ino) }
