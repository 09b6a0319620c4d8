package kernel

import (
	"errors"
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
)

// What a task keeps for futexes: its reusable waiter and timer, its robust
// list, and the exit-time release of both (Linux's futex_exit_release and
// mm_release). All of it belongs to the task goroutine, except the robust
// list head, which get_robust_list reads from other tasks (atomic).

// Futexes returns the kernel's futex wait queues.
func (k *Kernel) Futexes() *futex.Manager { return k.futexes }

// futexOwnerAlive says whether tid names a live thread (a PI futex owner).
func (k *Kernel) futexOwnerAlive(tid uint32) bool {
	if tid > math.MaxInt32 {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	o := k.tasks[int32(tid)]
	return o != nil && o.tg.exitState == exitRunning
}

// FutexWaiter returns the task's futex waiter, made on first use and
// reused by every wait after.
func (t *Task) FutexWaiter() *futex.Waiter {
	if t.futexWaiter == nil {
		t.futexWaiter = futex.NewWaiter()
	}
	return t.futexWaiter
}

// FutexBlock blocks until the task's futex waiter receives a token (a
// wake, or a stale token: the caller checks and calls again), until
// deadline if timed (ETIMEDOUT), or until a signal (vfs.ErrInterrupted).
func (t *Task) FutexBlock(deadline time.Time, timed bool) error {
	w := t.FutexWaiter()
	if timed {
		d := time.Until(deadline)
		if d <= 0 {
			return unix.ETIMEDOUT
		}
		if t.futexTimer == nil {
			t.futexTimer = time.AfterFunc(d, w.Notify)
		} else {
			t.futexTimer.Reset(d)
		}
		defer t.futexTimer.Stop()
	}
	return t.Block(w.C())
}

// SetRobustList records the head of the task's robust futex list
// (set_robust_list).
func (t *Task) SetRobustList(head uintptr) { t.robustList.Store(head) }

// RobustListOf returns the robust list head of the thread tid (0: the
// task itself) for get_robust_list: ESRCH if there is no such thread,
// EPERM unless t may inspect it as ptrace(PTRACE_MODE_READ_REALCREDS)
// allows: its own process, the same real user and group IDs as the
// target's real, effective and saved ones, or CAP_SYS_PTRACE.
func (t *Task) RobustListOf(tid int32) (uintptr, error) {
	target := t
	if tid != 0 {
		if target = t.k.TaskByTID(tid); target == nil {
			return 0, unix.ESRCH
		}
	}
	if target.tg != t.tg && !t.mayPtrace(target) {
		return 0, unix.EPERM
	}
	return target.robustList.Load(), nil
}

// exitFutexes releases the task's futexes as it leaves its memory (exit,
// execve): its robust list is walked (futex.Manager.ExitRobustList) and
// forgotten, and, if other tasks share the memory (Linux's mm_users > 1:
// other threads, or the vfork parent), a CLONE_CHILD_CLEARTID /
// set_tid_address word gets 0 and one waiter on it is woken, which is how
// pthread_join learns of the exit. Faults are ignored.
func (t *Task) exitFutexes() {
	if t.mm == nil {
		return
	}
	if head := t.robustList.Swap(0); head != 0 {
		t.k.futexes.ExitRobustList(t.mm, head, uint32(t.TID()))
	}
	addr := t.clearChildTID
	t.clearChildTID = 0
	if addr == 0 || !t.sharesMemory() {
		return
	}
	var zero [4]byte
	if _, err := t.mm.CopyOut(addr, zero[:]); err != nil {
		return
	}
	if addr%4 == 0 {
		t.k.futexes.Wake(t.mm, addr, false /* private */, 1, futex.BitsetMatchAny)
	}
}

// sharesMemory says whether another task uses the task's memory: a
// thread or CLONE_VM process (the memory manager's users), or the vfork
// parent.
func (t *Task) sharesMemory() bool {
	return t.vforkDone != nil || t.mm.Users() > 1
}

// ErrRestartBlock is returned by a syscall handler interrupted after it
// set a restart function (SetRestartBlock): if no handler runs, the task
// calls restart_syscall(2), which runs that function; if one runs, the
// syscall answers EINTR (Linux's ERESTART_RESTARTBLOCK). Timed futex waits
// use it to resume with the deadline they started with.
var ErrRestartBlock = errors.New("restart through restart_syscall")

// SetRestartBlock sets what restart_syscall runs after an interruption.
func (t *Task) SetRestartBlock(fn SyscallFn) { t.restartBlock = fn }

// RestartSyscall implements restart_syscall(2): it resumes the syscall
// that an ErrRestartBlock interrupted, or answers EINTR if there is none.
func (t *Task) RestartSyscall() (uintptr, error) {
	fn := t.restartBlock
	t.restartBlock = nil
	if fn == nil {
		return 0, unix.EINTR
	}
	return fn(t, t.st.SyscallArgs())
}
