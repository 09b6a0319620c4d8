// Package kerneltest runs kernel tasks in-process, for unit tests of the
// kernel that the race detector can see: a fake platform whose contexts
// play the application with Go functions instead of machine code, and a
// harness (Env) that boots a kernel over it and starts container inits.
//
// An application is a Program: a Go function that runs on its own
// goroutine and makes system calls through its App. The task goroutine and
// the program goroutine hand control to each other, so exactly one of them
// runs at a time, as a CPU switches between the sentry and the
// application. The fake models the application's instruction pointer with
// made-up code addresses:
//
//   - every system call gets a fresh "site": Switch returns EventSyscall
//     with rip = site+2 (after the syscall instruction); rip = site+2 on
//     the next Switch means "it returned", rip = site means "restart it";
//
//   - a signal handler is a Go function registered at an address
//     (Platform.Handler); when the kernel points rip at it, the program
//     runs it, and its return makes rt_sigreturn, which brings rip back to
//     the interrupted site;
//
//   - a program's entry is an address too: an init's (Platform.Entry), or,
//     for a forked child, its parent's fork site + 2, where the child
//     resumes with rax = 0.
//
//   - a program interrupted while it runs Go code between two calls is
//     "at" a fresh address too; a handler the kernel delivers there runs
//     when the program reaches its next system call, which then goes
//     ahead. App.Await, the way for a program to wait in its own code (on
//     a channel of the test), makes a call (sched_yield) when that
//     happens, as a C program spinning on a flag that its handler sets
//     would.
//
// Limits: the program touches its memory only through the kernel
// (App.Load32 and friends are test-only system calls, SysLoad and
// SysStore); exec is not supported (rip jumps to an unknown address and
// Switch fails).
//
// Address spaces come from mmtest (record-only); contexts are this
// package's. The Platform is safe for concurrent use (mu guards the entry
// tables); a context follows platform.Context's rules.
package kerneltest

import (
	"fmt"
	"sync"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/mm/mmtest"
)

// Program is the application code of a task.
type Program func(a *App)

// Handler is a signal handler: it runs on the program's goroutine with
// the signal number, the addresses of the siginfo and the ucontext (rdi,
// rsi, rdx at entry).
type Handler func(a *App, sig int, info, uctx uintptr)

// codeBase is the first made-up code address; sites are codeStep apart.
const (
	codeBase = 0x10000000
	codeStep = 16
)

// Platform is a fake platform.Platform running Programs.
type Platform struct {
	*mmtest.Platform

	mu sync.Mutex
	// next is the next free code address.
	next uintptr
	// entries maps an address to the program that starts there; each is
	// taken by the first context that starts at it.
	entries map[uintptr]Program
	// handlers maps an address to the signal handler there.
	handlers map[uintptr]Handler
}

// NewPlatform returns a fake platform.
func NewPlatform() *Platform {
	return &Platform{
		Platform: mmtest.NewPlatform(),
		next:     codeBase,
		entries:  make(map[uintptr]Program),
		handlers: make(map[uintptr]Handler),
	}
}

// alloc returns a fresh code address.
func (p *Platform) alloc() uintptr {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.next
	p.next += codeStep
	return a
}

// Entry registers prog and returns its entry address, the rip to start a
// task at.
func (p *Platform) Entry(prog Program) uintptr {
	a := p.alloc()
	p.setEntry(a, prog)
	return a
}

func (p *Platform) setEntry(addr uintptr, prog Program) {
	p.mu.Lock()
	p.entries[addr] = prog
	p.mu.Unlock()
}

func (p *Platform) takeEntry(addr uintptr) Program {
	p.mu.Lock()
	defer p.mu.Unlock()
	prog := p.entries[addr]
	delete(p.entries, addr)
	return prog
}

// Handler registers h and returns its address, for sa_handler.
func (p *Platform) Handler(h Handler) uintptr {
	a := p.alloc()
	p.mu.Lock()
	p.handlers[a] = h
	p.mu.Unlock()
	return a
}

func (p *Platform) handler(addr uintptr) Handler {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.handlers[addr]
}

// NewContext implements platform.Platform.
func (p *Platform) NewContext() (platform.Context, error) {
	return &context{p: p, intr: make(chan struct{}, 1)}, nil
}

// site is a system call the program made and waits on, or the place where
// it was interrupted.
type site struct {
	addr uintptr
	// sigreturn marks the rt_sigreturn that ends a handler: it never
	// returns to its site.
	sigreturn bool
	// running marks where an Interrupt found the program running its own
	// code: returning there lets it go on.
	running bool
	// held, at a running site, is the call the program reached while a
	// handler was delivered: it is issued once the handler is over.
	held *request
}

// context runs one program. Its fields belong to the task goroutine,
// except intr (any goroutine may Interrupt).
type context struct {
	p    *Platform
	intr chan struct{}
	app  *App
	// sites are the system calls the program is inside, innermost last
	// (a handler's calls above the call it interrupted).
	sites []site
	// waiting is set while the program's goroutine waits for an answer
	// (App.wait); clear while it runs its own code.
	waiting bool
	// issue is the call next issues without asking the program: a
	// restart, or a call held while a handler ran.
	issue *request
	// fp is the FP state last loaded.
	fp []byte
}

// Switch implements platform.Context.
func (c *context) Switch(as platform.AddressSpace, st *arch.State) (platform.Event, platform.SignalInfo, error) {
	select {
	case <-c.intr:
		return platform.EventInterrupted, platform.SignalInfo{}, nil
	default:
	}
	if st.FPDirty {
		c.fp = append(c.fp[:0], st.FP...)
		st.FPDirty = false
	}
	if c.app == nil {
		rip := uintptr(st.Regs.Rip)
		prog := c.p.takeEntry(rip)
		if prog == nil {
			return 0, platform.SignalInfo{}, fmt.Errorf("kerneltest: no program at %#x: %w", rip, platform.ErrContextBroken)
		}
		c.app = startApp(c.p, prog)
		// The program waits at its entry as if inside a call that
		// returns there, so that a handler can run before its first
		// instruction.
		c.sites = append(c.sites, site{addr: rip - 2})
		c.waiting = true
	}
	if err := c.resume(st); err != nil {
		return 0, platform.SignalInfo{}, err
	}
	return c.next(st), platform.SignalInfo{}, nil
}

func (c *context) pop() site {
	top := c.sites[len(c.sites)-1]
	c.sites = c.sites[:len(c.sites)-1]
	return top
}

// answer hands r to the program's goroutine, which then runs until its
// next call, or, for the end of a handler, goes back to waiting.
func (c *context) answer(r resume) {
	c.app.res <- r
	c.waiting = r.done
}

// resume gives the program what the kernel decided, as rip says: the
// result of its innermost call, a restart of it, a handler to run, or the
// end of a handler.
func (c *context) resume(st *arch.State) error {
	r := &st.Regs
	rip := uintptr(r.Rip)
	for len(c.sites) > 0 {
		top := &c.sites[len(c.sites)-1]
		switch {
		case top.sigreturn:
			// The registers are the interrupted ones again: the handler
			// is over; look at rip again for what it interrupted.
			c.pop()
			c.answer(resume{done: true})
			continue
		case rip == top.addr+2 && top.running:
			c.issue = c.pop().held
			return nil
		case rip == top.addr+2:
			c.pop()
			c.answer(resume{rv: r.Rax})
			return nil
		case rip == top.addr:
			// Restarted: the registers hold the call again.
			c.issue = &request{restart: true}
			return nil
		}
		h := c.p.handler(rip)
		if h == nil {
			return fmt.Errorf("kerneltest: program at unknown address %#x: %w", rip, platform.ErrContextBroken)
		}
		if !c.waiting {
			// Interrupted while running its own code (top is a running
			// site): the handler runs once it reaches its next call,
			// which App.Await makes at once.
			select {
			case c.app.preempt <- struct{}{}:
			default:
			}
			req := <-c.app.req
			top.held = &req
		}
		c.answer(resume{handler: h, sig: int(r.Rdi), info: uintptr(r.Rsi), uctx: uintptr(r.Rdx)})
		return nil
	}
	return fmt.Errorf("kerneltest: program has no call to return to: %w", platform.ErrContextBroken)
}

// next waits for the program's next system call and loads it into st, or
// returns EventInterrupted if Interrupt comes first.
func (c *context) next(st *arch.State) platform.Event {
	r := &st.Regs
	var req request
	if c.issue != nil {
		req, c.issue = *c.issue, nil
	} else {
		select {
		case req = <-c.app.req:
		case <-c.intr:
			addr := c.p.alloc()
			r.Rip = uint64(addr + 2)
			c.sites = append(c.sites, site{addr: addr, running: true})
			return platform.EventInterrupted
		}
	}
	c.waiting = true
	if req.restart {
		// The syscall instruction again: its number is in rax.
		r.Rip += 2
		r.Orig_rax = r.Rax
		return platform.EventSyscall
	}
	addr := c.p.alloc()
	nr := req.nr
	if req.sigreturn {
		// The handler's ret pops the return address (sa_restorer),
		// which makes rt_sigreturn.
		r.Rsp += 8
		nr = sysRtSigreturn
	}
	if req.child != nil {
		c.p.setEntry(addr+2, req.child)
	}
	r.Rax, r.Orig_rax = uint64(nr), uint64(nr)
	a := req.args
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4]), uint64(a[5])
	r.Rip = uint64(addr + 2)
	c.sites = append(c.sites, site{addr: addr, sigreturn: req.sigreturn})
	return platform.EventSyscall
}

// SaveFP implements platform.Context.
func (c *context) SaveFP(as platform.AddressSpace, st *arch.State) error {
	if !st.FPDirty {
		if c.fp == nil {
			c.fp = arch.InitialFP()
		}
		st.FP = append(st.FP[:0], c.fp...)
	}
	return nil
}

// Interrupt implements platform.Context.
func (c *context) Interrupt() {
	select {
	case c.intr <- struct{}{}:
	default:
	}
}

// Release implements platform.Context: the program's goroutine ends.
func (c *context) Release() {
	if c.app != nil {
		close(c.app.dead)
	}
}
