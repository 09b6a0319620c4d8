package ptrace

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// interruptSignal is sent to a running stub thread by Interrupt. A traced
// thread reports it in a signal-delivery stop, where the platform
// suppresses it; the kernel never raises it for a stub on its own.
const interruptSignal = unix.SIGSTOP

// Context runs application threads from the OS thread of the goroutine
// that created it.
type Context struct {
	p *Platform
	// tid is the OS thread NewContext locked its caller to: the tracer of
	// every stub this context runs.
	tid int32
	// cpu is the CPU the thread and its stubs are pinned to (affinity.go).
	cpu int32

	// interrupt is set by Interrupt and consumed by Switch.
	interrupt atomic.Uint32
	// running is 1 while Switch may be running the stub target.
	running atomic.Uint32
	// target and targetPID name the stub thread Switch runs, and its
	// process, for Interrupt's tgkill.
	target    atomic.Int32
	targetPID atomic.Int32

	// stubs are the stub threads this context made, one per address
	// space it switched into; last is the one it switched into last.
	stubs []stubRef
	last  stubRef

	// Scratch for Switch and SaveFP, used only on the context's thread.
	regs    unix.PtraceRegs
	status  unix.WaitStatus
	siginfo siginfo
	iov     unix.Iovec
	fp      []byte
	// vsyscallNr is the number of the vsyscall Switch is reporting, 0
	// if none (vsyscall.go).
	vsyscallNr uint64
}

// NewContext implements platform.Platform. It pins the calling thread to a
// CPU (affinity.go) and locks the calling goroutine to it, permanently: that goroutine must be the one that calls
// Switch, SaveFP and Release, and its thread becomes the tracer of the stubs
// it switches into. When the goroutine exits, the Go runtime ends the
// thread, and the kernel kills the stubs it traced (PTRACE_O_EXITKILL).
func (p *Platform) NewContext() (platform.Context, error) {
	runtime.LockOSThread()
	cpu := p.cpus.pick()
	pinCaller(cpu)
	return &Context{p: p, tid: gettid(), cpu: cpu, fp: make([]byte, p.xstateSize)}, nil
}

// NeedsLockedThread implements platform.Platform: ptrace requests must come
// from the thread that attached the stub.
func (p *Platform) NeedsLockedThread() bool { return true }

var errNotPtraceAS = errors.New("address space is not from the ptrace platform")

// stubRef is a context's stub thread in an address space.
type stubRef struct {
	as  *AddressSpace
	tid int32
	// cpu is the CPU the stub thread was last pinned to (noCPU: never).
	cpu int32
}

// stubIn returns the context's stub thread in as, making it on the first
// switch there (threadFor) and pinning it to the context's CPU.
func (c *Context) stubIn(as *AddressSpace) (int32, error) {
	if c.last.as == as && c.last.cpu == c.cpu {
		return c.last.tid, nil
	}
	tid, fresh, err := as.threadFor(c.tid)
	if err != nil {
		return 0, err
	}
	if fresh {
		c.stubs = slices.DeleteFunc(c.stubs, func(r stubRef) bool { return r.as.dead.Load() })
		c.stubs = append(c.stubs, stubRef{as: as, tid: tid, cpu: noCPU})
	}
	i := slices.IndexFunc(c.stubs, func(r stubRef) bool { return r.as == as })
	if c.stubs[i].cpu != c.cpu {
		// New, or the context moved (PinCPU) since it last ran here.
		c.pinStub(tid, c.cpu)
		c.stubs[i].cpu = c.cpu
	}
	c.last = c.stubs[i]
	return tid, nil
}

// CPU implements platform.CPUPinner.
func (c *Context) CPU() int { return int(c.cpu) }

// PinCPU implements platform.CPUPinner: the tracer thread moves now, each
// stub thread at its next Switch (one injected sched_setaffinity each).
// A CPU beyond the stubs' mask table leaves the context where it is.
func (c *Context) PinCPU(cpu int) {
	if cpu < 0 || cpu >= maxPinnedCPUs || int32(cpu) == c.cpu {
		return
	}
	c.cpu = int32(cpu)
	pinCaller(c.cpu)
}

// Switch implements platform.Context.
//
// Hot path: PTRACE_SETREGS, PTRACE_SYSEMU, wait4, PTRACE_GETREGS; no
// allocation.
func (c *Context) Switch(pas platform.AddressSpace, st *arch.State) (platform.Event, platform.SignalInfo, error) {
	as, ok := pas.(*AddressSpace)
	if !ok {
		return 0, platform.SignalInfo{}, errNotPtraceAS
	}
	if as.dead.Load() {
		return 0, platform.SignalInfo{}, fmt.Errorf("stub %d is dead: %w", as.pid, platform.ErrContextBroken)
	}
	// Before running is published (an interrupt's SIGSTOP must not land
	// in an injection) and before c.regs is loaded from st.
	tid, err := c.stubIn(as)
	if err != nil {
		return 0, platform.SignalInfo{}, err
	}

	// Publish that we are about to run, then look for an interrupt: either
	// Interrupt sees running (and signals the stub) or we see its flag.
	c.target.Store(tid)
	c.targetPID.Store(as.pid)
	c.running.Store(1)
	if c.interrupt.Load() != 0 && c.interrupt.Swap(0) != 0 {
		c.running.Store(0)
		return platform.EventInterrupted, platform.SignalInfo{}, nil
	}

	c.regs = st.Regs
	c.regs.Orig_rax = ^uint64(0) // the sentry owns system-call restarts
	if e := setRegs(tid, &c.regs); e != 0 {
		c.running.Store(0)
		return 0, platform.SignalInfo{}, c.dead(as, broken("setting registers of", tid, e))
	}
	if st.FPDirty {
		if err := c.loadFP(tid, st); err != nil {
			c.running.Store(0)
			return 0, platform.SignalInfo{}, err
		}
	}

	for {
		if e := ptrace(unix.PTRACE_SYSEMU, tid, 0, 0); e != 0 {
			c.running.Store(0)
			return 0, platform.SignalInfo{}, c.dead(as, broken("resuming", tid, e))
		}
		if e := wait(tid, &c.status); e != 0 {
			c.running.Store(0)
			return 0, platform.SignalInfo{}, c.dead(as, broken("waiting for", tid, e))
		}
		if !c.status.Stopped() {
			c.running.Store(0)
			return 0, platform.SignalInfo{}, c.dead(as, &stubExitError{pid: tid, status: c.status})
		}
		ev, info, done := c.classify(tid)
		if !done {
			continue
		}
		c.running.Store(0)
		if e := getRegs(tid, &st.Regs); e != 0 {
			return 0, platform.SignalInfo{}, c.dead(as, broken("getting registers of", tid, e))
		}
		if ev == platform.EventSyscall {
			// As at the syscall instruction: rax holds the number
			// (the kernel put -ENOSYS there); rip is after it.
			st.Regs.Rax = st.Regs.Orig_rax
			c.fixVsyscall(&st.Regs)
		}
		return ev, info, nil
	}
}

// classify turns the stop in c.status into an event, or done=false for a
// stop to suppress (a stale interrupt, a signal from outside the sandbox).
func (c *Context) classify(tid int32) (ev platform.Event, info platform.SignalInfo, done bool) {
	sig, event := stopInfo(c.status)
	if sig == unix.SIGTRAP|0x80 {
		return platform.EventSyscall, info, true
	}
	if sig == unix.SIGTRAP && event == unix.PTRACE_EVENT_SECCOMP {
		return c.vsyscallStop(tid)
	}
	if event != 0 {
		// A group-stop or PTRACE_INTERRUPT stop: nothing to report.
		return 0, info, false
	}
	switch sig {
	case interruptSignal:
		if c.interrupt.Load() != 0 && c.interrupt.Swap(0) != 0 {
			return platform.EventInterrupted, info, true
		}
		return 0, info, false // stale: an earlier interrupt already reported
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGTRAP:
		if getSiginfo(tid, &c.siginfo) != 0 {
			return 0, info, false
		}
		if c.siginfo.Code <= 0 {
			// Sent by a process (kill, tgkill, sigqueue), not raised
			// by the thread's own execution: the application cannot
			// send host signals, so it is noise from outside.
			return 0, info, false
		}
		info = platform.SignalInfo{Signo: int32(sig), Code: c.siginfo.Code, Addr: uintptr(c.siginfo.Addr)}
		if isFault(sig, c.siginfo.Code) {
			return platform.EventFault, info, true
		}
		return platform.EventSignal, info, true
	}
	// Any other signal (SIGXCPU, SIGCHLD, ...) is host noise; the sentry
	// delivers the application's signals itself.
	return 0, info, false
}

// si_code values of memory faults.
const (
	segvMapErr = 1
	segvAccErr = 2
	busAdrErr  = 2
)

func isFault(sig unix.Signal, code int32) bool {
	switch sig {
	case unix.SIGSEGV:
		return code == segvMapErr || code == segvAccErr
	case unix.SIGBUS:
		return code == busAdrErr
	}
	return false
}

// dead marks as dead on a Switch failure and returns err.
func (c *Context) dead(as *AddressSpace, err error) error {
	as.mu.Lock()
	as.markDeadLocked(err)
	as.mu.Unlock()
	return err
}

// loadFP writes st.FP into the stub thread, padded with zeroes to the
// host's XSAVE size (a shorter buffer leaves the missing components in
// their init state only if XSTATE_BV says so, which is the caller's job).
// An FP state the kernel rejects (bad XSAVE header or MXCSR) is the
// application's fault, not the context's: the error does not wrap
// ErrContextBroken.
func (c *Context) loadFP(tid int32, st *arch.State) error {
	n := copy(c.fp, st.FP)
	clear(c.fp[n:])
	if _, e := xstate(tid, true, &c.iov, c.fp); e != 0 {
		return fmt.Errorf("loading FP state into stub %d: %w", tid, e)
	}
	st.FPDirty = false
	return nil
}

// SaveFP implements platform.Context: it reads the stub thread's XSAVE area
// into st.FP, resized to the host's XSAVE size. If st.FPDirty, st.FP is
// newer than the thread's (a Switch returned EventInterrupted before
// loading it) and is left as it is.
func (c *Context) SaveFP(pas platform.AddressSpace, st *arch.State) error {
	as, ok := pas.(*AddressSpace)
	if !ok {
		return errNotPtraceAS
	}
	if st.FPDirty {
		return nil
	}
	if c.last.as != as {
		return fmt.Errorf("saving FP state: stub %d was not run by this context last", as.pid)
	}
	n, e := xstate(c.last.tid, false, &c.iov, c.fp)
	if e != 0 {
		return c.dead(as, broken("reading FP state of", c.last.tid, e))
	}
	if cap(st.FP) < n {
		st.FP = make([]byte, n)
	}
	st.FP = st.FP[:n]
	copy(st.FP, c.fp[:n])
	return nil
}

// Interrupt implements platform.Context. Safe from any goroutine.
//
// Races: the flag is set before running is read, and Switch sets running
// before it reads the flag, so either Switch returns EventInterrupted
// without running, or the stub gets the signal. A signal that arrives after
// Switch returned for another reason stays queued on the stub; the next
// Switch either reports it (if an interrupt is pending) or suppresses it,
// never as a fault.
func (c *Context) Interrupt() {
	c.interrupt.Store(1)
	if c.running.Load() != 0 {
		tgkill(c.targetPID.Load(), c.target.Load(), interruptSignal)
	}
}

// Release implements platform.Context: the context's stub threads in live
// address spaces exit (the other threads of those stubs go on). The
// goroutine stays locked to its thread, which ends when it exits.
func (c *Context) Release() {
	for _, r := range c.stubs {
		r.as.exitThread(c.tid)
	}
	c.stubs, c.last = nil, stubRef{}
}
