package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	unixsocket "github.com/cocoon-sandbox/cocoon/sentry/socket/unix"
)

// This file moves data through sockets: send, recv and their msg forms
// with control messages, and read/write on a socket. A send gathers the
// application's buffers once into the task's scratch buffer and the
// socket copies that into its queue; a receive copies from the queue
// into scratch (a stream) and scatters it, or scatters a datagram
// straight from its queued message.

// Layout of struct msghdr and struct cmsghdr on x86-64.
const (
	sizeofMsghdr   = 56
	msgNameOff     = 0
	msgNamelenOff  = 8
	msgIovOff      = 16
	msgIovlenOff   = 24
	msgControlOff  = 32
	msgControlLOff = 40
	msgFlagsOff    = 48
	sizeofCmsghdr  = 16
	// scmMaxFD is SCM_MAX_FD, the most files one message carries.
	scmMaxFD = 253
	// maxControlLen bounds msg_controllen on send (Linux: optmem_max,
	// ENOBUFS beyond).
	maxControlLen = 128 << 10
	// maxMessage bounds the bytes gathered for one datagram: a larger
	// one cannot fit any SO_SNDBUF.
	maxMessage = 2 * unixsocket.MaxBufferSize
)

// cmsgAlign is CMSG_ALIGN.
func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// Sendto implements Linux syscall sendto(2).
func Sendto(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	iov := [1]iovec{{base: a[1], len: int(min(a[2], maxRWCount))}}
	return ioDone(sendMsg(t, a[0], iov[:], int(int32(a[3])), a[4], a[5], 0, 0))
}

// Recvfrom implements Linux syscall recvfrom(2).
func Recvfrom(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	iov := [1]iovec{{base: a[1], len: int(min(a[2], maxRWCount))}}
	r, err := socketRecv(t, s, iov[:], int(int32(a[3])))
	if err != nil {
		return 0, err
	}
	r.control.Release()
	var b [sizeofSockaddrStorage]byte
	if err := copyOutAddr(t, a[4], a[5], senderAddr(r.from, &b)); err != nil {
		return 0, err
	}
	return uintptr(r.n), nil
}

// senderAddr is a received message's source address: empty (length 0)
// for an unnamed sender, as Linux's unix_copy_addr.
func senderAddr(from string, b *[sizeofSockaddrStorage]byte) []byte {
	if from == "" {
		return nil
	}
	return encodeUnixAddr(from, b)
}

// Sendmsg implements Linux syscall sendmsg(2).
func Sendmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return ioDone(sendMsghdr(t, a[0], a[1], int(int32(a[2]))))
}

// sendMsghdr sends the message the struct msghdr at addr describes on the
// socket at fd.
func sendMsghdr(t *kernel.Task, fd, addr uintptr, flags int) (int, error) {
	var h [sizeofMsghdr]byte
	var small [8]iovec
	iovs, err := copyInMsghdr(t, addr, &h, small[:])
	if err != nil {
		return 0, err
	}
	ctlLen := le.Uint64(h[msgControlLOff:])
	if ctlLen > maxControlLen {
		return 0, unix.ENOBUFS
	}
	return sendMsg(t, fd, iovs, flags, uintptr(le.Uint64(h[msgNameOff:])),
		uintptr(le.Uint32(h[msgNamelenOff:])), uintptr(le.Uint64(h[msgControlOff:])), int(ctlLen))
}

// copyInMsghdr reads the struct msghdr at addr into h and its iovecs
// (into small when they fit): EMSGSIZE beyond UIO_MAXIOV, as Linux's
// sendmsg and recvmsg.
func copyInMsghdr(t *kernel.Task, addr uintptr, h *[sizeofMsghdr]byte, small []iovec) ([]iovec, error) {
	if _, err := t.CopyIn(addr, h[:]); err != nil {
		return nil, err
	}
	iovlen := uintptr(le.Uint64(h[msgIovlenOff:]))
	if iovlen > uioMaxIOV {
		return nil, unix.EMSGSIZE
	}
	iovs, _, err := copyInIovecs(t, uintptr(le.Uint64(h[msgIovOff:])), iovlen, small)
	return iovs, err
}

// sendMsg sends the iovecs on the socket at fd, to the address at
// nameAddr if given, with the control messages at ctlAddr.
func sendMsg(t *kernel.Task, fd uintptr, iovs []iovec, flags int, nameAddr, nameLen, ctlAddr uintptr, ctlLen int) (int, error) {
	f, s, err := getSocket(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	o := unixsocket.SendOptions{Flags: flags, Self: selfCred(t), InflightLimit: int64(t.FDTable().Limit())}
	if nameAddr != 0 && nameLen != 0 {
		name, err := copyInUnixAddr(t, nameAddr, nameLen)
		if err != nil {
			return 0, err
		}
		if name != "" && name[0] != 0 && s.Type() == unix.SOCK_DGRAM {
			if name, err = pathName(t, name); err != nil {
				return 0, err
			}
		}
		o.To, o.HasTo = name, true
	}
	if ctlLen > 0 {
		if o.Control, err = copyInControl(t, ctlAddr, ctlLen); err != nil {
			return 0, err
		}
	}
	return socketSend(t, s, iovs, o)
}

// selfCred is the caller's identity as SCM_CREDENTIALS shows it: its
// process and real IDs.
func selfCred(t *kernel.Task) unixsocket.Cred {
	c := t.Credentials()
	return unixsocket.Cred{PID: t.ThreadGroup().ID(), UID: c.RUID, GID: c.RGID}
}

// socketSend gathers the iovecs and sends them, o.Control with the first
// bytes: a datagram or seqpacket message whole, a stream in scratch-sized
// chunks. EPIPE on a stream raises SIGPIPE unless MSG_NOSIGNAL.
func socketSend(t *kernel.Task, s *unixsocket.Socket, iovs []iovec, o unixsocket.SendOptions) (int, error) {
	n, err := socketSendChunks(t, s, iovs, &o)
	o.Control.Release()
	if err == unix.EPIPE && s.Type() == unix.SOCK_STREAM && o.Flags&unix.MSG_NOSIGNAL == 0 {
		t.SendSignalNo(linux.SIGPIPE)
	}
	return n, err
}

func socketSendChunks(t *kernel.Task, s *unixsocket.Socket, iovs []iovec, o *unixsocket.SendOptions) (int, error) {
	requested := 0
	for _, v := range iovs {
		requested += v.len
	}
	iovs, total, short := accessiblePrefix(t, iovs, true)
	stream := s.Type() == unix.SOCK_STREAM
	if short && (total == 0 || !stream) {
		return 0, unix.EFAULT
	}
	if !stream && total > maxMessage {
		return 0, unix.EMSGSIZE
	}
	size := total
	if stream {
		size = min(total, kernel.ScratchMax)
	}
	buf := t.Scratch(size)
	cur, curOff := 0, 0
	done := 0
	for {
		chunk := buf[:min(total-done, len(buf))]
		if err := gather(t, iovs, &cur, &curOff, chunk); err != nil {
			return partial(done, err)
		}
		// Send takes the control messages over.
		opts := *o
		o.Control = unixsocket.Control{}
		w, err := s.Send(t, chunk, opts)
		done += w
		if err != nil {
			return partial(done, err)
		}
		if done >= total || w < len(chunk) {
			return done, nil
		}
	}
}

// partial is the outcome of a transfer stopped by err: the bytes moved if
// any (the error is dropped), else err.
func partial(done int, err error) (int, error) {
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// received is what socketRecv delivered.
type received struct {
	// n is the return value: bytes delivered, or a datagram's full
	// length with MSG_TRUNC.
	n int
	// flags are the msg_flags out (MSG_TRUNC).
	flags   int
	from    string
	control unixsocket.Control
}

// socketRecv receives into the iovecs. The memory is checked first, so
// that a bad buffer fails with EFAULT without taking data.
func socketRecv(t *kernel.Task, s *unixsocket.Socket, iovs []iovec, flags int) (received, error) {
	requested := 0
	for _, v := range iovs {
		requested += v.len
	}
	iovs, total, short := accessiblePrefix(t, iovs, false)
	if short && total == 0 {
		return received{}, unix.EFAULT
	}
	stream := s.Type() == unix.SOCK_STREAM
	var dst []byte
	if stream {
		dst = t.Scratch(min(total, kernel.ScratchMax))
	}
	var out received
	cur, curOff := 0, 0
	for {
		r, err := s.Recv(t, dst, flags)
		if err != nil {
			if out.n > 0 {
				return out, nil
			}
			return out, err
		}
		data := r.Data
		if len(data) > total-out.n {
			out.flags |= unix.MSG_TRUNC
			data = data[:total-out.n]
		}
		if err := scatter(t, iovs, &cur, &curOff, data); err != nil {
			r.Control.Release()
			return out, err
		}
		if out.n == 0 {
			out.from, out.control = r.From, r.Control
		} else {
			r.Control.Release()
		}
		out.n += len(data)
		if !stream {
			if flags&unix.MSG_TRUNC != 0 {
				out.n = len(r.Data)
			}
			return out, nil
		}
		// A stream's MSG_WAITALL beyond one scratch buffer takes more.
		if flags&unix.MSG_WAITALL == 0 || flags&unix.MSG_PEEK != 0 || len(data) < len(dst) ||
			out.n >= total || out.control.Rights != nil || out.control.Cred != nil {
			return out, nil
		}
		dst = dst[:min(total-out.n, len(dst))]
	}
}

// Recvmsg implements Linux syscall recvmsg(2).
func Recvmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	n, err := recvMsghdr(t, s, a[1], int(int32(a[2])))
	return uintptr(n), err
}

// recvMsghdr receives into the message the struct msghdr at addr
// describes, and writes back its name and control lengths and flags.
func recvMsghdr(t *kernel.Task, s *unixsocket.Socket, addr uintptr, flags int) (int, error) {
	var h [sizeofMsghdr]byte
	var small [8]iovec
	iovs, err := copyInMsghdr(t, addr, &h, small[:])
	if err != nil {
		return 0, err
	}
	r, err := socketRecv(t, s, iovs, flags)
	if err != nil {
		return 0, err
	}
	ctlAddr, ctlLen := uintptr(le.Uint64(h[msgControlOff:])), int(min(le.Uint64(h[msgControlLOff:]), maxControlLen))
	used, ctrunc, err := putControl(t, ctlAddr, ctlLen, &r.control, flags&unix.MSG_CMSG_CLOEXEC != 0)
	if err != nil {
		return 0, err
	}
	if ctrunc {
		r.flags |= unix.MSG_CTRUNC
	}
	if nameAddr := uintptr(le.Uint64(h[msgNameOff:])); nameAddr != 0 {
		var b [sizeofSockaddrStorage]byte
		sa := senderAddr(r.from, &b)
		if c := min(int(int32(le.Uint32(h[msgNamelenOff:]))), len(sa)); c > 0 {
			if _, err := t.CopyOut(nameAddr, sa[:c]); err != nil {
				return 0, err
			}
		}
		le.PutUint32(h[msgNamelenOff:], uint32(len(sa)))
	}
	le.PutUint64(h[msgControlLOff:], uint64(used))
	le.PutUint32(h[msgFlagsOff:], uint32(r.flags))
	if _, err := t.CopyOut(addr, h[:]); err != nil {
		return 0, err
	}
	return r.n, nil
}

// socketIO is read(2), write(2), readv(2) and writev(2) on a socket:
// recv and send without flags (the socket follows O_NONBLOCK itself). A
// read of nothing returns 0 at once; a write of nothing still sends (an
// empty datagram).
func socketIO(t *kernel.Task, s *unixsocket.Socket, iovs []iovec, write bool) (int, error) {
	if write {
		return socketSend(t, s, iovs, unixsocket.SendOptions{Self: selfCred(t)})
	}
	total := 0
	for _, v := range iovs {
		total += v.len
	}
	if total == 0 {
		return 0, nil
	}
	r, err := socketRecv(t, s, iovs, 0 /* flags */)
	r.control.Release()
	return r.n, err
}
