package ptrace

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// Passing host FDs into a stub.
//
// Every stub holds the memory file as stubMemFD from its exec, so MapFile
// of the memory file is one injected mmap. Any other host file (a file FD
// from the gofer) must first get into the stub, and a stub cannot open
// anything: the tracer sends it the FD over a unix socket that belongs to
// that stub alone (SCM_RIGHTS), injects the recvmsg, then mmap of the FD
// it received, then close. The socket is made the first time a stub needs
// one:
//
//  1. inject mmap of a private read-write page at scratchAddr, above the
//     stub's page, where the application cannot map: the kernel needs
//     writable memory for socketpair's result and recvmsg's control
//     buffer, and the stub's own page is read-only;
//  2. inject socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC) into it;
//  3. take the second end out of the stub: pidfd_open and pidfd_getfd
//     (which needs what PTRACE_SEIZE needs: CAP_SYS_PTRACE over a stub of
//     another user);
//  4. inject close of that end in the stub, and write the msghdr that
//     every recvmsg uses into the scratch page (PTRACE_POKEDATA).
//
// A socket per stub, not one that all stubs inherit from the template:
// code that escaped interception in one stub must not be able to receive
// the files meant for another.
//
// Round trips (injected system calls, each a PTRACE_SETREGS, PTRACE_CONT,
// wait4 and PTRACE_GETREGS, two context switches): MapFile of the memory
// file costs 1 (mmap); of another file 3 (recvmsg, mmap, close), plus
// sendmsg, one POKEDATA and two PEEKDATA in the sentry, which do not
// switch; the first one in a stub 3 more (mmap, socketpair, close), one
// PEEKDATA, five POKEDATA, pidfd_open, pidfd_getfd and close.
// TestMapFileRoundTrips counts them.

// Layout of the scratch page (x86-64 struct sizes).
const (
	// scratchAddr is the scratch page, right above the stub's page and
	// so above MaxUserAddress.
	scratchAddr = stubEnd

	// The msghdr of every recvmsg: no name, one iovec, one control
	// buffer; the page starts zeroed, so only these fields are written.
	scratchMsghdr    = scratchAddr
	msghdrIov        = scratchMsghdr + 16
	msghdrIovlen     = scratchMsghdr + 24
	msghdrControl    = scratchMsghdr + 32
	msghdrControllen = scratchMsghdr + 40
	// The iovec for the one data byte each message carries, and the
	// byte.
	scratchIovec = scratchAddr + 0x40
	scratchByte  = scratchAddr + 0x50
	// The control buffer: one cmsghdr (len, level, type) and one int.
	scratchCmsg = scratchAddr + 0x60
	// socketpair's int[2].
	scratchPair = scratchAddr + 0x80
)

// passedFDControl is the control buffer size for one FD, CMSG_SPACE(4).
var passedFDControl = uint64(unix.CmsgSpace(4))

// errBadControl says a stub received something else than one FD.
var errBadControl = errors.New("stub received no FD")

// passFDLocked puts a duplicate of the host FD fd into the stub and
// returns its number there. Preconditions: mu held, on the tracer thread.
func (as *AddressSpace) passFDLocked(fd int) (int32, error) {
	if as.sock < 0 {
		if err := as.openChannelLocked(); err != nil {
			return 0, fmt.Errorf("opening the stub's FD channel: %w", err)
		}
	}
	if err := sendFD(as.sock, fd); err != nil {
		return 0, err
	}
	stubFD, err := as.receiveFDLocked()
	if err != nil {
		// The message may still be queued: a later receive would
		// take this FD for another. Start over with a new socket.
		as.closeChannelLocked()
		return 0, err
	}
	return stubFD, nil
}

// sendFD sends fd, with one data byte, over sock.
func sendFD(sock, fd int) error {
	for {
		err := unix.Sendmsg(sock, []byte{0}, unix.UnixRights(fd), nil, 0)
		if err != unix.EINTR {
			if err != nil {
				return fmt.Errorf("sending FD to the stub: %w", err)
			}
			return nil
		}
	}
}

// receiveFDLocked injects the recvmsg of the message sendFD queued and
// returns the FD number the kernel gave it in the stub.
func (as *AddressSpace) receiveFDLocked() (int32, error) {
	// recvmsg wrote back the length it used last time.
	if e := pokeData(as.cur, msghdrControllen, passedFDControl); e != 0 {
		return 0, broken("writing msghdr of", as.pid, e)
	}
	n, err := as.syscallLocked(unix.SYS_RECVMSG, [6]uint64{stubSockFD, scratchMsghdr, unix.MSG_CMSG_CLOEXEC})
	if err != nil {
		return 0, fmt.Errorf("receiving FD: %w", err)
	}
	if e := peekData(as.cur, scratchCmsg+8, &as.word); e != 0 {
		return 0, broken("reading cmsg of", as.pid, e)
	}
	levelType := as.word
	if e := peekData(as.cur, scratchCmsg+16, &as.word); e != 0 {
		return 0, broken("reading cmsg of", as.pid, e)
	}
	fd := int32(as.word)
	if n != 1 || levelType != unix.SOL_SOCKET|unix.SCM_RIGHTS<<32 || fd < 0 {
		return 0, fmt.Errorf("stub %d: recvmsg returned %d, cmsg %#x, fd %d: %w", as.pid, n, levelType, fd, errBadControl)
	}
	return fd, nil
}

// openChannelLocked gives the stub its private socket (steps 1-4 above).
// On failure the stub keeps no socket end that the sentry does not also
// hold. Preconditions: mu held, on the tracer thread, as.sock < 0.
func (as *AddressSpace) openChannelLocked() error {
	rw := uint64(unix.PROT_READ | unix.PROT_WRITE)
	anon := uint64(unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED)
	rax, err := as.syscallLocked(unix.SYS_MMAP, [6]uint64{scratchAddr, linux.PageSize, rw, anon, ^uint64(0), 0})
	if err != nil {
		return fmt.Errorf("mapping scratch page: %w", err)
	}
	if rax != scratchAddr {
		return fmt.Errorf("stub %d: scratch page mapped at %#x, want %#x", as.pid, rax, uint64(scratchAddr))
	}
	pair := [6]uint64{unix.AF_UNIX, unix.SOCK_SEQPACKET | unix.SOCK_CLOEXEC, 0, scratchPair}
	if _, err := as.syscallLocked(unix.SYS_SOCKETPAIR, pair); err != nil {
		return fmt.Errorf("creating socket pair: %w", err)
	}
	if e := peekData(as.cur, scratchPair, &as.word); e != 0 {
		return broken("reading socket pair of", as.pid, e)
	}
	own, peer := int32(as.word), int32(as.word>>32)
	if own != stubSockFD || peer != stubSockPeerFD {
		// The stub's FD table is not what the filter expects.
		as.syscallLocked(unix.SYS_CLOSE, [6]uint64{uint64(own)})
		as.syscallLocked(unix.SYS_CLOSE, [6]uint64{uint64(peer)})
		return fmt.Errorf("stub %d: socket pair is FDs %d and %d, want %d and %d", as.pid, own, peer, stubSockFD, stubSockPeerFD)
	}
	sock, err := takeFD(as.pid, peer)
	// The stub keeps only its own end.
	if _, cerr := as.syscallLocked(unix.SYS_CLOSE, [6]uint64{uint64(peer)}); err == nil && cerr != nil {
		unix.Close(sock)
		err = fmt.Errorf("closing the socket's other end: %w", cerr)
	}
	if err != nil {
		as.syscallLocked(unix.SYS_CLOSE, [6]uint64{stubSockFD})
		return err
	}
	for _, w := range [][2]uint64{
		{msghdrIov, scratchIovec},
		{msghdrIovlen, 1},
		{msghdrControl, scratchCmsg},
		{scratchIovec, scratchByte},
		{scratchIovec + 8, 1},
	} {
		if e := pokeData(as.cur, w[0], w[1]); e != 0 {
			unix.Close(sock)
			return broken("writing msghdr of", as.pid, e)
		}
	}
	as.sock = sock
	return nil
}

// takeFD returns a duplicate of the FD numbered fd in process pid.
func takeFD(pid, fd int32) (int, error) {
	pidfd, err := unix.PidfdOpen(int(pid), 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open of stub %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	sock, err := unix.PidfdGetfd(pidfd, int(fd), 0)
	if err != nil {
		return -1, fmt.Errorf("taking FD %d from stub %d: %w", fd, pid, err)
	}
	return sock, nil
}

// closeChannelLocked drops the sentry's end of the stub's socket, if any,
// and closes the stub's end when the stub can still be told to. The next
// passFDLocked opens a new one. Preconditions: mu held.
func (as *AddressSpace) closeChannelLocked() {
	if as.sock < 0 {
		return
	}
	unix.Close(as.sock)
	as.sock = -1
	if !as.dead.Load() && !as.released {
		as.syscallLocked(unix.SYS_CLOSE, [6]uint64{stubSockFD})
	}
}
