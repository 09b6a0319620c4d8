package kernel_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// TestWaitZombies: WNOHANG before the child exits, a zombie that can
// still be signalled and waited for without reaping (WNOWAIT), then
// reaped once and gone.
func TestWaitZombies(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		release := make(chan struct{})
		pid, _ := a.Fork(func(a *kerneltest.App) {
			a.Await(release)
			exit(a, 4)
		})
		got, _, errno := wait4(a, pid, unix.WNOHANG)
		wantEq(t, "wait4(WNOHANG) on a running child", got, 0)
		wantErrno(t, "wait4(WNOHANG)", errno, 0)
		close(release)
		for e.K.TaskByTID(pid) != nil && !e.K.TaskByTID(pid).IsZombie() {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		wantEq(t, "zombie state", e.K.TaskByTID(pid).StateString(), "Z (zombie)")
		wantErrno(t, "kill(zombie, 0)", kill(a, pid, 0), 0)
		wantErrno(t, "kill(zombie, SIGKILL)", kill(a, pid, linux.SIGKILL), 0)

		_, errno = a.Call(unix.SYS_WAITID, 1 /* P_PID */, uintptr(pid), infoAddr, unix.WEXITED|unix.WNOWAIT, 0)
		wantErrno(t, "waitid(WNOWAIT)", errno, 0)
		wantEq(t, "waitid si_pid", int32(a.Load32(infoAddr+16)), pid)
		wantEq(t, "waitid si_code", int32(a.Load32(infoAddr+8)), linux.CLD_EXITED)
		wantEq(t, "waitid si_status", a.Load32(infoAddr+24), 4)

		got, ws, errno := wait4(a, -1, 0)
		wantErrno(t, "wait4", errno, 0)
		wantEq(t, "wait4 pid", got, pid)
		wantEq(t, "status of the zombie (SIGKILL came too late)", ws, linux.Exited(4))
		_, _, errno = wait4(a, pid, 0)
		wantErrno(t, "wait4 after the reap", errno, unix.ECHILD)
		wantErrno(t, "kill after the reap", kill(a, pid, 0), unix.ESRCH)
		_, _, errno = wait4(a, -1, unix.WNOHANG)
		wantErrno(t, "wait4(-1) without children", errno, unix.ECHILD)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestWaitSelectors: wait4 by PID, by process group, and for the
// caller's group.
func TestWaitSelectors(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		release := make(chan struct{})
		inGroup, _ := a.Fork(func(a *kerneltest.App) { a.Await(release); exit(a, 1) })
		ownGroup, _ := a.Fork(func(a *kerneltest.App) {
			a.Call(unix.SYS_SETPGID, 0, 0)
			a.Await(release)
			exit(a, 2)
		})
		for {
			pg, _ := a.Call(unix.SYS_GETPGID, uintptr(ownGroup))
			if int32(pg) == ownGroup {
				break
			}
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		_, _, errno := wait4(a, 999, unix.WNOHANG)
		wantErrno(t, "wait4(not a child)", errno, unix.ECHILD)
		close(release)
		got, ws, _ := wait4(a, -ownGroup, 0)
		wantEq(t, "wait4(-pgid)", got, ownGroup)
		wantEq(t, "its status", ws, linux.Exited(2))
		got, ws, _ = wait4(a, 0, 0)
		wantEq(t, "wait4(0)", got, inGroup)
		wantEq(t, "its status", ws, linux.Exited(1))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestOrphansGoToTheirInit: a process whose parent exits is reparented to
// the init of its own container, which reaps it; another container's
// init is not involved.
func TestOrphansGoToTheirInit(t *testing.T) {
	e := newEnv(t)
	// A first container, so that the second's init is not TID 1.
	idle := make(chan struct{})
	defer close(idle)
	e.StartInit("first", rootCreds(), func(a *kerneltest.App) { a.Await(idle) })

	id := t.Name()
	grandchild := make(chan int32, 1)
	release := make(chan struct{})
	e.StartInit(id, rootCreds(), func(a *kerneltest.App) {
		init := getpid(a)
		if init == 1 {
			t.Errorf("second init has TID 1")
		}
		middle, _ := a.Fork(func(a *kerneltest.App) {
			pid, _ := a.Fork(func(a *kerneltest.App) {
				a.Await(release)
				ppid := int32(a.Syscall(unix.SYS_GETPPID))
				wantEq(t, "orphan's parent", ppid, init)
				exit(a, 9)
			})
			grandchild <- pid
			exit(a, 0)
		})
		_, ws, _ := wait4(a, middle, 0)
		wantEq(t, "middle status", ws, linux.Exited(0))
		close(release)
		got, ws, errno := wait4(a, -1, 0)
		wantErrno(t, "wait4 for the orphan", errno, 0)
		wantEq(t, "reaped", got, <-grandchild)
		wantEq(t, "orphan status", ws, linux.Exited(9))
	})
	wantEq(t, "status", e.Wait(id), linux.Exited(0))
}

// TestInitExitEndsContainer: the container's status is its init's, and
// every process left in it is killed.
func TestInitExitEndsContainer(t *testing.T) {
	e := newEnv(t)
	var child int32
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		child, _ = a.Fork(func(a *kerneltest.App) {
			// Even with everything blocked.
			sigprocmask(a, linux.SIG_SETMASK, ^linux.SignalSet(0))
			pauseForever(a)
		})
		blockedIn(t, e, child, "S")
		exit(a, 5)
	})
	wantEq(t, "container status", ws, linux.Exited(5))
	if !e.K.WaitTasks(kerneltest.Timeout) {
		t.Errorf("the child outlived its container's init")
	}
}

// TestIgnoredSIGCHLDReaps: with SIGCHLD ignored, children are reaped at
// exit and wait4 answers ECHILD once they are gone.
func TestIgnoredSIGCHLDReaps(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGCHLD, linux.SIG_IGN, 0, 0)
		pid, _ := a.Fork(func(a *kerneltest.App) { exit(a, 1) })
		_, _, errno := wait4(a, -1, 0)
		wantErrno(t, "wait4", errno, unix.ECHILD)
		wantErrno(t, "kill(reaped child)", kill(a, pid, 0), unix.ESRCH)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestPdeathsig: a child that asked for it gets a signal when its parent
// exits.
func TestPdeathsig(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		grandchild := make(chan int32, 1)
		middle, _ := a.Fork(func(a *kerneltest.App) {
			pid, _ := a.Fork(func(a *kerneltest.App) {
				a.Call(unix.SYS_PRCTL, unix.PR_SET_PDEATHSIG, uintptr(linux.SIGUSR1))
				pauseForever(a)
			})
			blockedIn(t, e, pid, "S")
			grandchild <- pid
		})
		_, ws, _ := wait4(a, middle, 0)
		wantEq(t, "middle status", ws, linux.Exited(0))
		got, ws, _ := wait4(a, -1, 0)
		wantEq(t, "orphan", got, <-grandchild)
		wantEq(t, "orphan status", ws, linux.Killed(linux.SIGUSR1, false))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestVfork: the parent resumes only once the vfork child exited.
func TestVfork(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		var exited atomic.Bool
		// A page the parent has: the child writes it in place.
		a.Store32(kerneltest.DataAddr+0x700, 1)
		pid, errno := a.Vfork(func(a *kerneltest.App) {
			// The child writes the parent's memory.
			a.Store32(kerneltest.DataAddr+0x700, 42)
			exited.Store(true)
			exit(a, 6)
		})
		wantErrno(t, "vfork", errno, 0)
		wantEq(t, "child exited before vfork returned", exited.Load(), true)
		wantEq(t, "the child's store", a.Load32(kerneltest.DataAddr+0x700), 42)
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(6))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestSignalContainer: from outside, init gets SIGKILL always and other
// signals only if it handles them; all reaches every process.
func TestSignalContainer(t *testing.T) {
	e := newEnv(t)
	id := t.Name()
	c := newCounter()
	children := make(chan int32, 1)
	e.StartInit(id, rootCreds(), func(a *kerneltest.App) {
		sigaction(a, linux.SIGUSR1, a.Handler(c.handle), 0, 0)
		pid, _ := a.Fork(pauseForever)
		children <- pid
		pauseForever(a)
	})
	child := <-children
	blockedIn(t, e, child, "S")
	if err := e.K.SignalContainer(id, linux.SIGTERM, false /* all */); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if err := e.K.SignalContainer(id, linux.SIGUSR1, false /* all */); err != nil {
		t.Fatalf("SIGUSR1: %v", err)
	}
	select {
	case <-c.ran:
	case <-time.After(kerneltest.Timeout):
		t.Fatal("init's handler did not run")
	}
	if err := e.K.SignalContainer(id, linux.SIGKILL, false /* all */); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	wantEq(t, "container status", e.Wait(id), linux.Killed(linux.SIGKILL, false))
	// The container's other processes are killed with it.
	if !e.K.WaitTasks(kerneltest.Timeout) {
		t.Fatal("processes outlived their container")
	}
	if err := e.K.SignalContainer(id, 0, true /* all */); !errors.Is(err, kernel.ErrNoProcess) {
		t.Errorf("signal 0 after the end: %v, want ErrNoProcess", err)
	}
	if err := e.K.SignalContainer("nope", linux.SIGKILL, false); !errors.Is(err, kernel.ErrNoContainer) {
		t.Errorf("unknown container: %v", err)
	}
}

// TestWaitThreadsOwnChildren: two threads of one process each wait4 for
// their own child; whichever child exits first, both waiters wake for
// theirs (a single wake-up token taken by the wrong waiter would leave
// the other asleep for good).
func TestWaitThreadsOwnChildren(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		for round := 0; round < 100; round++ {
			var release [2]chan struct{}
			var pids [2]int32
			for i := range pids {
				release[i] = make(chan struct{})
				pids[i], _ = a.Fork(func(a *kerneltest.App) {
					a.Await(release[i])
					exit(a, 10+i)
				})
			}
			var reaped [2]chan struct{}
			var tids [2]int32
			for i := range tids {
				reaped[i] = make(chan struct{})
				tids[i], _ = a.Thread(func(a *kerneltest.App) {
					// Not wait4(): the threads share memory, so
					// each needs its own status word.
					addr := statusAddr + 0x80 + 8*uintptr(i)
					got, errno := a.Call(unix.SYS_WAIT4, uintptr(pids[i]), addr, 0, 0)
					wantErrno(t, "wait4 in a thread", errno, 0)
					wantEq(t, "wait4 pid", int32(got), pids[i])
					wantEq(t, "wait4 status", linux.WaitStatus(a.Load32(addr)), linux.Exited(10+i))
					close(reaped[i])
					exitThread(a, 0)
				})
			}
			for _, tid := range tids {
				for task := e.K.TaskByTID(tid); task != nil && task.StateString() != "S (sleeping)"; {
					a.Syscall(unix.SYS_SCHED_YIELD)
				}
			}
			// The second child first: its exit must wake its own
			// waiter even if the other waiter wakes too.
			close(release[1])
			close(release[0])
			timeout := time.After(10 * time.Second)
			for i := range reaped {
				select {
				case <-reaped[i]:
				case <-timeout:
					t.Errorf("round %d: the thread waiting for child %d never woke", round, i)
					exit(a, 1)
				}
			}
		}
		exit(a, 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}
