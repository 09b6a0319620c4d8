package linux

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// pollRecheck is how often files that cannot notify (no vfs.Waitable) are
// asked again while a poll waits on them.
const pollRecheck = 10 * time.Millisecond

// pollFD is one entry of a poll: struct pollfd plus its file.
type pollFD struct {
	fd      int32
	events  uint32
	revents uint32
	file    *vfs.FileDescription
}

// doPoll waits until an entry is ready, the timeout passes (timeout < 0:
// never) or the task is interrupted (kernel.ErrRestartNoHand), and
// returns the number of ready entries with revents filled in.
func doPoll(t *kernel.Task, pfds []pollFD, timeout time.Duration) (int, error) {
	for i := range pfds {
		p := &pfds[i]
		p.revents = 0
		if p.fd < 0 {
			continue
		}
		f, err := t.FDTable().Get(p.fd)
		if err != nil {
			p.revents = linux.POLLNVAL
			continue
		}
		p.file = f
	}
	defer func() {
		for i := range pfds {
			if pfds[i].file != nil {
				pfds[i].file.DecRef()
				pfds[i].file = nil
			}
		}
	}()

	var (
		wake     chan struct{}
		entries  []*vfs.WaitEntry
		waitable []vfs.Waitable
		timedOut atomic.Bool
		timer    *time.Timer
	)
	defer func() {
		for i, w := range waitable {
			w.EventUnregister(entries[i])
		}
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		n, mustRecheck := 0, false
		for i := range pfds {
			p := &pfds[i]
			if p.file == nil {
				if p.revents != 0 {
					n++
				}
				continue
			}
			mask := p.events | linux.POLLERR | linux.POLLHUP
			p.revents = p.file.Readiness(mask) & (mask | linux.POLLNVAL)
			if p.revents != 0 {
				n++
			} else if _, ok := p.file.Impl().(vfs.Waitable); !ok {
				mustRecheck = true
			}
		}
		if n > 0 || timeout == 0 || timedOut.Load() {
			return n, nil
		}
		if wake == nil {
			// Register, then check again so no wake-up is lost.
			wake = make(chan struct{}, 1)
			for i := range pfds {
				p := &pfds[i]
				if p.file == nil {
					continue
				}
				if w, ok := p.file.Impl().(vfs.Waitable); ok {
					e := &vfs.WaitEntry{Mask: p.events | linux.POLLERR | linux.POLLHUP, C: wake}
					w.EventRegister(e)
					waitable = append(waitable, w)
					entries = append(entries, e)
				}
			}
			if timeout > 0 {
				timer = time.AfterFunc(timeout, func() {
					timedOut.Store(true)
					notify(wake)
				})
			}
			continue
		}
		var recheck *time.Timer
		if mustRecheck {
			recheck = time.AfterFunc(pollRecheck, func() { notify(wake) })
		}
		err := t.Block(wake)
		if recheck != nil {
			recheck.Stop()
		}
		if err != nil {
			return 0, kernel.ErrRestartNoHand
		}
	}
}

// notify wakes a poller without blocking.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// copyInPollFDs reads nfds struct pollfd.
func copyInPollFDs(t *kernel.Task, addr uintptr, nfds uintptr) ([]pollFD, []byte, error) {
	if nfds > uintptr(t.FDTable().Limit()) && nfds > 4096 {
		return nil, nil, unix.EINVAL
	}
	raw := make([]byte, 8*nfds)
	if _, err := t.CopyIn(addr, raw); err != nil {
		return nil, nil, err
	}
	pfds := make([]pollFD, nfds)
	for i := range pfds {
		pfds[i].fd = int32(binary.LittleEndian.Uint32(raw[8*i:]))
		pfds[i].events = uint32(binary.LittleEndian.Uint16(raw[8*i+4:]))
	}
	return pfds, raw, nil
}

func copyOutRevents(t *kernel.Task, addr uintptr, pfds []pollFD, raw []byte) error {
	for i := range pfds {
		binary.LittleEndian.PutUint16(raw[8*i+6:], uint16(pfds[i].revents))
	}
	_, err := t.CopyOut(addr, raw)
	return err
}

// Poll implements Linux syscall poll(2).
func Poll(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if ms := int32(a[2]); ms >= 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	return pollCall(t, a[0], a[1], timeout)
}

func pollCall(t *kernel.Task, addr, nfds uintptr, timeout time.Duration) (uintptr, error) {
	pfds, raw, err := copyInPollFDs(t, addr, nfds)
	if err != nil {
		return 0, err
	}
	n, err := doPoll(t, pfds, timeout)
	if err != nil {
		return 0, err
	}
	return uintptr(n), copyOutRevents(t, addr, pfds, raw)
}

// copyInPollTimeout reads a struct timespec as a duration (negative fields:
// EINVAL).
func copyInPollTimeout(t *kernel.Task, addr uintptr) (time.Duration, error) {
	var b [16]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(b[:])), int64(binary.LittleEndian.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, unix.EINVAL
	}
	if sec > int64(time.Duration(1<<62)/time.Second) {
		return -1, nil
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), nil
}

// setPollMask installs the signal mask of ppoll/pselect6 for the wait;
// the kernel restores the old one on return.
func setPollMask(t *kernel.Task, addr, size uintptr) error {
	if addr == 0 {
		return nil
	}
	if size != sigsetSize {
		return unix.EINVAL
	}
	var b [8]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return err
	}
	t.SetSavedSignalMask(linux.SignalSet(binary.LittleEndian.Uint64(b[:])))
	return nil
}

// Ppoll implements Linux syscall ppoll(2).
func Ppoll(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[2] != 0 {
		d, err := copyInPollTimeout(t, a[2])
		if err != nil {
			return 0, err
		}
		timeout = d
	}
	if err := setPollMask(t, a[3], a[4]); err != nil {
		return 0, err
	}
	return pollCall(t, a[0], a[1], timeout)
}

// Select implements Linux syscall select(2).
func Select(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[4] != 0 {
		var b [16]byte
		if _, err := t.CopyIn(a[4], b[:]); err != nil {
			return 0, err
		}
		sec, usec := int64(binary.LittleEndian.Uint64(b[:])), int64(binary.LittleEndian.Uint64(b[8:]))
		if sec < 0 || usec < 0 {
			return 0, unix.EINVAL
		}
		timeout = time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
		if sec > int64(time.Duration(1<<62)/time.Second) {
			timeout = -1
		}
	}
	return doSelect(t, int(a[0]), a[1], a[2], a[3], timeout)
}

// Pselect6 implements Linux syscall pselect6(2).
func Pselect6(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[4] != 0 {
		d, err := copyInPollTimeout(t, a[4])
		if err != nil {
			return 0, err
		}
		timeout = d
	}
	if a[5] != 0 {
		// struct { const sigset_t *ss; size_t ss_len; }
		var b [16]byte
		if _, err := t.CopyIn(a[5], b[:]); err != nil {
			return 0, err
		}
		if err := setPollMask(t, uintptr(binary.LittleEndian.Uint64(b[:])), uintptr(binary.LittleEndian.Uint64(b[8:]))); err != nil {
			return 0, err
		}
	}
	return doSelect(t, int(a[0]), a[1], a[2], a[3], timeout)
}

// Event sets of select (fs/select.c).
const (
	selectIn  = linux.POLLIN | linux.POLLRDNORM | linux.POLLRDBAND | linux.POLLHUP | linux.POLLERR
	selectOut = linux.POLLOUT | linux.POLLWRNORM | linux.POLLWRBAND | linux.POLLERR
	selectEx  = linux.POLLPRI
)

func doSelect(t *kernel.Task, nfds int, readAddr, writeAddr, exceptAddr uintptr, timeout time.Duration) (uintptr, error) {
	if nfds < 0 || nfds > int(t.FDTable().Limit()) {
		return 0, unix.EINVAL
	}
	setBytes := (nfds + 63) / 64 * 8
	sets := [3][]byte{}
	addrs := [3]uintptr{readAddr, writeAddr, exceptAddr}
	for i, addr := range addrs {
		if addr == 0 {
			continue
		}
		sets[i] = make([]byte, setBytes)
		if _, err := t.CopyIn(addr, sets[i]); err != nil {
			return 0, err
		}
	}
	isSet := func(s []byte, fd int) bool { return s != nil && s[fd/8]&(1<<(fd%8)) != 0 }
	var pfds []pollFD
	for fd := 0; fd < nfds; fd++ {
		var ev uint32
		if isSet(sets[0], fd) {
			ev |= selectIn
		}
		if isSet(sets[1], fd) {
			ev |= selectOut
		}
		if isSet(sets[2], fd) {
			ev |= selectEx
		}
		if ev != 0 {
			pfds = append(pfds, pollFD{fd: int32(fd), events: ev})
		}
	}
	// A closed descriptor in a set is EBADF for select.
	for _, p := range pfds {
		f, err := t.FDTable().Get(p.fd)
		if err != nil {
			return 0, unix.EBADF
		}
		f.DecRef()
	}
	if _, err := doPoll(t, pfds, timeout); err != nil {
		return 0, err
	}
	for i := range sets {
		clear(sets[i])
	}
	n := 0
	for _, p := range pfds {
		fd := int(p.fd)
		for i, want := range [3]uint32{selectIn, selectOut, selectEx} {
			if sets[i] != nil && p.events&want != 0 && p.revents&want != 0 {
				sets[i][fd/8] |= 1 << (fd % 8)
				n++
			}
		}
	}
	for i, addr := range addrs {
		if addr != 0 {
			if _, err := t.CopyOut(addr, sets[i]); err != nil {
				return 0, err
			}
		}
	}
	return uintptr(n), nil
}
