package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	unixsocket "github.com/cocoon-sandbox/cocoon/sentry/socket/unix"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file holds the socket calls that make, name and connect sockets,
// and their options; sys_socket_msg.go moves data. Only AF_UNIX exists:
// the other families answer ENOSYS, as before sockets existed (no
// network stack yet).

// abstractNames is the sandbox's abstract AF_UNIX namespace (one network
// namespace per sandbox, and one sandbox per sentry process).
var abstractNames = unixsocket.NewNamespace()

// Socket address sizes.
const (
	// sizeofSockaddrStorage bounds any address passed in
	// (move_addr_to_kernel).
	sizeofSockaddrStorage = 128
	// sizeofSockaddrUn is struct sockaddr_un; sunPathOffset is where
	// sun_path starts.
	sizeofSockaddrUn = 110
	sunPathOffset    = 2
	// somaxconn caps listen's backlog (net.core.somaxconn).
	somaxconn = 4096
)

// socketTypeFlags may be or-ed into a socket type.
const socketTypeFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC

// unixSocketArgs checks the domain, type and protocol arguments of socket
// and socketpair and splits the type's flags off, as Linux's
// __sock_create and unix_create (SOCK_RAW is SOCK_DGRAM there); families
// other than AF_UNIX answer ENOSYS.
func unixSocketArgs(a arch.SyscallArgs) (stype int, flags int, err error) {
	if int32(a[0]) != unix.AF_UNIX {
		return 0, 0, unix.ENOSYS
	}
	typ, protocol := int(int32(a[1])), int(int32(a[2]))
	flags = typ & socketTypeFlags
	stype = typ &^ socketTypeFlags
	if stype < 0 || stype > unix.SOCK_PACKET {
		return 0, 0, unix.EINVAL
	}
	if protocol != 0 && protocol != unix.AF_UNIX {
		return 0, 0, unix.EPROTONOSUPPORT
	}
	if stype == unix.SOCK_RAW {
		stype = unix.SOCK_DGRAM
	}
	if !unixsocket.ValidType(stype) {
		return 0, 0, unix.ESOCKTNOSUPPORT
	}
	return stype, flags, nil
}

// peerCred is the caller's identity as SO_PEERCRED shows it: its process
// and effective IDs.
func peerCred(t *kernel.Task) unixsocket.Cred {
	c := t.Credentials()
	return unixsocket.Cred{PID: t.ThreadGroup().ID(), UID: c.EUID, GID: c.EGID}
}

// installSocket installs s at the lowest free descriptor.
func installSocket(t *kernel.Task, s *unixsocket.Socket, flags int) (int32, error) {
	f := vfs.NewFileDescription(s, unix.O_RDWR|uint32(flags&unix.SOCK_NONBLOCK), nil)
	defer f.DecRef()
	return t.FDTable().NewFD(f, 0, flags&unix.SOCK_CLOEXEC != 0)
}

// Socket implements Linux syscall socket(2).
func Socket(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	stype, flags, err := unixSocketArgs(a)
	if err != nil {
		return 0, err
	}
	fd, err := installSocket(t, unixsocket.New(abstractNames, stype, peerCred(t)), flags)
	return uintptr(fd), err
}

// Socketpair implements Linux syscall socketpair(2).
func Socketpair(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	stype, flags, err := unixSocketArgs(a)
	if err != nil {
		return 0, err
	}
	s0, s1 := unixsocket.NewPair(abstractNames, stype, peerCred(t))
	fd0, err := installSocket(t, s0, flags)
	if err != nil {
		// s0 went with its description; s1 has none yet.
		s1.Release()
		return 0, err
	}
	fd1, err := installSocket(t, s1, flags)
	if err != nil {
		t.FDTable().Remove(fd0)
		return 0, err
	}
	var b [8]byte
	le.PutUint32(b[0:], uint32(fd0))
	le.PutUint32(b[4:], uint32(fd1))
	if _, err := t.CopyOut(a[3], b[:]); err != nil {
		t.FDTable().Remove(fd0)
		t.FDTable().Remove(fd1)
		return 0, err
	}
	return 0, nil
}

// getSocket returns the socket at fd and its description, with a
// reference: EBADF for a bad descriptor, ENOTSOCK for another file.
func getSocket(t *kernel.Task, fd uintptr) (*vfs.FileDescription, *unixsocket.Socket, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	if f.IsPath() {
		f.DecRef()
		return nil, nil, unix.EBADF
	}
	s, ok := f.Impl().(*unixsocket.Socket)
	if !ok {
		f.DecRef()
		return nil, nil, unix.ENOTSOCK
	}
	return f, s, nil
}

// copyInUnixAddr reads a struct sockaddr_un of addrlen bytes and returns
// sun_path's name: an abstract name verbatim (NUL first), a path up to
// its first NUL, or "" for an address of sun_family alone (autobind).
// EINVAL for a length out of range or another family.
func copyInUnixAddr(t *kernel.Task, addr uintptr, addrlen uintptr) (string, error) {
	n := int(int32(addrlen))
	if n < sunPathOffset || n > sizeofSockaddrStorage {
		return "", unix.EINVAL
	}
	var b [sizeofSockaddrStorage]byte
	if _, err := t.CopyIn(addr, b[:n]); err != nil {
		return "", err
	}
	if le.Uint16(b[0:]) != unix.AF_UNIX {
		return "", unix.EINVAL
	}
	path := b[sunPathOffset:n]
	if len(path) == 0 || path[0] == 0 {
		return string(path), nil
	}
	if n > sizeofSockaddrUn {
		return "", unix.EINVAL
	}
	for i, c := range path {
		if c == 0 {
			path = path[:i]
			break
		}
	}
	return string(path), nil
}

// encodeUnixAddr returns name as a struct sockaddr_un of its length:
// sun_family alone when unnamed, a path with its NUL.
func encodeUnixAddr(name string, b *[sizeofSockaddrStorage]byte) []byte {
	le.PutUint16(b[0:], unix.AF_UNIX)
	n := sunPathOffset + copy(b[sunPathOffset:sizeofSockaddrUn], name)
	if name != "" && name[0] != 0 && n < sizeofSockaddrUn {
		b[n] = 0
		n++
	}
	return b[:n]
}

// copyOutAddr writes an address to addr for a caller whose buffer length
// is at lenAddr, as Linux's move_addr_to_user: at most that many bytes,
// and the full length back. Nothing is written when addr is 0.
func copyOutAddr(t *kernel.Task, addr, lenAddr uintptr, sa []byte) error {
	if addr == 0 || lenAddr == 0 {
		return nil
	}
	var lb [4]byte
	if _, err := t.CopyIn(lenAddr, lb[:]); err != nil {
		return err
	}
	n := int32(le.Uint32(lb[:]))
	if n < 0 {
		return unix.EINVAL
	}
	if c := min(int(n), len(sa)); c > 0 {
		if _, err := t.CopyOut(addr, sa[:c]); err != nil {
			return err
		}
	}
	le.PutUint32(lb[:], uint32(len(sa)))
	_, err := t.CopyOut(lenAddr, lb[:])
	return err
}

// Bind implements Linux syscall bind(2): abstract names and autobind.
func Bind(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	name, err := copyInUnixAddr(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	if name != "" && name[0] != 0 {
		return 0, bindPath(t, s, name)
	}
	return 0, s.Bind(name)
}

// Listen implements Linux syscall listen(2).
func Listen(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	backlog := int(int32(a[1]))
	if uint32(backlog) > somaxconn {
		backlog = somaxconn
	}
	return 0, s.Listen(backlog, peerCred(t))
}

// Connect implements Linux syscall connect(2).
func Connect(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if n := int32(a[2]); n >= sunPathOffset && n <= sizeofSockaddrStorage {
		var fam [2]byte
		if _, err := t.CopyIn(a[1], fam[:]); err != nil {
			return 0, err
		}
		if le.Uint16(fam[:]) == unix.AF_UNSPEC {
			return 0, s.Disconnect()
		}
	}
	name, err := copyInUnixAddr(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	if name == "" {
		return 0, unix.EINVAL
	}
	if name[0] != 0 {
		if name, err = pathName(t, name); err != nil {
			return 0, err
		}
	}
	return 0, s.Connect(t, name, peerCred(t), f.StatusFlags()&unix.O_NONBLOCK != 0)
}

// Accept implements Linux syscall accept(2).
func Accept(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return accept4(t, a[0], a[1], a[2], 0)
}

// Accept4 implements Linux syscall accept4(2).
func Accept4(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return accept4(t, a[0], a[1], a[2], int(int32(a[3])))
}

func accept4(t *kernel.Task, fd, addr, lenAddr uintptr, flags int) (uintptr, error) {
	if flags&^socketTypeFlags != 0 {
		return 0, unix.EINVAL
	}
	f, s, err := getSocket(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	c, err := s.Accept(t, f.StatusFlags()&unix.O_NONBLOCK != 0)
	if err != nil {
		return 0, err
	}
	// On failure the description took c with it.
	nfd, err := installSocket(t, c, flags)
	if err != nil {
		return 0, err
	}
	peer, _ := c.PeerName()
	var b [sizeofSockaddrStorage]byte
	if err := copyOutAddr(t, addr, lenAddr, encodeUnixAddr(peer, &b)); err != nil {
		t.FDTable().Remove(nfd)
		return 0, err
	}
	return uintptr(nfd), nil
}

// Shutdown implements Linux syscall shutdown(2).
func Shutdown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return 0, s.Shutdown(int(int32(a[1])))
}

// Getsockname implements Linux syscall getsockname(2).
func Getsockname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var b [sizeofSockaddrStorage]byte
	return 0, copyOutAddrAlways(t, a[1], a[2], encodeUnixAddr(s.BoundName(), &b))
}

// Getpeername implements Linux syscall getpeername(2).
func Getpeername(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	name, err := s.PeerName()
	if err != nil {
		return 0, err
	}
	var b [sizeofSockaddrStorage]byte
	return 0, copyOutAddrAlways(t, a[1], a[2], encodeUnixAddr(name, &b))
}

// copyOutAddrAlways is copyOutAddr where the length pointer is required
// (getsockname, getpeername: EFAULT on a bad one).
func copyOutAddrAlways(t *kernel.Task, addr, lenAddr uintptr, sa []byte) error {
	if lenAddr == 0 {
		return unix.EFAULT
	}
	var lb [4]byte
	if _, err := t.CopyIn(lenAddr, lb[:]); err != nil {
		return err
	}
	if int32(le.Uint32(lb[:])) < 0 {
		return unix.EINVAL
	}
	return copyOutAddr(t, addr, lenAddr, sa)
}

// Setsockopt implements Linux syscall setsockopt(2): SOL_SOCKET options.
func Setsockopt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	level, name, optlen := int(int32(a[1])), int(int32(a[2])), int(int32(a[4]))
	if level != unix.SOL_SOCKET {
		return 0, unix.EOPNOTSUPP
	}
	if optlen < 4 {
		return 0, unix.EINVAL
	}
	// No SOL_SOCKET option takes more than a struct timeval.
	var v [16]byte
	val := v[:min(optlen, len(v))]
	if _, err := t.CopyIn(a[3], val); err != nil {
		return 0, err
	}
	return 0, s.SetSockOpt(name, val)
}

// Getsockopt implements Linux syscall getsockopt(2): SOL_SOCKET options.
func Getsockopt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	level, name, valAddr, lenAddr := int(int32(a[1])), int(int32(a[2])), a[3], a[4]
	if level != unix.SOL_SOCKET {
		return 0, unix.EOPNOTSUPP
	}
	var lb [4]byte
	if _, err := t.CopyIn(lenAddr, lb[:]); err != nil {
		return 0, err
	}
	n := int32(le.Uint32(lb[:]))
	if n < 0 {
		return 0, unix.EINVAL
	}
	v, err := s.GetSockOpt(name)
	if err != nil {
		return 0, err
	}
	v = v[:min(int(n), len(v))]
	if _, err := t.CopyOut(valAddr, v); err != nil {
		return 0, err
	}
	le.PutUint32(lb[:], uint32(len(v)))
	_, err = t.CopyOut(lenAddr, lb[:])
	return 0, err
}
