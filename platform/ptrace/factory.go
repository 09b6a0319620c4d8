package ptrace

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// factoryRequest asks the factory goroutine for a new stub, to run fn on
// its thread (an injection into a stub leader it traces), or to stop.
type factoryRequest struct {
	stop  bool
	fn    func()
	reply chan factoryReply
}

type factoryReply struct {
	pid  int32
	regs unix.PtraceRegs
	err  error
}

// template is the pristine stub that every address space's stub is forked
// from. It never runs application code. Only the factory thread touches it.
type template struct {
	pid    int32
	regs   unix.PtraceRegs
	status unix.WaitStatus
}

// factory runs on its own OS thread for the life of the platform: that
// thread is the template's tracer, and the parent (PDEATHSIG) of every stub,
// so it must never exit while stubs live, and never be shared with other
// goroutines. After a stop request it returns without unlocking, which
// makes the Go runtime end the thread.
func (p *Platform) factory(elf []byte, ready chan<- error) {
	runtime.LockOSThread()
	t, err := startTemplate(elf, p.memFD)
	if err == nil {
		p.xstateSize, err = t.xstateSize()
		if err != nil {
			t.kill()
		}
	}
	ready <- err
	if err != nil {
		return
	}
	for req := range p.requests {
		if req.stop {
			t.kill()
			req.reply <- factoryReply{}
			return
		}
		if req.fn != nil {
			req.fn()
			req.reply <- factoryReply{}
			continue
		}
		r := factoryReply{}
		r.pid, r.err = t.fork()
		if r.err == nil {
			if r.err = seizeThread(r.pid, &r.regs, unix.PTRACE_O_EXITKILL); r.err != nil {
				unix.Kill(int(r.pid), unix.SIGKILL)
				reap(r.pid)
			}
		}
		req.reply <- r
	}
}

// seizeThread attaches the calling thread to the stub thread tid (in its
// pause loop), stops it and reads its registers into regs.
func seizeThread(tid int32, regs *unix.PtraceRegs, extraOpts int) error {
	opts := unix.PTRACE_O_TRACESYSGOOD | extraOpts
	if e := ptrace(unix.PTRACE_SEIZE, tid, 0, uintptr(opts)); e != 0 {
		return broken("seizing", tid, e)
	}
	if e := ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); e != 0 {
		return broken("interrupting", tid, e)
	}
	var status unix.WaitStatus
	for {
		if e := wait(tid, &status); e != 0 {
			return broken("waiting for", tid, e)
		}
		if !status.Stopped() {
			return &stubExitError{pid: tid, status: status}
		}
		if _, event := stopInfo(status); event == unix.PTRACE_EVENT_STOP {
			break
		}
		// A signal-delivery stop came first: suppress it; the
		// interrupt is still pending and stops the stub next.
		if e := ptrace(unix.PTRACE_CONT, tid, 0, 0); e != 0 {
			return broken("resuming", tid, e)
		}
	}
	if e := getRegs(tid, regs); e != 0 {
		return broken("getting registers of", tid, e)
	}
	return nil
}

// onFactory runs fn on the factory thread, the tracer of every stub
// leader, and waits for it: two handoffs.
func (p *Platform) onFactory(fn func()) error {
	req := factoryRequest{fn: fn, reply: make(chan factoryReply, 1)}
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return errReleased
	}
	p.requests <- req
	p.mu.Unlock()
	<-req.reply
	return nil
}

// templateStartAttempts bounds retries of the template's exec: with address
// space layout randomisation the initial stack can, very rarely, land on the
// stub's fixed page, and the exec then fails after the point of no return.
const templateStartAttempts = 4

// startTemplate writes the stub ELF to a sealed, execute-only memfd,
// executes it through /proc/self/fd without privileges (stubCredential) with
// the memory file at stubMemFD, and runs it until it has confined itself and
// trapped. The caller must be locked to its OS thread for good: it becomes
// the template's tracer, and stubCredential empties its bounding set.
func startTemplate(elf []byte, memFD int) (*template, error) {
	fd, err := unix.MemfdCreate("cocoon-stub", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("creating stub memfd: %w", err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, elf); err != nil {
		return nil, fmt.Errorf("writing stub: %w", err)
	}
	if err := unix.Fchmod(fd, stubExecMode); err != nil {
		return nil, fmt.Errorf("making stub memfd execute-only: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return nil, fmt.Errorf("sealing stub memfd: %w", err)
	}
	// The child's descriptors 0-3 are rearranged before exec; keep the
	// executable's descriptor out of their way.
	execFD, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 10)
	if err != nil {
		return nil, fmt.Errorf("duplicating stub memfd: %w", err)
	}
	defer unix.Close(execFD)

	cred, err := stubCredential()
	if err != nil {
		return nil, fmt.Errorf("dropping privileges for the stub: %w", err)
	}

	path := fmt.Sprintf("/proc/self/fd/%d", execFD)
	closed := ^uintptr(0)
	attr := &syscall.ProcAttr{
		Env:   []string{},
		Files: []uintptr{closed, closed, closed, uintptr(memFD)},
		Sys: &syscall.SysProcAttr{
			// The child changes user before it sets its death
			// signal (a change of user clears it) and before
			// PTRACE_TRACEME; nil when there is nothing to shed.
			Credential: cred,
			Ptrace:     true,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	var lastErr error
	for attempt := 0; attempt < templateStartAttempts; attempt++ {
		pid, err := syscall.ForkExec(path, []string{"cocoon-stub"}, attr)
		if err != nil {
			return nil, fmt.Errorf("executing stub: %w", err)
		}
		t := &template{pid: int32(pid)}
		if lastErr = t.waitReady(); lastErr == nil {
			return t, nil
		}
		t.kill()
	}
	return nil, lastErr
}

// waitReady takes the template from its post-exec SIGTRAP to the int3 after
// its setup.
func (t *template) waitReady() error {
	if e := wait(t.pid, &t.status); e != 0 {
		return fmt.Errorf("waiting for stub %d: %w", t.pid, e)
	}
	if !t.status.Stopped() {
		return &stubExitError{pid: t.pid, status: t.status}
	}
	opts := unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_EXITKILL
	if e := ptrace(unix.PTRACE_SETOPTIONS, t.pid, 0, uintptr(opts)); e != 0 {
		return broken("setting options of", t.pid, e)
	}
	if err := runToTrap(t.pid, &t.status); err != nil {
		return fmt.Errorf("stub setup: %w", err)
	}
	if e := getRegs(t.pid, &t.regs); e != 0 {
		return broken("getting registers of", t.pid, e)
	}
	if t.regs.Rip != readyRIP {
		return fmt.Errorf("stub %d trapped at %#x, want %#x", t.pid, t.regs.Rip, readyRIP)
	}
	// The exec kept every FD of the sentry that is not close-on-exec
	// (the gofer socket, the container's stdio): a stub holds the
	// memory file only.
	regs := t.regs
	rax, err := injectSyscall(t.pid, &regs, &t.status, syscallSiteRIP, syscallTrapRIP, unix.SYS_CLOSE_RANGE,
		[6]uint64{stubMemFD + 1, math.MaxUint32, 0})
	if err != nil {
		return fmt.Errorf("closing inherited FDs in stub %d: %w", t.pid, err)
	}
	if e := errnoOf(rax); e != 0 {
		return fmt.Errorf("closing inherited FDs in stub %d: %w", t.pid, e)
	}
	return nil
}

// xstateSize reads the template's XSAVE area once to learn its size.
func (t *template) xstateSize() (int, error) {
	var iov unix.Iovec
	buf := make([]byte, 1<<16)
	n, e := xstate(t.pid, false, &iov, buf)
	if e != 0 {
		return 0, fmt.Errorf("reading stub xstate: %w", e)
	}
	if n < 512+64 {
		return 0, fmt.Errorf("stub xstate is only %d bytes", n)
	}
	return n, nil
}

// fork injects clone(CLONE_PARENT|SIGCHLD) into the template and returns the
// new stub's PID. The child runs the stub's child path (death signal,
// parent check, pause) until the factory seizes it: that first thread is
// the stub's leader, which never runs application code.
func (t *template) fork() (int32, error) {
	regs := t.regs
	regs.R12 = uint64(os.Getpid()) // the parent the child must see
	var args [6]uint64
	args[0] = stubCloneFlags
	rax, err := injectSyscall(t.pid, &regs, &t.status, cloneSiteRIP, cloneParentTrap, unix.SYS_CLONE, args)
	if err != nil {
		return 0, err
	}
	if e := errnoOf(rax); e != 0 {
		return 0, fmt.Errorf("cloning stub: %w", e)
	}
	return int32(rax), nil
}

// kill kills and reaps the template.
func (t *template) kill() {
	unix.Kill(int(t.pid), unix.SIGKILL)
	reap(t.pid)
}
