package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	unixsocket "github.com/cocoon-sandbox/cocoon/sentry/socket/unix"
)

// This file decodes and encodes control messages (struct cmsghdr
// chains): SCM_RIGHTS and SCM_CREDENTIALS at SOL_SOCKET, as Linux's
// __scm_send, put_cmsg and scm_detach_fds.

// copyInControl reads n bytes of control messages at addr: the files
// named by SCM_RIGHTS (at most SCM_MAX_FD in all, EBADF for a bad one)
// and the credentials of SCM_CREDENTIALS (EPERM unless they are the
// caller's, or it has the capability to claim others). A header whose
// length is short or runs past the buffer is EINVAL; messages of other
// levels are skipped. The Control's files hold references.
func copyInControl(t *kernel.Task, addr uintptr, n int) (unixsocket.Control, error) {
	var ctl unixsocket.Control
	b := t.Scratch(n)
	if _, err := t.CopyIn(addr, b); err != nil {
		return ctl, err
	}
	fail := func(err error) (unixsocket.Control, error) {
		ctl.Release()
		return unixsocket.Control{}, err
	}
	for off := 0; off+sizeofCmsghdr <= n; {
		clen := le.Uint64(b[off:])
		level, typ := int32(le.Uint32(b[off+8:])), int32(le.Uint32(b[off+12:]))
		if clen < sizeofCmsghdr || clen > uint64(n-off) {
			return fail(unix.EINVAL)
		}
		data := b[off+sizeofCmsghdr : off+int(clen)]
		off += cmsgAlign(int(clen))
		if level != unix.SOL_SOCKET {
			continue
		}
		switch typ {
		case unix.SCM_RIGHTS:
			count := len(data) / 4
			if len(ctl.Rights)+count > scmMaxFD {
				return fail(unix.EINVAL)
			}
			for i := range count {
				f, err := t.FDTable().Get(int32(le.Uint32(data[4*i:])))
				if err != nil {
					return fail(err)
				}
				ctl.Rights = append(ctl.Rights, f)
			}
		case unix.SCM_CREDENTIALS:
			if len(data) != unix.SizeofUcred {
				return fail(unix.EINVAL)
			}
			c := unixsocket.Cred{PID: int32(le.Uint32(data[0:])), UID: le.Uint32(data[4:]), GID: le.Uint32(data[8:])}
			if !mayClaimCred(t, c) {
				return fail(unix.EPERM)
			}
			ctl.Cred = &c
		default:
			return fail(unix.EINVAL)
		}
	}
	return ctl, nil
}

// mayClaimCred is Linux's scm_check_creds: the caller's own process ID
// (or CAP_SYS_ADMIN), one of its user IDs (or CAP_SETUID) and one of its
// group IDs (or CAP_SETGID).
func mayClaimCred(t *kernel.Task, c unixsocket.Cred) bool {
	cr := t.Credentials()
	caps := cr.EffectiveCaps
	return (c.PID == t.ThreadGroup().ID() || caps.Has(unix.CAP_SYS_ADMIN)) &&
		(c.UID == cr.RUID || c.UID == cr.EUID || c.UID == cr.SUID || caps.Has(unix.CAP_SETUID)) &&
		(c.GID == cr.RGID || c.GID == cr.EGID || c.GID == cr.SGID || caps.Has(unix.CAP_SETGID))
}

// putControl writes ctl as control messages into the n bytes at addr:
// the credentials, then the files, each installed as a new descriptor
// (close-on-exec with MSG_CMSG_CLOEXEC). What does not fit is dropped
// and reported (ctrunc): a message's header and as much of its data as
// there is room for, as few files as fit. It returns the bytes used.
// ctl's references are consumed.
func putControl(t *kernel.Task, addr uintptr, n int, ctl *unixsocket.Control, cloexec bool) (used int, ctrunc bool, err error) {
	defer ctl.Release()
	if addr == 0 {
		n = 0
	}
	if ctl.Cred == nil && len(ctl.Rights) == 0 {
		return 0, false, nil
	}
	var b []byte
	if ctl.Cred != nil {
		b, ctrunc = appendCmsg(b, n, unix.SCM_CREDENTIALS, unixsocket.EncodeCred(*ctl.Cred))
	}
	var fds []int32
	if len(ctl.Rights) > 0 {
		room := 0
		if left := n - len(b); left > sizeofCmsghdr {
			room = (left - sizeofCmsghdr) / 4
		}
		table := t.FDTable()
		for _, f := range ctl.Rights[:min(room, len(ctl.Rights))] {
			fd, err := table.NewFD(f, 0, cloexec)
			if err != nil {
				break
			}
			fds = append(fds, fd)
		}
		if len(fds) < len(ctl.Rights) {
			ctrunc = true
		}
		if len(fds) > 0 {
			data := make([]byte, 4*len(fds))
			for i, fd := range fds {
				le.PutUint32(data[4*i:], uint32(fd))
			}
			b, _ = appendCmsg(b, n, unix.SCM_RIGHTS, data)
		}
	}
	if len(b) > 0 {
		if _, err := t.CopyOut(addr, b); err != nil {
			for _, fd := range fds {
				t.FDTable().Remove(fd)
			}
			return 0, false, err
		}
	}
	return len(b), ctrunc, nil
}

// appendCmsg appends a SOL_SOCKET control message of type typ to b, in
// a buffer of limit bytes, as Linux's put_cmsg: nothing if not even the
// header fits, the header and a truncated payload if only part fits.
// It reports whether anything was cut.
func appendCmsg(b []byte, limit int, typ int32, data []byte) ([]byte, bool) {
	left := limit - len(b)
	if left < sizeofCmsghdr {
		return b, true
	}
	clen := sizeofCmsghdr + len(data)
	cut := false
	if clen > left {
		clen, cut = left, true
	}
	var h [sizeofCmsghdr]byte
	le.PutUint64(h[0:], uint64(clen))
	le.PutUint32(h[8:], unix.SOL_SOCKET)
	le.PutUint32(h[12:], uint32(typ))
	b = append(b, h[:]...)
	b = append(b, data[:clen-sizeofCmsghdr]...)
	if pad := min(cmsgAlign(clen), left) - clen; pad > 0 {
		b = append(b, make([]byte, pad)...)
	}
	return b, cut
}
