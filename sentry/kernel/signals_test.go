package kernel_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// blockedIn waits until task pid sleeps in a blocking call (or is
// stopped: state is "S" or "T"), so that a signal finds it there.
func blockedIn(t *testing.T, e *kerneltest.Env, pid int32, state string) {
	t.Helper()
	deadline := time.Now().Add(kerneltest.Timeout)
	for time.Now().Before(deadline) {
		if task := e.K.TaskByTID(pid); task != nil && strings.HasPrefix(task.StateString(), state) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("task %d never reached state %s", pid, state)
}

// counter is a handler that counts its calls and records the last
// signal and siginfo fields.
type counter struct {
	n           atomic.Int32
	sig         atomic.Int32
	code, pid   atomic.Int32
	status, uid atomic.Int32
	// ran is closed by the first call.
	ran  chan struct{}
	once atomic.Bool
}

func newCounter() *counter { return &counter{ran: make(chan struct{})} }

func (c *counter) handle(a *kerneltest.App, sig int, info, _ uintptr) {
	c.sig.Store(int32(sig))
	c.code.Store(int32(a.Load32(info + 8)))
	c.pid.Store(int32(a.Load32(info + 16)))
	c.uid.Store(int32(a.Load32(info + 20)))
	c.status.Store(int32(a.Load32(info + 24)))
	c.n.Add(1)
	if c.once.CompareAndSwap(false, true) {
		close(c.ran)
	}
}

func TestHandlerGetsSiginfo(t *testing.T) {
	e := newEnv(t)
	c := newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		wantErrno(t, "sigaction", sigaction(a, linux.SIGUSR1, a.Handler(c.handle), linux.SA_SIGINFO, 0), 0)
		wantErrno(t, "kill self", kill(a, getpid(a), linux.SIGUSR1), 0)
		// The handler ran before kill returned.
		wantEq(t, "handler calls", c.n.Load(), 1)
		wantEq(t, "signal", c.sig.Load(), int32(linux.SIGUSR1))
		wantEq(t, "si_code", c.code.Load(), linux.SI_USER)
		wantEq(t, "si_pid", c.pid.Load(), getpid(a))
		// The handler's mask is gone after it returned.
		wantEq(t, "mask after the handler", sigprocmask(a, linux.SIG_BLOCK, 0), 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

func TestMaskingAndQueueing(t *testing.T) {
	e := newEnv(t)
	std, rt := newCounter(), newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGUSR1, a.Handler(std.handle), 0, 0)
		sigaction(a, linux.SIGRTMIN, a.Handler(rt.handle), 0, 0)
		set := linux.SIGUSR1.Mask() | linux.SIGRTMIN.Mask()
		sigprocmask(a, linux.SIG_BLOCK, set)
		self := getpid(a)
		for i := 0; i < 2; i++ {
			kill(a, self, linux.SIGUSR1)
			kill(a, self, linux.SIGRTMIN)
		}
		wantEq(t, "handler calls while blocked", std.n.Load()+rt.n.Load(), 0)
		wantEq(t, "sigpending", sigpending(a), set)
		sigprocmask(a, linux.SIG_UNBLOCK, set)
		// A standard signal is pending once; a real-time one queues.
		wantEq(t, "SIGUSR1 deliveries", std.n.Load(), 1)
		wantEq(t, "SIGRTMIN deliveries", rt.n.Load(), 2)
		wantEq(t, "sigpending after", sigpending(a), 0)

		// An ignored signal is discarded, not left pending, unless it is
		// blocked: then it stays pending, since its action may change
		// before it is unblocked (Linux's sig_ignored); unblocked while
		// still ignored, it is dropped.
		sigaction(a, linux.SIGUSR2, linux.SIG_IGN, 0, 0)
		kill(a, self, linux.SIGUSR2)
		wantEq(t, "ignored and pending", sigpending(a), 0)
		sigprocmask(a, linux.SIG_BLOCK, linux.SIGUSR2.Mask())
		kill(a, self, linux.SIGUSR2)
		wantEq(t, "ignored, blocked and pending", sigpending(a), linux.SIGUSR2.Mask())
		sigprocmask(a, linux.SIG_UNBLOCK, linux.SIGUSR2.Mask())
		wantEq(t, "ignored and unblocked", sigpending(a), 0)
		// SIGKILL cannot be blocked: the mask drops it.
		sigprocmask(a, linux.SIG_SETMASK, ^linux.SignalSet(0))
		wantEq(t, "SIGKILL and SIGSTOP in the mask", sigprocmask(a, linux.SIG_BLOCK, 0)&linux.UnblockableSignals, 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestExitStatuses checks the wait status of each way to end.
func TestExitStatuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		prog kerneltest.Program
		// signal, if set, is what the parent sends once the child is in
		// state ("S" sleeping, "T" stopped; "" running its own code).
		signal linux.Signal
		state  string
		want   linux.WaitStatus
	}{
		{"exit", func(a *kerneltest.App) { a.Syscall(unix.SYS_EXIT, 3) }, 0, "", linux.Exited(3)},
		{"exit_group", func(a *kerneltest.App) { exit(a, 300) }, 0, "", linux.Exited(300 & 0xff)},
		{"return", func(a *kerneltest.App) {}, 0, "", linux.Exited(0)},
		{"SIGTERM", pauseForever, linux.SIGTERM, "S", linux.Killed(linux.SIGTERM, false)},
		{"SIGQUIT dumps core", pauseForever, linux.SIGQUIT, "S", linux.Killed(linux.SIGQUIT, true)},
		{"SIGKILL", pauseForever, linux.SIGKILL, "S", linux.Killed(linux.SIGKILL, false)},
		{"SIGKILL while all blocked", func(a *kerneltest.App) {
			sigprocmask(a, linux.SIG_SETMASK, ^linux.SignalSet(0))
			pauseForever(a)
		}, linux.SIGKILL, "S", linux.Killed(linux.SIGKILL, false)},
		{"SIGKILL in a pipe read", func(a *kerneltest.App) {
			r, _ := pipe(a)
			a.Call(unix.SYS_READ, r, kerneltest.DataAddr+0x700, 1)
		}, linux.SIGKILL, "S", linux.Killed(linux.SIGKILL, false)},
		{"SIGKILL in wait4", func(a *kerneltest.App) {
			a.Fork(pauseForever)
			wait4(a, -1, 0)
		}, linux.SIGKILL, "S", linux.Killed(linux.SIGKILL, false)},
		{"SIGKILL in its own code", func(a *kerneltest.App) {
			a.Await(make(chan struct{}))
		}, linux.SIGKILL, "", linux.Killed(linux.SIGKILL, false)},
		{"SIGKILL when stopped", func(a *kerneltest.App) {
			kill(a, getpid(a), linux.SIGSTOP)
		}, linux.SIGKILL, "T", linux.Killed(linux.SIGKILL, false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ws := e.Run(rootCreds(), func(a *kerneltest.App) {
				pid, _ := a.Fork(tc.prog)
				if tc.signal != 0 {
					if tc.state != "" {
						blockedIn(t, e, pid, tc.state)
					}
					wantErrno(t, "kill", kill(a, pid, tc.signal), 0)
				}
				got, ws, errno := wait4(a, pid, 0)
				wantErrno(t, "wait4", errno, 0)
				wantEq(t, "wait4 pid", got, pid)
				wantEq(t, "status", ws, tc.want)
			})
			wantEq(t, "init status", ws, linux.Exited(0))
		})
	}
}

func pauseForever(a *kerneltest.App) {
	for {
		a.Call(unix.SYS_PAUSE)
	}
}

// TestRestart interrupts a pipe read with a handler, with and without
// SA_RESTART.
func TestRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags uint64
		rv    uintptr
		errno unix.Errno
	}{
		{"SA_RESTART", linux.SA_RESTART, 1, 0},
		{"EINTR", 0, 0, unix.EINTR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := newCounter()
			ws := e.Run(rootCreds(), func(a *kerneltest.App) {
				r, w := pipe(a)
				pid, _ := a.Fork(func(a *kerneltest.App) {
					sigaction(a, linux.SIGUSR1, a.Handler(c.handle), tc.flags, 0)
					buf := uintptr(kerneltest.DataAddr + 0x700)
					rv, errno := a.Call(unix.SYS_READ, r, buf, 1)
					wantEq(t, "read", rv, tc.rv)
					wantErrno(t, "read", errno, tc.errno)
				})
				buf := uintptr(kerneltest.DataAddr + 0x700)
				blockedIn(t, e, pid, "S")
				kill(a, pid, linux.SIGUSR1)
				a.Await(c.ran)
				a.Call(unix.SYS_WRITE, w, buf, 1)
				_, ws, _ := wait4(a, pid, 0)
				wantEq(t, "child status", ws, linux.Exited(0))
				wantEq(t, "handler calls", c.n.Load(), 1)
			})
			wantEq(t, "status", ws, linux.Exited(0))
		})
	}
}

// TestSigsuspend waits with a temporary mask; the old one is back after
// the handler.
func TestSigsuspend(t *testing.T) {
	e := newEnv(t)
	c := newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGUSR1, a.Handler(c.handle), 0, 0)
		sigprocmask(a, linux.SIG_BLOCK, linux.SIGUSR1.Mask())
		parent := getpid(a)
		a.Fork(func(a *kerneltest.App) {
			blockedIn(t, e, parent, "S")
			kill(a, parent, linux.SIGUSR1)
		})
		a.Store64(setAddr+16, 0)
		_, errno := a.Call(unix.SYS_RT_SIGSUSPEND, setAddr+16, 8)
		wantErrno(t, "sigsuspend", errno, unix.EINTR)
		wantEq(t, "handler calls", c.n.Load(), 1)
		wantEq(t, "mask after", sigprocmask(a, linux.SIG_BLOCK, 0), linux.SIGUSR1.Mask())
		wait4(a, -1, 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestSigtimedwait takes a blocked signal without running its handler.
func TestSigtimedwait(t *testing.T) {
	e := newEnv(t)
	c := newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGUSR1, a.Handler(c.handle), 0, 0)
		sigprocmask(a, linux.SIG_BLOCK, linux.SIGUSR1.Mask())
		kill(a, getpid(a), linux.SIGUSR1)
		a.Store64(setAddr+16, uint64(linux.SIGUSR1.Mask()))
		sig, errno := a.Call(unix.SYS_RT_SIGTIMEDWAIT, setAddr+16, infoAddr, 0, 8)
		wantErrno(t, "sigtimedwait", errno, 0)
		wantEq(t, "signal", sig, uintptr(linux.SIGUSR1))
		wantEq(t, "si_pid", int32(a.Load32(infoAddr+16)), getpid(a))
		wantEq(t, "handler calls", c.n.Load(), 0)
		wantEq(t, "pending", sigpending(a), 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestStopContinue reports a stop and a continue to the parent.
func TestStopContinue(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, _ := a.Fork(pauseForever)
		kill(a, pid, linux.SIGSTOP)
		got, ws, _ := wait4(a, pid, unix.WUNTRACED)
		wantEq(t, "stopped pid", got, pid)
		wantEq(t, "stopped status", ws, linux.Stopped(linux.SIGSTOP))
		got, _, _ = wait4(a, pid, unix.WUNTRACED|unix.WNOHANG)
		wantEq(t, "a stop is reported once", got, 0)
		kill(a, pid, linux.SIGCONT)
		_, ws, _ = wait4(a, pid, unix.WCONTINUED)
		wantEq(t, "continued status", ws, linux.Continued)
		kill(a, pid, linux.SIGKILL)
		_, ws, _ = wait4(a, pid, 0)
		wantEq(t, "killed status", ws, linux.Killed(linux.SIGKILL, false))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestSIGCHLD tells the parent about its child's exit.
func TestSIGCHLD(t *testing.T) {
	e := newEnv(t)
	c := newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGCHLD, a.Handler(c.handle), linux.SA_SIGINFO, 0)
		pid, _ := a.Fork(func(a *kerneltest.App) {
			setresuid(a, 1000, 1000, 1000)
			exit(a, 3)
		})
		a.Await(c.ran)
		wantEq(t, "signal", c.sig.Load(), int32(linux.SIGCHLD))
		wantEq(t, "si_code", c.code.Load(), linux.CLD_EXITED)
		wantEq(t, "si_pid", c.pid.Load(), pid)
		wantEq(t, "si_uid", c.uid.Load(), 1000)
		wantEq(t, "si_status", c.status.Load(), 3)
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(3))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestTgkill sends to one thread.
func TestTgkill(t *testing.T) {
	e := newEnv(t)
	c := newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGUSR1, a.Handler(c.handle), linux.SA_SIGINFO, 0)
		self := uintptr(getpid(a))
		_, errno := a.Call(unix.SYS_TGKILL, self, self, uintptr(linux.SIGUSR1))
		wantErrno(t, "tgkill", errno, 0)
		wantEq(t, "handler calls", c.n.Load(), 1)
		wantEq(t, "si_code", c.code.Load(), linux.SI_TKILL)
		_, errno = a.Call(unix.SYS_TGKILL, self+1000, self, uintptr(linux.SIGUSR1))
		wantErrno(t, "tgkill with another tgid", errno, unix.ESRCH)
		_, errno = a.Call(unix.SYS_TKILL, 0, uintptr(linux.SIGUSR1))
		wantErrno(t, "tkill 0", errno, unix.EINVAL)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestKillTargets: kill(2) to the caller's group, another group, and
// everyone (-1), which spares the caller and the container's init.
func TestKillTargets(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		inGroup, _ := a.Fork(pauseForever)
		ownGroup, _ := a.Fork(func(a *kerneltest.App) {
			a.Call(unix.SYS_SETPGID, 0, 0)
			pauseForever(a)
		})
		blockedIn(t, e, ownGroup, "S")
		blockedIn(t, e, inGroup, "S")
		// The caller's group: the child in it dies, init (no handler)
		// does not.
		wantErrno(t, "kill(0)", kill(a, 0, linux.SIGTERM), 0)
		got, ws, _ := wait4(a, -1, 0)
		wantEq(t, "first to die", got, inGroup)
		wantEq(t, "its status", ws, linux.Killed(linux.SIGTERM, false))
		wantErrno(t, "kill(-missing group)", kill(a, -12345, linux.SIGTERM), unix.ESRCH)
		wantErrno(t, "kill(-group)", kill(a, -ownGroup, linux.SIGUSR2), 0)
		_, ws, _ = wait4(a, ownGroup, 0)
		wantEq(t, "group member's status", ws, linux.Killed(linux.SIGUSR2, false))

		// kill(-1) from a child reaches its siblings, not itself or
		// init.
		sib, _ := a.Fork(pauseForever)
		blockedIn(t, e, sib, "S")
		sender, _ := a.Fork(func(a *kerneltest.App) {
			wantErrno(t, "kill(-1)", kill(a, -1, linux.SIGUSR1), 0)
		})
		_, ws, _ = wait4(a, sender, 0)
		wantEq(t, "sender status", ws, linux.Exited(0))
		_, ws, _ = wait4(a, sib, 0)
		wantEq(t, "sibling status", ws, linux.Killed(linux.SIGUSR1, false))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestAlarm: ITIMER_REAL's SIGALRM ends a process that waits.
func TestAlarm(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, _ := a.Fork(func(a *kerneltest.App) {
			// it_interval 0, it_value 10ms.
			v := uintptr(kerneltest.DataAddr + 0x700)
			for i := uintptr(0); i < 4; i++ {
				a.Store64(v+8*i, 0)
			}
			a.Store64(v+24, 10000)
			a.Call(unix.SYS_SETITIMER, 0 /* ITIMER_REAL */, v, 0)
			pauseForever(a)
		})
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "status", ws, linux.Killed(linux.SIGALRM, false))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestInitSignals: a container's init gets the signals of its own
// processes only if it handles them (pid_namespaces(7)).
func TestInitSignals(t *testing.T) {
	e := newEnv(t)
	c := newCounter()
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		init := getpid(a)
		sigaction(a, linux.SIGUSR1, a.Handler(c.handle), 0, 0)
		pid, _ := a.Fork(func(a *kerneltest.App) {
			sigaction(a, linux.SIGUSR1, linux.SIG_DFL, 0, 0)
			wantErrno(t, "kill(init, SIGTERM)", kill(a, init, linux.SIGTERM), 0)
			wantErrno(t, "kill(init, SIGKILL)", kill(a, init, linux.SIGKILL), 0)
			wantErrno(t, "kill(init, SIGUSR1)", kill(a, init, linux.SIGUSR1), 0)
		})
		a.Await(c.ran)
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(0))
		exit(a, 7)
	})
	wantEq(t, "init status", ws, linux.Exited(7))
}

// TestProcessAndThreadDirected: kill(2) queues on the process, tgkill(2)
// on the thread; the thread sees both.
func TestProcessAndThreadDirected(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		blocked, checked := make(chan struct{}), make(chan struct{})
		set := linux.SIGUSR1.Mask() | linux.SIGUSR2.Mask()
		pid, _ := a.Fork(func(a *kerneltest.App) {
			sigprocmask(a, linux.SIG_BLOCK, set)
			close(blocked)
			a.Await(checked)
			wantEq(t, "sigpending", sigpending(a), set)
		})
		a.Await(blocked)
		kill(a, pid, linux.SIGUSR1)
		a.Call(unix.SYS_TGKILL, uintptr(pid), uintptr(pid), uintptr(linux.SIGUSR2))
		thread, process := e.K.TaskByTID(pid).PendingSignalSets()
		wantEq(t, "thread-directed", thread, linux.SIGUSR2.Mask())
		wantEq(t, "process-directed", process, linux.SIGUSR1.Mask())
		close(checked)
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(0))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestSigqueuePermission: rt_sigqueueinfo and rt_tgsigqueueinfo check
// kill(2)'s permission.
func TestSigqueuePermission(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		init := uintptr(getpid(a))
		pid, _ := a.Fork(func(a *kerneltest.App) {
			setresuid(a, 1000, 1000, 1000)
			a.Store32(infoAddr+8, ^uint32(0) /* SI_QUEUE */)
			_, errno := a.Call(unix.SYS_RT_SIGQUEUEINFO, init, uintptr(linux.SIGUSR1), infoAddr)
			wantErrno(t, "rt_sigqueueinfo to root", errno, unix.EPERM)
			_, errno = a.Call(unix.SYS_RT_TGSIGQUEUEINFO, init, init, uintptr(linux.SIGUSR1), infoAddr)
			wantErrno(t, "rt_tgsigqueueinfo to root", errno, unix.EPERM)
			self := uintptr(getpid(a))
			sigaction(a, linux.SIGUSR1, linux.SIG_IGN, 0, 0)
			_, errno = a.Call(unix.SYS_RT_SIGQUEUEINFO, self, uintptr(linux.SIGUSR1), infoAddr)
			wantErrno(t, "rt_sigqueueinfo to itself", errno, 0)
		})
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(0))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}
