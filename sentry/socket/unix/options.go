package unix

import (
	"encoding/binary"
	"math"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file holds shutdown(2), the SOL_SOCKET options and the socket
// ioctls.

// Shutdown implements shutdown(2) with how SHUT_RD, SHUT_WR or SHUT_RDWR,
// as Linux's unix_shutdown: the socket stops receiving and/or sending,
// and a connected stream or seqpacket peer stops the other way.
func (s *Socket) Shutdown(how int) error {
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return unix.EINVAL
	}
	mode := how + 1 // shutRcv, shutSend or shutBoth
	s.mu.Lock()
	s.shutdown |= mode
	peer := s.peer
	s.mu.Unlock()
	s.Notify(endEvents)
	if peer == nil || !s.connectionOriented() {
		return nil
	}
	peerMode := 0
	if mode&shutRcv != 0 {
		peerMode |= shutSend
	}
	if mode&shutSend != 0 {
		peerMode |= shutRcv
	}
	peer.mu.Lock()
	if peer.peer == s {
		peer.shutdown |= peerMode
	}
	peer.mu.Unlock()
	peer.Notify(endEvents)
	return nil
}

// recordedOptions are SOL_SOCKET options that are kept and reported but
// change nothing for a unix socket (as on Linux, where they matter to
// other families).
var recordedOptions = map[int]bool{
	unix.SO_REUSEADDR: true,
	unix.SO_REUSEPORT: true,
	unix.SO_KEEPALIVE: true,
	unix.SO_BROADCAST: true,
	unix.SO_DONTROUTE: true,
	unix.SO_OOBINLINE: true,
	unix.SO_PRIORITY:  true,
}

// GetSockOpt returns the value of SOL_SOCKET option name: a native int
// for most, struct ucred for SO_PEERCRED; ENOPROTOOPT for options it
// does not know.
func (s *Socket) GetSockOpt(name int) ([]byte, error) {
	var v int32
	switch name {
	case unix.SO_TYPE:
		v = int32(s.stype)
	case unix.SO_DOMAIN:
		v = unix.AF_UNIX
	case unix.SO_PROTOCOL:
		v = 0
	case unix.SO_ERROR:
		s.mu.Lock()
		v = int32(s.err)
		s.err = 0
		s.mu.Unlock()
	case unix.SO_SNDBUF:
		v = int32(s.sndbuf.Load())
	case unix.SO_RCVBUF:
		v = int32(s.rcvbuf.Load())
	case unix.SO_ACCEPTCONN:
		s.mu.Lock()
		if s.state == stateListening {
			v = 1
		}
		s.mu.Unlock()
	case unix.SO_PASSCRED:
		if s.passcred.Load() {
			v = 1
		}
	case unix.SO_PEERCRED:
		s.mu.Lock()
		// Linux's cred_to_ucred without a peer: no process, IDs -1.
		c := Cred{PID: 0, UID: ^uint32(0), GID: ^uint32(0)}
		if s.hasPeerCred {
			c = s.peerCred
		}
		s.mu.Unlock()
		return EncodeCred(c), nil
	case unix.SO_RCVLOWAT, unix.SO_SNDLOWAT:
		v = 1
	case unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
		return encodeTimeval(s.timeo(name).Load()), nil
	case unix.SO_LINGER:
		s.mu.Lock()
		l := s.linger
		s.mu.Unlock()
		b := make([]byte, 8)
		if l >= 0 {
			binary.LittleEndian.PutUint32(b[0:], 1)
			binary.LittleEndian.PutUint32(b[4:], uint32(l))
		}
		return b, nil
	default:
		if !recordedOptions[name] {
			return nil, unix.ENOPROTOOPT
		}
		s.mu.Lock()
		v = s.recorded[name]
		s.mu.Unlock()
	}
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b, nil
}

// SetSockOpt sets SOL_SOCKET option name from its value (an int, or the
// struct the option takes; EINVAL if val is shorter). SO_SNDBUF and
// SO_RCVBUF are doubled and clamped as Linux's sock_setsockopt does.
func (s *Socket) SetSockOpt(name int, val []byte) error {
	if len(val) < 4 {
		return unix.EINVAL
	}
	v := int32(binary.LittleEndian.Uint32(val))
	switch name {
	case unix.SO_RCVTIMEO, unix.SO_SNDTIMEO:
		d, err := decodeTimeval(val)
		if err != nil {
			return err
		}
		s.timeo(name).Store(d)
	case unix.SO_LINGER:
		if len(val) < 8 {
			return unix.EINVAL
		}
		l := int64(-1)
		if v != 0 {
			l = max(int64(int32(binary.LittleEndian.Uint32(val[4:]))), 0)
		}
		s.mu.Lock()
		s.linger = l
		s.mu.Unlock()
	case unix.SO_SNDBUF:
		s.sndbuf.Store(bufferSize(v, MinSendBuffer))
		// A larger buffer may have made room.
		s.Notify(spaceEvents)
	case unix.SO_RCVBUF:
		s.rcvbuf.Store(bufferSize(v, MinRecvBuffer))
	case unix.SO_PASSCRED:
		s.passcred.Store(v != 0)
	case unix.SO_RCVLOWAT, unix.SO_SNDLOWAT:
		// Accepted; a unix socket wakes its readers at the first byte.
	default:
		if !recordedOptions[name] {
			return unix.ENOPROTOOPT
		}
		if name != unix.SO_PRIORITY {
			v = min(max(v, 0), 1)
		}
		s.mu.Lock()
		if s.recorded == nil {
			s.recorded = make(map[int]int32)
		}
		s.recorded[name] = v
		s.mu.Unlock()
	}
	return nil
}

// timeo returns the timeout of SO_RCVTIMEO or SO_SNDTIMEO.
func (s *Socket) timeo(name int) *atomic.Int64 {
	if name == unix.SO_RCVTIMEO {
		return &s.rcvTimeo
	}
	return &s.sndTimeo
}

// decodeTimeval reads a struct timeval timeout as Linux's
// sock_set_timeout: EDOM for microseconds out of range, zero for none,
// a negative time for "at once" (returned as -1).
func decodeTimeval(b []byte) (int64, error) {
	if len(b) < 16 {
		return 0, unix.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(b[0:]))
	usec := int64(binary.LittleEndian.Uint64(b[8:]))
	if usec < 0 || usec >= 1e6 {
		return 0, unix.EDOM
	}
	if sec < 0 {
		return -1, nil
	}
	if sec > math.MaxInt64/1_000_000_000-1 {
		return 0, nil
	}
	return sec*1e9 + usec*1e3, nil
}

// encodeTimeval returns a timeout as struct timeval ("at once" reads as
// zero, as on Linux).
func encodeTimeval(d int64) []byte {
	b := make([]byte, 16)
	if d > 0 {
		binary.LittleEndian.PutUint64(b[0:], uint64(d/1e9))
		binary.LittleEndian.PutUint64(b[8:], uint64(d%1e9/1e3))
	}
	return b
}

// bufferSize is what SO_SNDBUF or SO_RCVBUF becomes for a request of v:
// min(v as unsigned, the maximum) doubled, at least floor.
func bufferSize(v int32, floor int64) int64 {
	n := min(int64(uint32(v)), MaxBufferSize)
	return max(n*2, floor)
}

// EncodeCred returns c as struct ucred.
func EncodeCred(c Cred) []byte {
	b := make([]byte, unix.SizeofUcred)
	binary.LittleEndian.PutUint32(b[0:], uint32(c.PID))
	binary.LittleEndian.PutUint32(b[4:], c.UID)
	binary.LittleEndian.PutUint32(b[8:], c.GID)
	return b
}

// Ioctl implements vfs.FileImpl: SIOCINQ (FIONREAD), the bytes a read
// would see (a datagram socket's next message), and SIOCOUTQ, what the
// socket's unread messages are charged; EINVAL on a listener.
func (s *Socket) Ioctl(ctx vfs.Context, io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	var n int64
	switch cmd {
	case unix.SIOCINQ:
		s.mu.Lock()
		switch {
		case s.state == stateListening:
			s.mu.Unlock()
			return 0, unix.EINVAL
		case s.stype == unix.SOCK_DGRAM:
			if len(s.recvq) > 0 {
				n = int64(len(s.recvq[0].data))
			}
		default:
			n = int64(s.recvBytes)
		}
		s.mu.Unlock()
	case unix.SIOCOUTQ:
		s.mu.Lock()
		listening := s.state == stateListening
		s.mu.Unlock()
		if listening {
			return 0, unix.EINVAL
		}
		n = s.wmem.Load()
	default:
		return 0, unix.ENOTTY
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	_, err := io.CopyOut(arg, b[:])
	return 0, err
}
