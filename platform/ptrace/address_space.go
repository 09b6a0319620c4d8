package ptrace

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
)

// AddressSpace is one stub process. In this version it has one thread, run
// by one task thread at a time: the tracer, which is the first thread that
// switches into it. (Multi-threaded address spaces will add one stub thread
// per tracer thread, created by injecting clone(CLONE_VM|CLONE_THREAD|...)
// into the stub, keyed by the tracer's thread ID.)
type AddressSpace struct {
	p *Platform
	// pid is the stub's process ID, also the ID of its only thread.
	pid int32

	// tracer is the ID of the OS thread that seized the stub, 0 before.
	// Written once under mu; read without it on the Switch fast path.
	tracer atomic.Int32
	// npending is len(pending), readable without mu.
	npending atomic.Int32
	// dead is set once the stub is known to be gone or unusable.
	dead atomic.Bool

	mu sync.Mutex
	// pending are MapFile/Unmap calls made from threads other than the
	// tracer (or before the seize), applied in order by the tracer before
	// the stub next runs.
	pending []mapOp
	// cpu is the CPU the stub last pinned itself to (affinity.go), noCPU
	// before; used by the tracer only.
	cpu int32
	// regs and status are injection scratch, used by the tracer only.
	regs   unix.PtraceRegs
	status unix.WaitStatus
	// word is PTRACE_PEEKDATA's result, used by the tracer only.
	word uint64
	// injected counts the system calls injected into the stub: the
	// round trips that tests count.
	injected int
	// sock is the sentry's end of the stub's private socket for
	// passing it host FDs (fdpass.go; the stub's end is stubSockFD), -1
	// until the first MapFile of a file other than the memory file.
	sock int
	// reaped is set when a wait already collected the dead stub.
	reaped bool
	// released is set by Release.
	released bool
}

// mapOp is one queued MapFile (prot >= 0) or Unmap (prot < 0).
type mapOp struct {
	addr, length uintptr
	off          uint64
	prot         int
	// fd is the host file of a MapFile of another file than the memory
	// file, memFileOp for the memory file. owned says fd is a duplicate
	// that the op closes once applied (or dropped): a queued op must not
	// depend on the caller keeping its FD open.
	fd    int
	owned bool
}

// memFileOp is mapOp.fd for the memory file, which every stub holds.
const memFileOp = -1

// StubPID returns the host PID of the stub process (for tests and
// debugging: its /proc/PID/status shows the seccomp mode).
func (as *AddressSpace) StubPID() int { return int(as.pid) }

// checkRange validates an application range.
func checkRange(addr, length uintptr) error {
	if addr%linux.PageSize != 0 || length%linux.PageSize != 0 || length == 0 {
		return fmt.Errorf("range [%#x, +%#x) not page-aligned: %w", addr, length, unix.EINVAL)
	}
	if addr < minUserAddress || addr+length < addr || addr+length > stubBase {
		return fmt.Errorf("range [%#x, +%#x) outside the application's address space: %w", addr, length, unix.EINVAL)
	}
	return nil
}

// MapFile implements platform.AddressSpace. Called on the stub's tracer
// thread, it maps at once; from any other thread (or before the first
// Switch) it is queued and applied before the stub next runs, which is
// indistinguishable for the application since it cannot run in between.
func (as *AddressSpace) MapFile(addr uintptr, fd int, off uint64, length uintptr, at platform.AccessType) error {
	if err := checkRange(addr, length); err != nil {
		return err
	}
	if off%linux.PageSize != 0 {
		return fmt.Errorf("file offset %#x not page-aligned: %w", off, unix.EINVAL)
	}
	if fd < 0 {
		return fmt.Errorf("mapping host FD %d: %w", fd, unix.EBADF)
	}
	if fd == as.p.memFD {
		fd = memFileOp
	}
	return as.do(mapOp{addr: addr, length: length, off: off, prot: at.Prot(), fd: fd})
}

// Unmap implements platform.AddressSpace, with MapFile's threading rules.
// On a stub never seized, with nothing queued, nothing is mapped: no-op.
func (as *AddressSpace) Unmap(addr uintptr, length uintptr) {
	if checkRange(addr, length) != nil {
		return
	}
	as.do(mapOp{addr: addr, length: length, prot: -1, fd: memFileOp})
}

func (as *AddressSpace) do(op mapOp) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.released {
		return errReleased
	}
	if as.dead.Load() {
		return fmt.Errorf("stub %d is dead: %w", as.pid, platform.ErrContextBroken)
	}
	tracer := as.tracer.Load()
	if tracer == 0 && op.prot < 0 && len(as.pending) == 0 {
		return nil
	}
	if tracer == 0 || tracer != gettid() {
		if op.fd != memFileOp {
			dup, err := unix.FcntlInt(uintptr(op.fd), unix.F_DUPFD_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("holding host FD %d for a queued mapping: %w", op.fd, err)
			}
			op.fd, op.owned = dup, true
		}
		as.pending = append(as.pending, op)
		as.npending.Store(int32(len(as.pending)))
		return nil
	}
	if err := as.flushLocked(); err != nil {
		return err
	}
	return as.applyLocked(op)
}

// syscallLocked injects system call nr into the stub and returns its
// result; an injection that fails marks the stub dead, and a failed call
// gives its errno. Preconditions: mu held, on the tracer thread.
func (as *AddressSpace) syscallLocked(nr uint64, args [6]uint64) (uint64, error) {
	as.injected++
	rax, err := injectSyscall(as.pid, &as.regs, &as.status, syscallSiteRIP, syscallTrapRIP, nr, args)
	if err != nil {
		as.markDeadLocked(err)
		return 0, err
	}
	if e := errnoOf(rax); e != 0 {
		return 0, fmt.Errorf("stub %d: system call %d: %w", as.pid, nr, e)
	}
	return rax, nil
}

// applyLocked injects op into the stub: one munmap or mmap of the memory
// file, or for another file recvmsg, mmap and close (fdpass.go). It
// closes op's FD if it owns it. Preconditions: mu held, on the tracer
// thread.
func (as *AddressSpace) applyLocked(op mapOp) error {
	if op.owned {
		defer unix.Close(op.fd)
	}
	if op.prot < 0 {
		if _, err := as.syscallLocked(unix.SYS_MUNMAP, [6]uint64{uint64(op.addr), uint64(op.length)}); err != nil {
			return fmt.Errorf("unmapping [%#x, +%#x): %w", op.addr, op.length, err)
		}
		return nil
	}
	stubFD := int32(stubMemFD)
	if op.fd != memFileOp {
		fd, err := as.passFDLocked(op.fd)
		if err != nil {
			return fmt.Errorf("passing host FD %d to stub %d: %w", op.fd, as.pid, err)
		}
		stubFD = fd
	}
	args := [6]uint64{uint64(op.addr), uint64(op.length), uint64(op.prot), unix.MAP_SHARED | unix.MAP_FIXED, uint64(stubFD), op.off}
	rax, err := as.syscallLocked(unix.SYS_MMAP, args)
	if stubFD != stubMemFD {
		// The mapping holds the file; the stub keeps no other FD.
		if _, cerr := as.syscallLocked(unix.SYS_CLOSE, [6]uint64{uint64(stubFD)}); err == nil && cerr != nil {
			err = fmt.Errorf("closing the passed FD: %w", cerr)
		}
	}
	if err != nil {
		return fmt.Errorf("mapping [%#x, +%#x): %w", op.addr, op.length, err)
	}
	if rax != uint64(op.addr) {
		return fmt.Errorf("stub %d: mmap at %#x returned %#x: %w", as.pid, op.addr, rax, platform.ErrContextBroken)
	}
	return nil
}

// flushLocked applies the queued operations. Preconditions: mu held, on
// the tracer thread.
func (as *AddressSpace) flushLocked() error {
	for len(as.pending) > 0 {
		op := as.pending[0]
		as.pending = as.pending[1:]
		as.npending.Store(int32(len(as.pending)))
		if err := as.applyLocked(op); err != nil {
			return fmt.Errorf("applying queued mapping: %w", err)
		}
	}
	as.pending = nil
	return nil
}

// markDeadLocked records that the stub is unusable, and whether err's wait
// already reaped it.
func (as *AddressSpace) markDeadLocked(err error) {
	as.dead.Store(true)
	if _, ok := err.(*stubExitError); ok {
		as.reaped = true
	}
}

// prepare makes the calling thread (tid) the stub's tracer if it has none,
// and applies queued operations. It is Switch's slow path.
func (as *AddressSpace) prepare(tid int32) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.released {
		return errReleased
	}
	if as.dead.Load() {
		return fmt.Errorf("stub %d is dead: %w", as.pid, platform.ErrContextBroken)
	}
	switch as.tracer.Load() {
	case 0:
		if err := as.seizeLocked(tid); err != nil {
			as.markDeadLocked(err)
			return err
		}
	case tid:
	default:
		return fmt.Errorf("stub %d is traced by thread %d, not %d (one task thread per address space in this version): %w",
			as.pid, as.tracer.Load(), tid, platform.ErrContextBroken)
	}
	return as.flushLocked()
}

// seizeLocked attaches the calling thread to the fresh stub and stops it.
// Preconditions: mu held; the caller is locked to its OS thread for good.
func (as *AddressSpace) seizeLocked(tid int32) error {
	// TRACESECCOMP: the filter's vsyscall traces (vsyscall.go).
	opts := unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACESECCOMP
	if e := ptrace(unix.PTRACE_SEIZE, as.pid, 0, uintptr(opts)); e != 0 {
		return broken("seizing", as.pid, e)
	}
	if e := ptrace(unix.PTRACE_INTERRUPT, as.pid, 0, 0); e != 0 {
		return broken("interrupting", as.pid, e)
	}
	for {
		if e := wait(as.pid, &as.status); e != 0 {
			return broken("waiting for", as.pid, e)
		}
		if !as.status.Stopped() {
			return &stubExitError{pid: as.pid, status: as.status}
		}
		if _, event := stopInfo(as.status); event == unix.PTRACE_EVENT_STOP {
			break
		}
		// A signal-delivery stop came first: suppress it; the
		// interrupt is still pending and stops the stub next.
		if e := ptrace(unix.PTRACE_CONT, as.pid, 0, 0); e != 0 {
			return broken("resuming", as.pid, e)
		}
	}
	if e := getRegs(as.pid, &as.regs); e != 0 {
		return broken("getting registers of", as.pid, e)
	}
	as.tracer.Store(tid)
	return nil
}

// Release implements platform.AddressSpace: it kills the stub and reaps it.
func (as *AddressSpace) Release() {
	as.mu.Lock()
	if as.released {
		as.mu.Unlock()
		return
	}
	as.released = true
	as.dead.Store(true)
	reaped := as.reaped
	for _, op := range as.pending {
		if op.owned {
			unix.Close(op.fd)
		}
	}
	as.pending = nil
	as.npending.Store(0)
	as.closeChannelLocked()
	as.mu.Unlock()
	if !reaped {
		unix.Kill(int(as.pid), unix.SIGKILL)
		reap(as.pid)
	}
	as.p.forget(as)
}
