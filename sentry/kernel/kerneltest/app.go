package kerneltest

import (
	"runtime"

	"golang.org/x/sys/unix"
)

const sysRtSigreturn = unix.SYS_RT_SIGRETURN

// App is a program's view of its task: it makes system calls. Its methods
// must be called only from the program's own goroutine (the Program and
// the Handlers it runs).
type App struct {
	p *Platform
	// req carries the program's system calls to the task goroutine, res
	// the kernel's answers back: the two goroutines take turns.
	req chan request
	res chan resume
	// dead is closed when the task's context is released; the program's
	// goroutine then ends at its next system call.
	dead chan struct{}
	// preempt receives when a handler waits for the program to reach a
	// system call (see Await).
	preempt chan struct{}
}

// request is a system call of the program.
type request struct {
	nr   uintptr
	args [6]uintptr
	// child is the program a forked child runs.
	child Program
	// sigreturn: the handler returned.
	sigreturn bool
	// restart (the context's own): issue the call in the registers again.
	restart bool
}

// resume is what the program finds when it runs again.
type resume struct {
	// rv is the result of the call it waits on (rax).
	rv uint64
	// handler, if set, is to run now, before the call returns.
	handler    Handler
	sig        int
	info, uctx uintptr
	done       bool // the innermost handler's rt_sigreturn completed
}

func startApp(p *Platform, prog Program) *App {
	a := &App{p: p, req: make(chan request), res: make(chan resume), dead: make(chan struct{}), preempt: make(chan struct{}, 1)}
	go func() {
		a.wait()
		prog(a)
		// Falling off the end of the program is exit(0), as returning
		// from main is.
		a.Syscall(unix.SYS_EXIT_GROUP, 0)
	}()
	return a
}

func (a *App) send(r request) {
	select {
	case a.req <- r:
	case <-a.dead:
		runtime.Goexit()
	}
}

func (a *App) recv() resume {
	select {
	case r := <-a.res:
		return r
	case <-a.dead:
		runtime.Goexit()
		panic("unreachable")
	}
}

// wait waits until the call the program is in returns, running the signal
// handlers the kernel delivers meanwhile, and returns rax.
func (a *App) wait() uint64 {
	for {
		r := a.recv()
		switch {
		case r.handler != nil:
			r.handler(a, r.sig, r.info, r.uctx)
			a.send(request{sigreturn: true})
			if r := a.recv(); !r.done {
				panic("kerneltest: rt_sigreturn did not return to the interrupted code")
			}
		case r.done:
			panic("kerneltest: rt_sigreturn outside a handler")
		default:
			return r.rv
		}
	}
}

// Syscall makes system call nr and returns rax: the result, or -errno.
func (a *App) Syscall(nr uintptr, args ...uintptr) uintptr {
	var r request
	r.nr = nr
	copy(r.args[:], args)
	a.send(r)
	return uintptr(a.wait())
}

// Call makes system call nr and splits the result as libc does: a
// non-negative value, or an errno.
func (a *App) Call(nr uintptr, args ...uintptr) (uintptr, unix.Errno) {
	return split(a.Syscall(nr, args...))
}

func split(rv uintptr) (uintptr, unix.Errno) {
	if int64(rv) < 0 && int64(rv) > -4096 {
		return 0, unix.Errno(-int64(rv))
	}
	return rv, 0
}

// Fork forks (fork(2)); the child runs child from the fork's return. It
// returns the child's PID, or an errno.
func (a *App) Fork(child Program) (int32, unix.Errno) { return a.spawn(unix.SYS_FORK, child) }

// Vfork is vfork(2): the child runs child in the parent's memory, and Vfork
// returns once the child exits (or execs).
func (a *App) Vfork(child Program) (int32, unix.Errno) { return a.spawn(unix.SYS_VFORK, child) }

// Clone is clone(2) with flags and, in args, the stack, parent_tid,
// child_tid and tls arguments; the child (a thread with CLONE_THREAD)
// runs child from the call's return. It returns the child's TID, or an
// errno.
func (a *App) Clone(flags uintptr, child Program, args ...uintptr) (int32, unix.Errno) {
	return a.spawn(unix.SYS_CLONE, child, append([]uintptr{flags}, args...)...)
}

// ThreadFlags are the clone flags glibc's pthread_create passes.
const ThreadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID |
	unix.CLONE_CHILD_CLEARTID

// Thread starts a thread that runs child, as pthread_create does, and
// returns its TID.
func (a *App) Thread(child Program) (int32, unix.Errno) {
	return a.Clone(ThreadFlags&^(unix.CLONE_SETTLS|unix.CLONE_PARENT_SETTID|unix.CLONE_CHILD_CLEARTID), child)
}

func (a *App) spawn(nr uintptr, child Program, args ...uintptr) (int32, unix.Errno) {
	r := request{nr: nr, child: child}
	copy(r.args[:], args)
	a.send(r)
	pid, errno := split(uintptr(a.wait()))
	return int32(pid), errno
}

// Handler registers h and returns its address, for sa_handler.
func (a *App) Handler(h Handler) uintptr { return a.p.Handler(h) }

// Load32 reads the 32-bit word at addr of the task's memory.
func (a *App) Load32(addr uintptr) uint32 { return uint32(a.load(addr, 4)) }

// Load64 reads the 64-bit word at addr of the task's memory.
func (a *App) Load64(addr uintptr) uint64 { return a.load(addr, 8) }

// Store32 writes v at addr of the task's memory.
func (a *App) Store32(addr uintptr, v uint32) { a.store(addr, 4, uint64(v)) }

// Store64 writes v at addr of the task's memory.
func (a *App) Store64(addr uintptr, v uint64) { a.store(addr, 8, v) }

func (a *App) load(addr uintptr, size int) uint64 {
	// The value comes back in rax whole: errors would be ambiguous, so the
	// handler reports them by killing the task (a fault).
	return uint64(a.Syscall(SysLoad, addr, uintptr(size)))
}

func (a *App) store(addr uintptr, size int, v uint64) {
	a.Syscall(SysStore, addr, uintptr(size), uintptr(v))
}

// Await waits in the program's own code (not in a system call) until ch
// is ready, as a program spinning on a flag would: when a signal handler
// is to run, it makes a call (sched_yield) so that the handler can run.
// If the task dies meanwhile, the program's goroutine ends.
func (a *App) Await(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
			return
		case <-a.preempt:
			a.Syscall(unix.SYS_SCHED_YIELD)
		case <-a.dead:
			runtime.Goexit()
		}
	}
}
