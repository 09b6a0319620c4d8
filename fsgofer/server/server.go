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
// Concurrency: requests are served concurrently, each by one worker
// goroutine from receiving it to sending its response (tags let the
// client match responses). Workers take turns at recvmsg on the socket:
// one that gets a request starts another if none is left receiving (up to
// MaxWorkers), and keeps at most two idle, so a slow request (a large
// directory, a slow host file system) does not hold up the others and
// one request at a time costs no goroutine hand-off.
//
// Locking: conn.mu guards the FID table, the entry index and every node's
// parent, name and refs; it is held across no blocking call (only close(2)
// of released FDs). A request pins each node it uses with a reference, so
// no FD it uses is closed under it. conn.mutateMu serializes the requests
// that change names (Create, Mkdir, Mknod, Symlink, Link, Unlink, Rename),
// so that each one's host change and its index update go together; it is
// taken before mu. node.dirMu guards a directory's listing FD.
package server

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// MaxFIDs bounds the FIDs one connection may hold open; Walk and the create
// operations answer ENFILE beyond it.
const MaxFIDs = 1 << 18

// MaxWorkers bounds the requests of one connection served at once; more
// wait in the socket.
const MaxWorkers = 64

// conn is the state of one connection, shared by its workers.
type conn struct {
	sock     int
	readOnly bool
	root     *node
	// rootIO is the open file a file root's opens duplicate (ServeFile),
	// or -1.
	rootIO int
	euid   uint32
	egid   uint32

	// mutateMu serializes the requests that change names.
	mutateMu sync.Mutex

	mu sync.Mutex
	// The fields below, and every node's parent, name and refs, are
	// guarded by mu.
	fids    map[proto.FID]*node
	nextFID proto.FID
	// byEntry indexes non-directory nodes by (parent dev/ino, name), so
	// that Rename and Unlink can keep their parent and name current.
	byEntry map[entryKey][]*node

	workersMu sync.Mutex
	// idle counts workers receiving, total all workers; fatal is the
	// first error that ended the connection. Guarded by workersMu.
	idle, total int
	fatal       error
	workers     sync.WaitGroup
}

// server is one worker of a connection: the buffers of the request it
// serves. Ops are its methods; the connection's state is promoted.
type server struct {
	*conn
	enc proto.Encoder
	dec proto.Decoder
	buf []byte
	oob []byte
	// dirBuf is the getdents64 buffer, made on first use.
	dirBuf []byte
}

// Serve serves rootDir on the connected SOCK_SEQPACKET socket sockFD until
// the peer closes it, and returns nil then. In readOnly mode every mutation
// answers EROFS. Serve sets the process umask to 0 (the sentry applies the
// application's umask itself). Serve closes every FD it opened before
// returning; sockFD stays open and belongs to the caller (after a failure
// it is shut down, to stop the other workers).
func Serve(sockFD int, rootDir string, readOnly bool) error {
	rootFD, err := unix.Open(rootDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening gofer root %q: %w", rootDir, err)
	}
	return ServeFD(sockFD, rootFD, readOnly)
}

// ServeFD is Serve with the root already open: rootFD, an O_PATH
// descriptor of a directory, which ServeFD takes over and closes.
func ServeFD(sockFD, rootFD int, readOnly bool) error {
	return serve(sockFD, rootFD, -1, readOnly)
}

// ServeFile serves a single file as the root (a file bind mount): pathFD
// is an O_PATH descriptor of it and ioFD the file opened for I/O (read and
// write, or read only when readOnly), which every open of the root
// duplicates, since a file root has no parent to re-open it in. ServeFile
// takes both over and closes them.
func ServeFile(sockFD, pathFD, ioFD int, readOnly bool) error {
	defer unix.Close(ioFD)
	return serve(sockFD, pathFD, ioFD, readOnly)
}

func serve(sockFD, rootFD, rootIO int, readOnly bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(rootFD, &st); err != nil {
		unix.Close(rootFD)
		return fmt.Errorf("stat of gofer root: %w", err)
	}
	if err := unix.SetNonblock(sockFD, false); err != nil {
		unix.Close(rootFD)
		return fmt.Errorf("setting gofer socket blocking: %w", err)
	}
	unix.Umask(0)
	c := &conn{
		sock:     sockFD,
		readOnly: readOnly,
		rootIO:   rootIO,
		root:     newNode(rootFD, &st, nil, ""),
		fids:     make(map[proto.FID]*node),
		nextFID:  1,
		byEntry:  make(map[entryKey][]*node),
		euid:     uint32(unix.Geteuid()),
		egid:     uint32(unix.Getegid()),
	}
	c.root.refs = 1 // the connection's own reference
	c.idle, c.total = 1, 1
	c.workers.Add(1)
	go c.work()
	c.workers.Wait()
	c.closeAll()
	return c.fatal
}

// work is one worker: it receives a request, serves it, and goes back to
// receiving, or ends when enough others are.
func (c *conn) work() {
	defer c.workers.Done()
	s := &server{conn: c, buf: make([]byte, proto.MaxMessageSize), oob: make([]byte, proto.OOBSize)}
	for {
		n, fds, err := proto.Recv(c.sock, s.buf, s.oob)
		if c.received(err == nil && n > 0) {
			go c.work()
		}
		if err := s.serve(n, fds, err); err != nil {
			c.end(err)
			return
		}
		if !c.served() {
			return
		}
	}
}

// received notes that a worker stopped receiving (with a request if
// request), and says whether to start another so that one is left
// receiving.
func (c *conn) received(request bool) bool {
	c.workersMu.Lock()
	defer c.workersMu.Unlock()
	c.idle--
	if !request || c.idle > 0 || c.total >= MaxWorkers || c.fatal != nil {
		return false
	}
	c.idle++
	c.total++
	c.workers.Add(1)
	return true
}

// served notes that a worker is done with its request, and says whether
// it should receive again: not if two others are idle already.
func (c *conn) served() bool {
	c.workersMu.Lock()
	defer c.workersMu.Unlock()
	if c.idle >= 2 {
		c.total--
		return false
	}
	c.idle++
	return true
}

// end ends the connection for every worker: the peer closed it (err is
// errPeerClosed) or it failed. shutdown(2) wakes the workers in recvmsg.
func (c *conn) end(err error) {
	c.workersMu.Lock()
	defer c.workersMu.Unlock()
	c.total--
	if c.fatal == nil && err != errPeerClosed {
		c.fatal = err
		unix.Shutdown(c.sock, unix.SHUT_RDWR)
	}
}

// testHookDispatch, if set, is called before each request is served: for
// tests that make a request slow. Set only while no connection is served.
var testHookDispatch func(op proto.Op)

// errPeerClosed ends a worker when the client has gone.
var errPeerClosed = errors.New("peer closed")

// serve handles what Recv returned: a request, a bad packet, the peer's
// end, or a failure (returned).
func (s *server) serve(n int, fds []int, err error) error {
	switch {
	case errors.Is(err, proto.ErrTooBig), errors.Is(err, proto.ErrMalformed):
		// The header is lost with the packet: tag 0.
		return s.replyError(0, unix.EINVAL)
	case err == unix.ECONNRESET:
		return errPeerClosed
	case err != nil:
		return fmt.Errorf("receiving gofer request: %w", err)
	case n == 0:
		return errPeerClosed
	}
	tag, _ := proto.PeekTag(s.buf[:n])
	if len(fds) > 0 {
		// Clients never send FDs.
		proto.CloseAll(fds)
		return s.replyError(tag, unix.EINVAL)
	}
	return s.handle(s.buf[:n])
}

// handle serves one request and sends its response. It returns an error
// only when the connection is unusable, errPeerClosed after a peer close
// seen while sending.
func (s *server) handle(msg []byte) error {
	s.dec.Init(msg)
	op, tag := s.dec.Header()
	if s.dec.Err() != nil {
		return s.replyError(tag, unix.EINVAL) // too short for a tag: 0
	}
	s.enc.Reset(op, tag)
	if testHookDispatch != nil {
		testHookDispatch(op)
	}
	fd, err := s.dispatch(op, &s.dec)
	if err != nil {
		return s.replyError(tag, toErrno(err))
	}
	serr := proto.Send(s.sock, s.enc.Bytes(), fd)
	if fd >= 0 {
		unix.Close(fd) // the peer holds its own copy now
	}
	return sendErr(serr)
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

func (s *server) replyError(tag proto.Tag, e unix.Errno) error {
	s.enc.Reset(proto.OpError, tag)
	s.enc.U32(uint32(e))
	return sendErr(proto.Send(s.sock, s.enc.Bytes(), -1))
}

// sendErr turns a send failure into the worker's result: a closed peer is
// a clean end, anything else is fatal.
func sendErr(err error) error {
	switch {
	case err == nil:
		return nil
	case err == unix.EPIPE || err == unix.ECONNRESET:
		return errPeerClosed
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
