package kernel_test

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// Tests of thread groups: clone(CLONE_THREAD), exit versus exit_group,
// process- and thread-directed signals, group stop. A thread's program
// ends with exitThread: falling off its end is exit_group, as returning
// from main is.

func exitThread(a *kerneltest.App, code int) { a.Syscall(unix.SYS_EXIT, uintptr(code)) }

func gettid(a *kerneltest.App) int32 { return int32(a.Syscall(unix.SYS_GETTID)) }

// TestThreadIdentity: a thread has its own TID and its process's PID,
// parent and memory; the process lives on after the thread exits.
func TestThreadIdentity(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, ppid := getpid(a), a.Syscall(unix.SYS_GETPPID)
		done := make(chan struct{})
		a.Store32(idsAddr, 0)
		tid, errno := a.Thread(func(a *kerneltest.App) {
			wantEq(t, "thread's getpid", getpid(a), pid)
			wantEq(t, "thread's getppid", a.Syscall(unix.SYS_GETPPID), ppid)
			a.Store32(idsAddr, uint32(gettid(a)))
			close(done)
			exitThread(a, 5)
		})
		wantErrno(t, "clone(CLONE_THREAD)", errno, 0)
		if tid == pid || tid <= 0 {
			t.Errorf("thread TID %d, process %d", tid, pid)
		}
		a.Await(done)
		for e.K.TaskByTID(tid) != nil {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		wantEq(t, "TID the thread stored in shared memory", int32(a.Load32(idsAddr)), tid)
		wantErrno(t, "tgkill of the exited thread", errnoOf(a, unix.SYS_TGKILL, uintptr(pid), uintptr(tid), 0), unix.ESRCH)
		_, _, errno = wait4(a, -1, unix.WNOHANG|unix.WALL)
		wantErrno(t, "wait for a thread", errno, unix.ECHILD)
		exit(a, 3)
	})
	wantEq(t, "status", ws, linux.Exited(3))
}

// TestCloneFlagErrors: the combinations Linux refuses.
func TestCloneFlagErrors(t *testing.T) {
	e := newEnv(t)
	e.Run(rootCreds(), func(a *kerneltest.App) {
		never := func(a *kerneltest.App) { t.Errorf("a refused clone ran its child") }
		_, errno := a.Clone(unix.CLONE_VM|unix.CLONE_THREAD, never)
		wantErrno(t, "CLONE_THREAD without CLONE_SIGHAND", errno, unix.EINVAL)
		_, errno = a.Clone(unix.CLONE_SIGHAND, never)
		wantErrno(t, "CLONE_SIGHAND without CLONE_VM", errno, unix.EINVAL)
		_, errno = a.Clone(unix.CLONE_FS|unix.CLONE_NEWNS, never)
		wantErrno(t, "CLONE_FS with CLONE_NEWNS", errno, unix.EINVAL)
	})
}

// TestLeaderExitsFirst: the leader's exit(2) leaves the process running
// (a zombie leader); when the last thread exits, the process reports that
// thread's status, as Linux does.
func TestLeaderExitsFirst(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, _ := a.Fork(func(a *kerneltest.App) {
			leader := getpid(a)
			leaderGone := make(chan struct{})
			a.Thread(func(a *kerneltest.App) {
				a.Await(leaderGone)
				for !e.K.TaskByTID(leader).IsZombie() {
					a.Syscall(unix.SYS_SCHED_YIELD)
				}
				wantEq(t, "zombie leader's state", e.K.TaskByTID(leader).StateString(), "Z (zombie)")
				wantEq(t, "getpid after the leader exited", getpid(a), leader)
				exitThread(a, 9)
			})
			close(leaderGone)
			exitThread(a, 7)
		})
		got, ws, errno := wait4(a, pid, 0)
		wantErrno(t, "wait4", errno, 0)
		wantEq(t, "pid", got, pid)
		wantEq(t, "status of a process whose leader exited first", ws, linux.Exited(9))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestExitGroupFromThread: exit_group in a thread ends the leader, blocked
// in pause, and the process exits with the thread's code.
func TestExitGroupFromThread(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, _ := a.Fork(func(a *kerneltest.App) {
			a.Thread(func(a *kerneltest.App) { exit(a, 42) })
			a.Syscall(unix.SYS_PAUSE)
			t.Errorf("pause returned in a process that exit_group ended")
		})
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "status", ws, linux.Exited(42))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestProcessSignalToUnblockedThread: a signal sent to the process is
// taken by a thread that does not block it; tgkill reaches the one named.
func TestProcessSignalToUnblockedThread(t *testing.T) {
	e := newEnv(t)
	var handledBy, usr2By atomic.Int32
	h := func(a *kerneltest.App, sig int, info, uctx uintptr) { handledBy.Store(gettid(a)) }
	h2 := func(a *kerneltest.App, sig int, info, uctx uintptr) { usr2By.Store(gettid(a)) }
	e.Run(rootCreds(), func(a *kerneltest.App) {
		wantErrno(t, "sigaction", sigaction(a, linux.SIGUSR1, a.Handler(h), 0, 0), 0)
		sigprocmask(a, unix.SIG_BLOCK, linux.SIGUSR1.Mask())
		ready, handled := make(chan struct{}), make(chan struct{})
		tid, _ := a.Thread(func(a *kerneltest.App) {
			sigprocmask(a, unix.SIG_UNBLOCK, linux.SIGUSR1.Mask())
			close(ready)
			for handledBy.Load() == 0 {
				a.Syscall(unix.SYS_PAUSE)
			}
			close(handled)
			for usr2By.Load() == 0 { // until tgkill below
				a.Syscall(unix.SYS_PAUSE)
			}
			exitThread(a, 0)
		})
		a.Await(ready)
		// The worker may take the signal just before it enters pause
		// and then sleep there (pause's own race, on Linux too): send
		// again until it reports.
		for done := false; !done; {
			wantErrno(t, "kill(getpid())", kill(a, getpid(a), linux.SIGUSR1), 0)
			select {
			case <-handled:
				done = true
			case <-time.After(10 * time.Millisecond):
			}
		}
		wantEq(t, "thread that took the process signal", handledBy.Load(), tid)

		// Thread-directed: only the named thread takes it, even though the
		// caller would (it unblocks SIGUSR2 and has a handler).
		wantErrno(t, "sigaction", sigaction(a, linux.SIGUSR2, a.Handler(h2), 0, 0), 0)
		for e.K.TaskByTID(tid) != nil {
			// Again until the thread is gone, for the same reason.
			errnoOf(a, unix.SYS_TGKILL, uintptr(getpid(a)), uintptr(tid), uintptr(linux.SIGUSR2))
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		wantEq(t, "thread that took tgkill's signal", usr2By.Load(), tid)
		wantErrno(t, "tgkill with a wrong TGID", errnoOf(a, unix.SYS_TGKILL, uintptr(getpid(a)+1000), uintptr(gettid(a)), 0), unix.ESRCH)
	})
}

// TestFatalSignalKillsAllThreads: a fatal signal taken by one thread ends
// every thread, and the process reports it.
func TestFatalSignalKillsAllThreads(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, _ := a.Fork(func(a *kerneltest.App) {
			sigprocmask(a, unix.SIG_BLOCK, linux.SIGTERM.Mask())
			for i := 0; i < 3; i++ {
				a.Thread(func(a *kerneltest.App) {
					a.Syscall(unix.SYS_PAUSE)
					t.Errorf("a thread outlived its process's death")
				})
			}
			a.Thread(func(a *kerneltest.App) {
				sigprocmask(a, unix.SIG_UNBLOCK, linux.SIGTERM.Mask())
				kill(a, getpid(a), linux.SIGTERM)
				a.Syscall(unix.SYS_PAUSE)
			})
			a.Syscall(unix.SYS_PAUSE)
			t.Errorf("the leader outlived its process's death")
		})
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "status", ws, linux.Killed(linux.SIGTERM, false))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestGroupStopStopsAllThreads: SIGSTOP stops every thread, the parent
// hears of it once, SIGCONT resumes them all.
func TestGroupStopStopsAllThreads(t *testing.T) {
	e := newEnv(t)
	e.Run(rootCreds(), func(a *kerneltest.App) {
		var spins atomic.Int64
		pid, _ := a.Fork(func(a *kerneltest.App) {
			a.Thread(func(a *kerneltest.App) {
				for {
					spins.Add(1)
					a.Syscall(unix.SYS_SCHED_YIELD)
				}
			})
			for {
				spins.Add(1)
				a.Syscall(unix.SYS_SCHED_YIELD)
			}
		})
		for spins.Load() < 10 {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		kill(a, pid, linux.SIGSTOP)
		got, ws, errno := wait4(a, pid, unix.WUNTRACED)
		wantErrno(t, "wait4(WUNTRACED)", errno, 0)
		wantEq(t, "pid", got, pid)
		wantEq(t, "status", ws, linux.Stopped(linux.SIGSTOP))
		// The fake platform stops a thread at its next call: one that
		// was interrupted in its own code may still finish the
		// increment before that call (one each, two threads). After
		// that nothing moves.
		before := spins.Load()
		for i := 0; i < 50; i++ {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		settled := spins.Load()
		if settled-before > 2 {
			t.Errorf("the stopped threads went on: %d increments after the stop", settled-before)
		}
		for i := 0; i < 50; i++ {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		wantEq(t, "calls made by the stopped threads", spins.Load(), settled)
		for _, th := range e.K.TaskByTID(pid).ThreadGroup().Threads() {
			wantEq(t, "thread state", th.StateString(), "T (stopped)")
		}
		kill(a, pid, linux.SIGCONT)
		for spins.Load() < settled+10 {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		kill(a, pid, linux.SIGKILL)
		_, ws, _ = wait4(a, pid, 0)
		wantEq(t, "status", ws, linux.Killed(linux.SIGKILL, false))
	})
}

// TestThreadsShareFiles: with CLONE_FILES a descriptor opened by one
// thread is the other's too; a forked child's table is its own copy.
func TestThreadsShareFiles(t *testing.T) {
	e := newEnv(t)
	e.Run(rootCreds(), func(a *kerneltest.App) {
		done := make(chan struct{})
		a.Thread(func(a *kerneltest.App) {
			pipe(a)
			close(done)
			exitThread(a, 0)
		})
		a.Await(done)
		r := uintptr(a.Load32(pipeAddr))
		wantErrno(t, "fcntl on the thread's pipe", errnoOf(a, unix.SYS_FCNTL, r, unix.F_GETFD), 0)
		pid, _ := a.Fork(func(a *kerneltest.App) {
			pipe(a)
			exit(a, int(a.Load32(pipeAddr)))
		})
		_, ws, _ := wait4(a, pid, 0)
		mine := uintptr(ws.ExitCode())
		wantErrno(t, "fcntl on the child's own pipe", errnoOf(a, unix.SYS_FCNTL, mine, unix.F_GETFD), unix.EBADF)
	})
}
