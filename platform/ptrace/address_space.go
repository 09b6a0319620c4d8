package ptrace

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
)

// AddressSpace is one stub process. Its first thread, the leader, never
// runs application code: the factory thread traces it, and it serves the
// injections made on behalf of goroutines that trace no thread of the stub
// (thread creation, MapFile/Unmap from elsewhere). Each Context that
// switches into the address space gets a stub thread of its own, cloned
// from the leader and traced by the context's OS thread (threads).
type AddressSpace struct {
	p *Platform
	// pid is the stub's process ID, its leader's thread ID.
	pid int32

	// dead is set once the stub is known to be gone or unusable.
	dead atomic.Bool

	mu sync.Mutex
	// threads maps a context's OS thread (the tracer) to its stub thread.
	threads map[int32]int32
	// regs and status are injection scratch; regs starts as the leader's
	// registers (valid segments for every thread).
	regs   unix.PtraceRegs
	status unix.WaitStatus
	// cur is the stub thread the current injection goes to: the caller's
	// own, or the leader on the factory thread.
	cur int32
	// word is PTRACE_PEEKDATA's result.
	word uint64
	// injected counts the system calls injected into the stub: the
	// round trips that tests count.
	injected int
	// sock is the sentry's end of the stub's private socket for
	// passing it host FDs (fdpass.go; the stub's end is stubSockFD), -1
	// until the first MapFile of a file other than the memory file.
	sock int
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

// MapFile implements platform.AddressSpace. It takes effect for every
// thread of the stub before it returns: injected into the caller's own
// stub thread when it has one here (stopped, since its goroutine is in
// the sentry: one injected mmap), else by the factory into the leader
// (two more handoffs).
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

// Unmap implements platform.AddressSpace, as MapFile.
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
	if tid, ok := as.threads[gettid()]; ok {
		as.cur = tid
		return as.applyLocked(op)
	}
	var err error
	if ferr := as.p.onFactory(func() {
		as.cur = as.pid
		err = as.applyLocked(op)
	}); ferr != nil {
		return ferr
	}
	return err
}

// syscallLocked injects system call nr into stub thread as.cur and
// returns its result; an injection that fails marks the stub dead, and a
// failed call gives its errno. Preconditions: mu held, on as.cur's
// tracer thread.
func (as *AddressSpace) syscallLocked(nr uint64, args [6]uint64) (uint64, error) {
	as.injected++
	rax, err := injectSyscall(as.cur, &as.regs, &as.status, syscallSiteRIP, syscallTrapRIP, nr, args)
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

// markDeadLocked records that the stub is unusable.
func (as *AddressSpace) markDeadLocked(err error) { as.dead.Store(true) }

// threadFor returns the stub thread of the context whose OS thread is
// tid, making it on first use: the factory injects clone(stubThreadFlags)
// into the leader (two handoffs, one injection), and the caller seizes
// the new thread (SEIZE, INTERRUPT, wait). It is Switch's slow path.
func (as *AddressSpace) threadFor(tid int32) (stub int32, fresh bool, err error) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.released {
		return 0, false, errReleased
	}
	if as.dead.Load() {
		return 0, false, fmt.Errorf("stub %d is dead: %w", as.pid, platform.ErrContextBroken)
	}
	if stub, ok := as.threads[tid]; ok {
		return stub, false, nil
	}
	var rax uint64
	if ferr := as.p.onFactory(func() {
		regs := as.regs
		regs.R12 = uint64(os.Getpid()) // the parent the child path checks
		as.injected++
		rax, err = injectSyscall(as.pid, &regs, &as.status, cloneSiteRIP, cloneParentTrap, unix.SYS_CLONE,
			[6]uint64{stubThreadFlags})
	}); ferr != nil {
		return 0, false, ferr
	}
	if err == nil {
		if e := errnoOf(rax); e != 0 {
			err = fmt.Errorf("stub %d: cloning a thread: %w", as.pid, e)
		}
	}
	if err != nil {
		as.markDeadLocked(err)
		return 0, false, err
	}
	stub = int32(rax)
	var regs unix.PtraceRegs
	// TRACESECCOMP: the filter's vsyscall traces (vsyscall.go).
	if err := seizeThread(stub, &regs, unix.PTRACE_O_TRACESECCOMP); err != nil {
		as.markDeadLocked(err)
		return 0, false, err
	}
	if as.threads == nil {
		as.threads = make(map[int32]int32)
	}
	as.threads[tid] = stub
	return stub, true, nil
}

// exitThread ends the stub thread of the context whose OS thread is tid
// (its tracer, the caller): exit(2) injected, which ends that thread only,
// and reaped. Without it the thread, detached when its tracer's thread
// ends, would run its pending system call into the seccomp wall and kill
// the whole stub.
func (as *AddressSpace) exitThread(tid int32) {
	as.mu.Lock()
	defer as.mu.Unlock()
	stub, ok := as.threads[tid]
	if !ok || as.released {
		return
	}
	delete(as.threads, tid)
	if as.dead.Load() {
		// The stub is unusable anyway: make sure the thread is gone and
		// collect it (only its tracer can, or any sentry thread).
		unix.Kill(int(as.pid), unix.SIGKILL)
		reap(stub)
		return
	}
	regs := as.regs
	regs.Rip, regs.Rax, regs.Orig_rax, regs.Rdi = syscallSiteRIP, unix.SYS_EXIT, ^uint64(0), 0
	if setRegs(stub, &regs) != 0 {
		return
	}
	runToExit(stub)
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
	as.closeChannelLocked()
	threads := as.threads
	as.threads = nil
	as.mu.Unlock()
	unix.Kill(int(as.pid), unix.SIGKILL)
	// Every sentry thread may reap any tracee of the sentry: the
	// threads first (traced by their contexts), then the leader, whose
	// exit Linux reports once no other thread is left. A thread whose
	// exit a Switch already saw is gone: ECHILD.
	for _, stub := range threads {
		reapThread(stub)
	}
	reap(as.pid)
	as.p.forget(as)
}
