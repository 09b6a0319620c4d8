// Package host implements vfs.FileImpl over a host file descriptor
// donated to the sandbox, such as the container's stdio. The FD is shared
// with the world outside, so its offset and status flags are the host's:
// reads and writes use read(2)/write(2) at the host offset (output lands
// after what a shell already wrote to the same file), lseek is the host's,
// and the host FD's O_NONBLOCK flag is never changed. Blocking waits are
// done with a private edge-triggered host epoll on the FD and an eventfd,
// in a helper goroutine (wait.go), so that the task can be interrupted by
// signals.
//
// Locking: File.mu guards the sentry-side terminal state (foreground
// process group) and the description's status flags. Host calls are made
// without locks held.
package host

import (
	"encoding/binary"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// File is an open host FD.
type File struct {
	fd       int
	ftype    vfs.FileType
	seekable bool
	// tty is the terminal's state when fd is one, shared by every File
	// of that terminal; nil otherwise. Immutable.
	tty *Terminal

	mu sync.Mutex
	// flags are the description's status flags (vfs.StatusFlagsObserver).
	flags uint32
	// closed is set by Release.
	closed bool
	// watchers are the goroutines serving EventRegister.
	watchers map[*vfs.WaitEntry]*watcher

	// canPoll caches the host's answer for CanPoll.
	canPollOnce sync.Once
	canPoll     bool
}

var (
	_ vfs.FileImpl            = (*File)(nil)
	_ vfs.OffsetOwner         = (*File)(nil)
	_ vfs.FileStater          = (*File)(nil)
	_ vfs.StatusFlagsObserver = (*File)(nil)
	_ vfs.Waitable            = (*File)(nil)
	_ vfs.Syncer              = (*File)(nil)
	_ vfs.FileNamer           = (*File)(nil)
)

// NewFile wraps host FD fd, taking ownership of it (Release closes it).
// Wrap it in a description with vfs.NewFileDescription(f, flags, nil),
// where flags' access mode should match how fd was opened (see Flags).
func NewFile(fd int) (*File, error) {
	var st unix.Stat_t
	if err := fstat(fd, &st); err != nil {
		return nil, err
	}
	f := &File{fd: fd, ftype: vfs.FileType(st.Mode) & vfs.TypeMask}
	f.seekable = f.ftype == vfs.TypeRegular || f.ftype == vfs.TypeBlockDev
	if f.ftype == vfs.TypeCharDev {
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			f.tty = &Terminal{}
		}
	}
	return f, nil
}

// Flags returns the access mode and status flags the host FD has
// (fcntl F_GETFL), to pass to vfs.NewFileDescription.
func Flags(fd int) (uint32, error) {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return 0, err
	}
	return uint32(fl) & (unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK), nil
}

// NewDescription wraps host FD fd in a file description with the host's
// access mode and flags; it takes ownership of fd.
func NewDescription(fd int) (*vfs.FileDescription, error) {
	flags, err := Flags(fd)
	if err != nil {
		return nil, err
	}
	f, err := NewFile(fd)
	if err != nil {
		return nil, err
	}
	return vfs.NewFileDescription(f, flags, nil), nil
}

// Name implements vfs.FileNamer: what /proc/self/fd/N shows. The host
// path is unknown to the sandbox; pipes and sockets get Linux's names.
func (f *File) Name() string {
	if f.tty != nil {
		if name := f.tty.named(); name != "" {
			return name
		}
	}
	var st unix.Stat_t
	if err := fstat(f.fd, &st); err != nil {
		return "host:[" + strconv.Itoa(f.fd) + "]"
	}
	switch f.ftype {
	case vfs.TypeFIFO:
		return "pipe:[" + strconv.FormatUint(st.Ino, 10) + "]"
	case vfs.TypeSocket:
		return "socket:[" + strconv.FormatUint(st.Ino, 10) + "]"
	}
	return "host:[" + strconv.FormatUint(st.Ino, 10) + "]"
}

// FD returns the host FD.
func (f *File) FD() int { return f.fd }

// IsTTY says whether the host FD is a terminal.
func (f *File) IsTTY() bool { return f.tty != nil }

// Terminal returns the terminal's shared state, nil if the FD is none.
func (f *File) Terminal() *Terminal { return f.tty }

// SetForegroundPGID sets the terminal's foreground process group as the
// sandbox sees it (TIOCGPGRP answers it; TIOCSPGRP changes it).
func (f *File) SetForegroundPGID(pgid int32) { f.tty.SetForegroundPGID(pgid) }

// ForegroundPGID returns the terminal's foreground process group as the
// sandbox sees it (0: none set).
func (f *File) ForegroundPGID() int32 { return f.tty.ForegroundPGID() }

// Reopen returns a new File on a duplicate of the host FD that shares
// the terminal's state: another open of the same terminal.
func (f *File) Reopen() (*File, error) {
	dup, err := unix.FcntlInt(uintptr(f.fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, hostErr(err)
	}
	n := &File{fd: dup, ftype: f.ftype, seekable: f.seekable, tty: f.tty}
	return n, nil
}

// SetStatusFlags implements vfs.StatusFlagsObserver.
func (f *File) SetStatusFlags(flags uint32) {
	f.mu.Lock()
	f.flags = flags
	f.mu.Unlock()
}

func (f *File) nonBlocking() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flags&unix.O_NONBLOCK != 0
}

// Read implements vfs.FileImpl: read(2) at the host offset when off < 0,
// pread(2) otherwise. A read that would block waits interruptibly unless
// the description is non-blocking (EAGAIN).
func (f *File) Read(ctx vfs.Context, dst []byte, off int64) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	for {
		if !f.seekable {
			if err := f.waitFor(ctx, unix.POLLIN); err != nil {
				return 0, err
			}
		}
		var n int
		var err error
		if off >= 0 {
			n, err = unix.Pread(f.fd, dst, off)
		} else {
			n, err = unix.Read(f.fd, dst)
		}
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			// The host FD is itself non-blocking and another reader
			// won the race: wait again, unless we must not.
			if f.nonBlocking() {
				return 0, unix.EAGAIN
			}
			continue
		default:
			return 0, hostErr(err)
		}
	}
}

// Write implements vfs.FileImpl: write(2) at the host offset (so output
// lands after what others wrote) when off < 0, pwrite(2) otherwise.
func (f *File) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	done := 0
	for done < len(src) {
		if !f.seekable {
			if err := f.waitFor(ctx, unix.POLLOUT); err != nil {
				if done > 0 {
					return done, nil
				}
				return 0, err
			}
		}
		var n int
		var err error
		if off >= 0 {
			n, err = unix.Pwrite(f.fd, src[done:], off+int64(done))
		} else {
			n, err = unix.Write(f.fd, src[done:])
		}
		switch err {
		case nil:
			done += n
			if n == 0 {
				return done, nil
			}
		case unix.EINTR:
		case unix.EAGAIN:
			if f.nonBlocking() {
				if done > 0 {
					return done, nil
				}
				return 0, unix.EAGAIN
			}
		default:
			if done > 0 {
				return done, nil
			}
			return 0, hostErr(err)
		}
	}
	return done, nil
}

// hostErr passes host errnos on; EPIPE stays EPIPE (the syscall layer
// raises SIGPIPE).
func hostErr(err error) error {
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

// Seekable implements vfs.FileImpl: regular files and block devices.
func (f *File) Seekable() bool { return f.seekable }

// Seek implements vfs.OffsetOwner with the host's lseek.
func (f *File) Seek(ctx vfs.Context, offset int64, whence int) (int64, error) {
	if !f.seekable {
		return 0, unix.ESPIPE
	}
	off, err := unix.Seek(f.fd, offset, whence)
	if err != nil {
		return 0, hostErr(err)
	}
	return off, nil
}

// Stat implements vfs.FileStater with fstat(2).
func (f *File) Stat(ctx vfs.Context) (vfs.Attr, error) {
	var st unix.Stat_t
	if err := fstat(f.fd, &st); err != nil {
		return vfs.Attr{}, err
	}
	a := vfs.AttrFromStat(&st)
	if f.tty != nil {
		f.tty.overrideAttr(&a)
	}
	return a, nil
}

func fstat(fd int, st *unix.Stat_t) error {
	for {
		err := unix.Fstat(fd, st)
		if err != unix.EINTR {
			if err != nil {
				return hostErr(err)
			}
			return nil
		}
	}
}

// Sync implements vfs.Syncer.
func (f *File) Sync(ctx vfs.Context) error {
	if f.ftype != vfs.TypeRegular {
		return nil
	}
	if err := unix.Fsync(f.fd); err != nil && err != unix.EINVAL {
		return hostErr(err)
	}
	return nil
}

// Readiness implements vfs.FileImpl with a zero-timeout poll(2).
func (f *File) Readiness(mask uint32) uint32 {
	if f.seekable {
		return mask & (vfs.EventReadable | vfs.EventWritable)
	}
	fds := []unix.PollFd{{Fd: int32(f.fd), Events: int16(mask & 0xffff)}}
	for {
		_, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return mask & linux.POLLERR
		}
		return uint32(uint16(fds[0].Revents)) & (mask | linux.POLLERR | linux.POLLHUP | linux.POLLNVAL)
	}
}

// Release implements vfs.FileImpl: it closes the host FD.
func (f *File) Release() {
	f.mu.Lock()
	closed := f.closed
	f.closed = true
	ws := f.watchers
	f.watchers = nil
	f.mu.Unlock()
	for _, w := range ws {
		w.stop()
	}
	if !closed {
		unix.Close(f.fd)
	}
}

// Terminal ioctls (asm-generic/ioctls.h).
const (
	tcgets     = 0x5401
	tcsets     = 0x5402
	tcsetsw    = 0x5403
	tcsetsf    = 0x5404
	tiocgpgrp  = 0x540f
	tiocspgrp  = 0x5410
	tiocgwinsz = 0x5413
	tiocswinsz = 0x5414
	fionread   = 0x541b
	// termiosSize is sizeof(struct termios) as TCGETS copies it.
	termiosSize = 36
)

// Ioctl implements vfs.FileImpl: terminal ioctls pass through to a host
// terminal (the foreground process group is kept in the sandbox); FIONREAD
// passes through for any FD; others are ENOTTY.
func (f *File) Ioctl(ctx vfs.Context, io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd == fionread {
		n, err := unix.IoctlGetInt(f.fd, fionread)
		if err != nil {
			return 0, hostErr(err)
		}
		return 0, copyOutU32(io, arg, uint32(n))
	}
	if f.tty == nil {
		return 0, unix.ENOTTY
	}
	switch cmd {
	case tcgets:
		t, err := unix.IoctlGetTermios(f.fd, unix.TCGETS)
		if err != nil {
			return 0, hostErr(err)
		}
		var b [termiosSize]byte
		binary.LittleEndian.PutUint32(b[0:], t.Iflag)
		binary.LittleEndian.PutUint32(b[4:], t.Oflag)
		binary.LittleEndian.PutUint32(b[8:], t.Cflag)
		binary.LittleEndian.PutUint32(b[12:], t.Lflag)
		b[16] = t.Line
		copy(b[17:], t.Cc[:])
		_, err = io.CopyOut(arg, b[:])
		return 0, err
	case tcsets, tcsetsw, tcsetsf:
		var b [termiosSize]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		t, err := unix.IoctlGetTermios(f.fd, unix.TCGETS)
		if err != nil {
			return 0, hostErr(err)
		}
		t.Iflag = binary.LittleEndian.Uint32(b[0:])
		t.Oflag = binary.LittleEndian.Uint32(b[4:])
		t.Cflag = binary.LittleEndian.Uint32(b[8:])
		t.Lflag = binary.LittleEndian.Uint32(b[12:])
		t.Line = b[16]
		copy(t.Cc[:], b[17:])
		req := map[uint32]uint{tcsets: unix.TCSETS, tcsetsw: unix.TCSETSW, tcsetsf: unix.TCSETSF}[cmd]
		if err := unix.IoctlSetTermios(f.fd, req, t); err != nil {
			return 0, hostErr(err)
		}
		return 0, nil
	case tiocgwinsz:
		ws, err := unix.IoctlGetWinsize(f.fd, unix.TIOCGWINSZ)
		if err != nil {
			return 0, hostErr(err)
		}
		var b [8]byte
		binary.LittleEndian.PutUint16(b[0:], ws.Row)
		binary.LittleEndian.PutUint16(b[2:], ws.Col)
		binary.LittleEndian.PutUint16(b[4:], ws.Xpixel)
		binary.LittleEndian.PutUint16(b[6:], ws.Ypixel)
		_, err = io.CopyOut(arg, b[:])
		return 0, err
	case tiocswinsz:
		var b [8]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		ws := unix.Winsize{Row: binary.LittleEndian.Uint16(b[0:]), Col: binary.LittleEndian.Uint16(b[2:]),
			Xpixel: binary.LittleEndian.Uint16(b[4:]), Ypixel: binary.LittleEndian.Uint16(b[6:])}
		if err := unix.IoctlSetWinsize(f.fd, unix.TIOCSWINSZ, &ws); err != nil {
			return 0, hostErr(err)
		}
		return 0, nil
	case tiocgpgrp:
		pg := f.tty.ForegroundPGID()
		if pg == 0 {
			return 0, unix.ENOTTY
		}
		return 0, copyOutU32(io, arg, uint32(pg))
	case tiocspgrp:
		var b [4]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		pg := int32(binary.LittleEndian.Uint32(b[:]))
		if pg <= 0 {
			return 0, unix.EINVAL
		}
		f.SetForegroundPGID(pg)
		return 0, nil
	}
	return 0, unix.ENOTTY
}

func copyOutU32(io vfs.IO, addr uintptr, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	_, err := io.CopyOut(addr, b[:])
	return err
}
