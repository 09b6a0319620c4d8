package kernel

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

type exitState int

const (
	exitRunning exitState = iota
	exitZombie
	exitDead
)

// Task is one application thread, run by one goroutine (task_run.go).
// What it shares with the other threads of its process is its
// ThreadGroup's.
type Task struct {
	k *Kernel
	// tid is the thread ID: set before the task starts, and changed only
	// by an execve from a non-leader thread, which takes the leader's
	// (deThread, under k.mu). Atomic.
	tid atomic.Int32
	// tg is the task's process. Immutable.
	tg *ThreadGroup
	// creds are the task's credentials (task_identity.go): replaced, never
	// modified, by the task goroutine; read from anywhere.
	creds atomic.Pointer[Credentials]

	// Owned by the task goroutine.
	st        arch.State
	ctx       platform.Context
	mm        *mm.MemoryManager
	fdTable   *vfs.FDTable
	fsContext *vfs.FSContext
	scratch   []byte
	// clearChildTID is the CLONE_CHILD_CLEARTID / set_tid_address address.
	clearChildTID uintptr
	// exitThread is set when the thread ends alone (exit(2), or killed by
	// an execve of another thread): the run loop stops, the process goes
	// on.
	exitThread bool
	// exitCode is the thread's own exit status (exit(2)); the process
	// reports its last thread's unless a group exit set one.
	exitCode linux.WaitStatus
	// futexWaiter is reused by every futex wait of the task (task_futex.go).
	futexWaiter *futex.Waiter
	// futexTimer times out futex waits; made on first use.
	futexTimer *time.Timer
	// restartBlock is what restart_syscall resumes (ErrRestartBlock).
	restartBlock SyscallFn
	// robustList is the set_robust_list head; atomic, read by get_robust_list.
	robustList atomic.Uintptr
	// vforkDone is closed when a vfork child execs or exits.
	vforkDone chan struct{}
	// restart says how to restart the interrupted syscall, if any.
	restart restartKind
	// userTime is the time spent running application code (in Switch),
	// the task's user CPU time.
	userTime time.Duration

	// Guarded by k.mu.
	//
	// name is the command name (comm).
	name string
	// pdeathSignal is sent to the task's process when the parent exits
	// (PR_SET_PDEATHSIG).
	pdeathSignal linux.Signal
	// nice is the task's nice value (-20..19).
	nice int32
	// personality is the execution domain and its flags
	// (personality(2)); inherited, kept across execve.
	personality uint32
	// affinity is the thread's CPU affinity once set (task_sched.go),
	// and sched its policy.
	affinity    CPUSet
	affinitySet bool
	// utsns is the task's UTS namespace (uts.go); replaced only by the
	// task itself (unshare).
	utsns atomic.Pointer[UTSNamespace]
	// affinityMoved says the affinity changed since the task goroutine
	// last pinned its context into it (applyAffinity).
	affinityMoved atomic.Bool
	sched         SchedPolicy

	// cpuTime mirrors userTime for other goroutines (clock_gettime of
	// another process, /proc), in nanoseconds. Atomic.
	cpuTime atomic.Int64
	// switchStart is when the running Switch began (Unix ns), 0 outside
	// one, so that CPU clocks count application code still running.
	// Atomic.
	switchStart atomic.Int64

	// The thread's own signal state, guarded by tg.sigMu.
	//
	// mask is the set of blocked signals.
	mask linux.SignalSet
	// savedMask is restored after a handler when haveSavedMask (sigsuspend).
	savedMask     linux.SignalSet
	haveSavedMask bool
	// pending are the thread-directed signals (tgkill, faults, SIGPIPE).
	pending  sigQueue
	altStack altStack

	// interruptCh receives a token when the task should stop blocking.
	interruptCh chan struct{}
	// sharedCtx publishes ctx to other goroutines, for interrupt: set once
	// the task goroutine made it, nil again once it is released.
	sharedCtx atomic.Pointer[platform.Context]

	// runState is what /proc shows as the task's state: running,
	// sleeping (in Block) or stopped (job control). Atomic.
	runState atomic.Int32
	// exited is set once the thread left its group (finishExit): a leader
	// whose other threads live on stays visible as a zombie. Atomic.
	exited atomic.Bool
	// ptrace is the task's tracing state (ptrace.go), guarded by k.mu;
	// traced mirrors "has a tracer" and ptraceInterrupt a pending
	// PTRACE_INTERRUPT, for the run loop's checks without k.mu. Atomic.
	ptrace          ptraceState
	traced          atomic.Bool
	ptraceInterrupt atomic.Bool
	// seccomp is the thread's seccomp mode and filter chain (seccomp.go):
	// nil without any; replaced, never modified, under tg.sigMu; read
	// by the task goroutine on every system call. Atomic.
	seccomp atomic.Pointer[seccompState]
	// noNewPrivs is the no_new_privs bit (PR_SET_NO_NEW_PRIVS):
	// inherited, kept across execve, never cleared. Atomic.
	noNewPrivs atomic.Bool
	// zapped asks the thread to end alone (an execve of another thread of
	// its process, Linux's zap_other_threads). Atomic.
	zapped atomic.Bool
}

// Task run states, as /proc shows them.
const (
	stateRunning int32 = iota
	stateSleeping
	stateStopped
)

// StateString returns the task's state as /proc/[pid]/status shows it.
func (t *Task) StateString() string {
	if t.IsZombie() {
		return "Z (zombie)"
	}
	switch t.runState.Load() {
	case stateSleeping:
		return "S (sleeping)"
	case stateStopped:
		return "T (stopped)"
	case stateTraced:
		return "t (tracing stop)"
	}
	return "R (running)"
}

// TID returns the task's thread ID.
func (t *Task) TID() int32 { return t.tid.Load() }

// Kernel returns the task's kernel.
func (t *Task) Kernel() *Kernel { return t.k }

// MemoryManager returns the task's memory manager.
func (t *Task) MemoryManager() *mm.MemoryManager { return t.mm }

// State returns the task's register state.
func (t *Task) State() *arch.State { return &t.st }

func (t *Task) copyIn(addr uintptr, dst []byte) (int, error)  { return t.mm.CopyIn(addr, dst) }
func (t *Task) copyOut(addr uintptr, src []byte) (int, error) { return t.mm.CopyOut(addr, src) }
func (t *Task) copyInString(addr uintptr, maxLen int) (string, error) {
	return t.mm.CopyInString(addr, maxLen)
}

// PPID returns the PID of the task's parent process, or 0 for init.
func (t *Task) PPID() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if p := t.tg.parent; p != nil {
		return p.ID()
	}
	return 0
}

// Name returns the task's command name.
func (t *Task) Name() string {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.name
}

// SetName sets the task's command name (prctl PR_SET_NAME).
func (t *Task) SetName(name string) {
	if len(name) > 15 {
		name = name[:15]
	}
	t.k.mu.Lock()
	t.name = name
	t.k.mu.Unlock()
}

// Image returns the path of the process's executable.
func (t *Task) Image() string {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.image
}

// ProcessGroup returns the process group and session IDs.
func (t *Task) ProcessGroup() (pgid, sid int32) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.pgid, t.tg.sid
}

// IsZombie reports whether the task has exited: its process, or the
// thread alone (a leader whose other threads live on).
func (t *Task) IsZombie() bool {
	if t.exited.Load() {
		return true
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.exitState != exitRunning
}

// Logf logs a debug message about the task.
func (t *Task) Logf(format string, args ...any) {
	t.k.debugf("[%d] "+format, append([]any{t.TID()}, args...)...)
}

// UserTime returns the task's user CPU time.
func (t *Task) UserTime() time.Duration { return time.Duration(t.cpuTime.Load()) }

// ChildrenUserTime returns the user CPU time of the process's reaped
// children.
func (t *Task) ChildrenUserTime() time.Duration {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.childrenUserTime
}

// Nice returns the task's nice value.
func (t *Task) Nice() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.nice
}

// SetNice sets target's nice value to n, clamped to -20..19, for t
// (setpriority(2), Linux's set_one_prio): t needs its effective user ID to
// be target's real or effective one, or CAP_SYS_NICE (EPERM); lowering the
// value needs CAP_SYS_NICE (EACCES; RLIMIT_NICE is not consulted).
func (t *Task) SetNice(target *Task, n int32) error {
	n = max(-20, min(19, n))
	c, tc := t.Credentials(), target.Credentials()
	privileged := c.HasCapability(unix.CAP_SYS_NICE)
	if c.EUID != tc.RUID && c.EUID != tc.EUID && !privileged {
		return unix.EPERM
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if n < target.nice && !privileged {
		return unix.EACCES
	}
	target.nice = n
	return nil
}

// PdeathSignal returns the parent-death signal (PR_GET_PDEATHSIG).
func (t *Task) PdeathSignal() linux.Signal {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.pdeathSignal
}

// SetPdeathSignal sets the parent-death signal (PR_SET_PDEATHSIG).
func (t *Task) SetPdeathSignal(sig linux.Signal) {
	t.k.mu.Lock()
	t.pdeathSignal = sig
	t.k.mu.Unlock()
}
