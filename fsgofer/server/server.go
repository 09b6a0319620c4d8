// Package server is the gofer side of the Cocoon file protocol
// (docs/fsgofer-protocol.md): it serves one directory tree over a
// SOCK_SEQPACKET unix socket and donates opened host FDs with SCM_RIGHTS.
//
// Security: the client (the sentry) is untrusted. Every request is decoded
// with bounded lengths; names are single components (never "", ".", "..",
// nor containing "/" or NUL); every path is resolved one component at a
// time with openat(O_PATH|O_NOFOLLOW) from directory FDs the server holds,
// and symlinks are never followed, so no request reaches outside the root.
// Files are re-opened relative to their parent directory FD with O_NOFOLLOW
// and checked to be the same inode (dev, ino) as the FID's.
//
// Locking: one connection is served by one goroutine (the caller of Serve);
// the server's state (FID table, nodes) is owned by it and not locked.
package server

import (
	"errors"
	"fmt"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// MaxFIDs bounds the FIDs one connection may hold open; Walk and the create
// operations answer ENFILE beyond it.
const MaxFIDs = 1 << 18

// server is the state of one connection.
type server struct {
	sock     int
	readOnly bool
	root     *node

	fids    map[proto.FID]*node
	nextFID proto.FID
	// byEntry indexes non-directory nodes by (parent dev/ino, name), so
	// that Rename and Unlink can keep their parent and name current.
	byEntry map[entryKey][]*node

	enc proto.Encoder
	dec proto.Decoder
	buf []byte
	oob []byte
	// dirBuf is the getdents64 buffer.
	dirBuf []byte

	euid, egid uint32
}

// Serve serves rootDir on the connected SOCK_SEQPACKET socket sockFD until
// the peer closes it, and returns nil then. In readOnly mode every mutation
// answers EROFS. Serve sets the process umask to 0 (the sentry applies the
// application's umask itself). Serve closes every FD it opened before
// returning; sockFD stays open and belongs to the caller.
func Serve(sockFD int, rootDir string, readOnly bool) error {
	rootFD, err := unix.Open(rootDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening gofer root %q: %w", rootDir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(rootFD, &st); err != nil {
		unix.Close(rootFD)
		return fmt.Errorf("stat of gofer root %q: %w", rootDir, err)
	}
	if err := unix.SetNonblock(sockFD, false); err != nil {
		unix.Close(rootFD)
		return fmt.Errorf("setting gofer socket blocking: %w", err)
	}
	unix.Umask(0)
	s := &server{
		sock:     sockFD,
		readOnly: readOnly,
		root:     newNode(rootFD, &st, nil, ""),
		fids:     make(map[proto.FID]*node),
		nextFID:  1,
		byEntry:  make(map[entryKey][]*node),
		buf:      make([]byte, proto.MaxMessageSize),
		oob:      make([]byte, proto.OOBSize),
		euid:     uint32(unix.Geteuid()),
		egid:     uint32(unix.Getegid()),
	}
	s.root.refs = 1 // the server's own reference
	defer s.closeAll()
	return s.loop()
}

func (s *server) loop() error {
	for {
		n, fds, err := proto.Recv(s.sock, s.buf, s.oob)
		switch {
		case errors.Is(err, proto.ErrTooBig), errors.Is(err, proto.ErrMalformed):
			if err := s.replyError(unix.EINVAL); err != nil {
				return err
			}
			continue
		case err == unix.ECONNRESET:
			return nil
		case err != nil:
			return fmt.Errorf("receiving gofer request: %w", err)
		case n == 0:
			return nil // peer closed
		}
		if len(fds) > 0 {
			// Clients never send FDs.
			proto.CloseAll(fds)
			if err := s.replyError(unix.EINVAL); err != nil {
				return err
			}
			continue
		}
		if err := s.handle(s.buf[:n]); err != nil {
			return err
		}
	}
}

// handle serves one request and sends its response. It returns an error
// only when the connection is unusable; nil after a peer close seen while
// sending.
func (s *server) handle(msg []byte) error {
	s.dec.Init(msg)
	op := s.dec.Op()
	if s.dec.Err() != nil {
		return s.replyError(unix.EINVAL)
	}
	s.enc.Reset(op)
	fd, err := s.dispatch(op, &s.dec)
	if err != nil {
		return s.replyError(toErrno(err))
	}
	serr := proto.Send(s.sock, s.enc.Bytes(), fd)
	if fd >= 0 {
		unix.Close(fd) // the peer holds its own copy now
	}
	return s.sendErr(serr)
}

func (s *server) dispatch(op proto.Op, d *proto.Decoder) (fd int, err error) {
	fd = -1
	switch op {
	case proto.OpAttach:
		err = s.attach(d)
	case proto.OpWalk:
		err = s.walk(d)
	case proto.OpStat:
		err = s.stat(d)
	case proto.OpSetAttr:
		err = s.setAttr(d)
	case proto.OpOpen:
		fd, err = s.open(d)
	case proto.OpCreate:
		fd, err = s.create(d)
	case proto.OpMkdir:
		err = s.mkdir(d)
	case proto.OpMknod:
		err = s.mknod(d)
	case proto.OpSymlink:
		err = s.symlink(d)
	case proto.OpLink:
		err = s.link(d)
	case proto.OpUnlink:
		err = s.unlink(d)
	case proto.OpRename:
		err = s.rename(d)
	case proto.OpReadlink:
		err = s.readlink(d)
	case proto.OpGetdents:
		err = s.getdents(d)
	case proto.OpStatfs:
		err = s.statfs(d)
	case proto.OpClose:
		err = s.closeFIDs(d)
	default:
		err = unix.ENOSYS
	}
	return fd, err
}

func (s *server) replyError(e unix.Errno) error {
	s.enc.Reset(proto.OpError)
	s.enc.U32(uint32(e))
	return s.sendErr(proto.Send(s.sock, s.enc.Bytes(), -1))
}

// sendErr turns a send failure into Serve's result: a closed peer is a
// clean end (the next receive sees EOF), anything else is fatal.
func (s *server) sendErr(err error) error {
	if err == nil || err == unix.EPIPE || err == unix.ECONNRESET {
		return nil
	}
	return fmt.Errorf("sending gofer response: %w", err)
}

// toErrno maps a handler error to the errno put on the wire.
func toErrno(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) && e != 0 {
		return e
	}
	if errors.Is(err, proto.ErrMalformed) {
		return unix.EINVAL
	}
	return unix.EIO
}

// finish checks that the request was decoded completely.
func finish(d *proto.Decoder) error {
	if d.Finish() != nil {
		return unix.EINVAL
	}
	return nil
}

// mutation answers EROFS in read-only mode.
func (s *server) mutation() error {
	if s.readOnly {
		return unix.EROFS
	}
	return nil
}
