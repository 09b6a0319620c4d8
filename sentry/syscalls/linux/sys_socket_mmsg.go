package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// This file holds sendmmsg(2) and recvmmsg(2): sendmsg and recvmsg over a
// vector of struct mmsghdr, each a msghdr and the msg_len written back.

// sizeofMmsghdr is struct mmsghdr on x86-64; msgLenOff is where msg_len
// sits in it.
const (
	sizeofMmsghdr = 64
	msgLenOff     = sizeofMsghdr
)

// Sendmmsg implements Linux syscall sendmmsg(2): it stops at the first
// error and returns how many messages went, or the error if none did.
func Sendmmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, vec, vlen, flags := a[0], a[1], min(uint32(a[2]), uioMaxIOV), int(int32(a[3]))
	sent := uint32(0)
	var err error
	for ; sent < vlen; sent++ {
		entry := vec + uintptr(sent)*sizeofMmsghdr
		var n int
		if n, err = sendMsghdr(t, fd, entry, flags); err != nil {
			break
		}
		if err = putMsgLen(t, entry, n); err != nil {
			break
		}
	}
	if sent > 0 {
		return uintptr(sent), nil
	}
	return 0, err
}

// Recvmmsg implements Linux syscall recvmmsg(2): MSG_WAITFORONE stops
// waiting after the first message, and a timeout is checked after each
// message (as Linux, not while waiting for the first) and written back
// with the time left. An error after some messages is dropped (Linux
// keeps it as the socket's pending error).
func Recvmmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	vec, vlen, flags, timeoutAddr := a[1], min(uint32(a[2]), uioMaxIOV), int(int32(a[3])), a[4]
	var deadline time.Time
	timed := false
	if timeoutAddr != 0 {
		d, err := copyInPollTimeout(t, timeoutAddr)
		if err != nil {
			return 0, err
		}
		// A timeout too large to represent is none.
		if timed = d >= 0; timed {
			deadline = time.Now().Add(d)
		}
	}
	got := uint32(0)
	for got < vlen {
		entry := vec + uintptr(got)*sizeofMmsghdr
		var n int
		if n, err = recvMsghdr(t, s, entry, flags&^unix.MSG_WAITFORONE); err != nil {
			break
		}
		if err = putMsgLen(t, entry, n); err != nil {
			break
		}
		got++
		if flags&unix.MSG_WAITFORONE != 0 {
			flags |= unix.MSG_DONTWAIT
		}
		if timed && !time.Now().Before(deadline) {
			break
		}
	}
	if timed && got > 0 {
		left := max(time.Until(deadline), 0)
		var b [16]byte
		le.PutUint64(b[0:], uint64(left/time.Second))
		le.PutUint64(b[8:], uint64(left%time.Second))
		if _, err := t.CopyOut(timeoutAddr, b[:]); err != nil {
			return 0, err
		}
	}
	if got > 0 {
		return uintptr(got), nil
	}
	return 0, err
}

// putMsgLen writes a struct mmsghdr's msg_len.
func putMsgLen(t *kernel.Task, entry uintptr, n int) error {
	var b [4]byte
	le.PutUint32(b[:], uint32(n))
	_, err := t.CopyOut(entry+msgLenOff, b[:])
	return err
}
