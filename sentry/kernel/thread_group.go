package kernel

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// ThreadGroup is a process: what its threads share, which Linux keeps in
// signal_struct and sighand_struct and in the thread-group leader. The
// signal handlers, the process-directed pending signals, group stop and
// group exit, the exit status, the resource limits and ITIMER_REAL; the
// process's place in the tree (parent, children, process group, session,
// container); the executable image.
//
// A group has one or more threads (clone with CLONE_THREAD); the first
// is its leader, whose TID is the TGID. The leader may exit before the
// others: it then stays, a zombie, until the last one leaves. An execve
// from another thread makes that thread the leader, with the TGID as TID.
type ThreadGroup struct {
	k *Kernel
	// id is the TGID. Immutable.
	id int32
	// leader is the thread-group leader, guarded by k.mu (deThread
	// replaces it).
	leader *Task
	// containerID names the process's container (container.go).
	// Immutable.
	containerID string

	// The process tree, guarded by Kernel.mu.
	//
	// tasks are the group's live threads, the leader first; changed with
	// both Kernel.mu and sigMu held, so either is enough to read it.
	tasks []*Task
	// parent is the process that waits for this one (nil for a
	// container's init, or once reparenting found no reaper).
	parent *ThreadGroup
	// oomScoreAdj is /proc/[pid]/oom_score_adj and oomScoreAdjMin its
	// floor for the unprivileged (oom.go).
	oomScoreAdj, oomScoreAdjMin atomic.Int32
	// exitSignal is sent to the parent when the process exits (SIGCHLD
	// for fork).
	exitSignal linux.Signal
	children   map[*ThreadGroup]struct{}
	exitState  exitState
	// exitStatus is the process's wait status; exitStatusSet is true
	// once the first one (exit_group, a fatal signal) is recorded.
	exitStatus    linux.WaitStatus
	exitStatusSet bool
	// lastStatus is the exit(2) status of the last thread to leave, what
	// the process reports when no group exit set one.
	lastStatus linux.WaitStatus
	pgid, sid  int32
	// image is the path of the executable (/proc/[pid]/exe).
	image string
	// execed is set once the process called execve (setpgid then refuses
	// a parent's change: EACCES).
	execed bool
	// exitedUserTime sums the user time of the threads that left.
	exitedUserTime time.Duration
	// childrenUserTime sums the user time of reaped children
	// (RUSAGE_CHILDREN).
	childrenUserTime time.Duration
	// stopReport and contReport are the job-control changes not yet
	// reported to a waiting parent (WUNTRACED, WCONTINUED); stopReport
	// holds the stop signal.
	stopReport linux.Signal
	contReport bool

	// tracees are the tasks this process traces (ptrace.go), guarded
	// by k.mu.
	tracees map[*Task]struct{}

	// exitWaiters are the pidfds' pollers, notified when the process
	// exits and when it is reaped.
	exitWaiters vfs.WaitQueue

	// childEvent is closed, and replaced by a fresh channel, when a
	// child or tracee changes state (childEventLocked), waking every
	// thread of the group blocked in wait: each waits for its own
	// children (wait4 of one PID), so a single token taken by one of
	// them would leave the one whose child it was asleep. Guarded by
	// k.mu.
	childEvent chan struct{}

	// sigMu guards the signal state of the group below and of each of
	// its tasks (their masks, thread-directed pending signals and
	// alternate stacks), as Linux's sighand->siglock.
	sigMu    sync.Mutex
	handlers *signalHandlers
	// pending are the process-directed signals (kill(2)), which any
	// thread that does not block them takes.
	pending sigQueue
	// queued counts the signal instances queued on the group and its
	// tasks (RLIMIT_SIGPENDING's role, for real-time signals).
	queued int
	// Job control (signal(7) stop and continue): stopped is set while the
	// group sits in a group stop; continued is closed and replaced when
	// SIGCONT ends it.
	stopped   bool
	continued chan struct{}
	// exiting is set once the group is being killed or exits.
	exiting bool
	// execing is the thread that runs an execve and waits for the others
	// to end (deThread); threadsGone receives a token each time one of
	// them leaves.
	execing     *Task
	threadsGone chan struct{}
	// stopCount counts the threads that take part in the current group
	// stop, and stopSignal is its signal; the parent hears of it when the
	// last thread has stopped.
	stopCount  int
	stopSignal linux.Signal
	itimer     *realTimer

	// timersMu guards the POSIX timers (posix_timers.go) and the CPU-time
	// itimers (cpu_timers.go).
	timersMu    sync.Mutex
	timers      map[int32]*posixTimer
	nextTimerID int32
	cpuItimers  [2]*posixTimer

	// membarrier holds the process's membarrier(2) registrations
	// (MEMBARRIER_CMD_REGISTER_* bits). Atomic.
	membarrier atomic.Uint32

	// limitsMu guards rlimits.
	limitsMu sync.Mutex
	rlimits  rlimits

	// signalWaiters hear of every signal queued (task_signalfd.go).
	signalWaiters signalWaiters
}

// newThreadGroup returns a process for leader, with no parent yet.
func newThreadGroup(leader *Task, containerID string, handlers *signalHandlers, limits rlimits) *ThreadGroup {
	return &ThreadGroup{
		k:           leader.k,
		leader:      leader,
		containerID: containerID,
		tasks:       []*Task{leader},
		children:    make(map[*ThreadGroup]struct{}),
		childEvent:  make(chan struct{}),
		handlers:    handlers,
		rlimits:     limits,
	}
}

// MembarrierRegistrations returns the process's membarrier registrations.
func (tg *ThreadGroup) MembarrierRegistrations() uint32 { return tg.membarrier.Load() }

// RegisterMembarrier adds a membarrier registration (a
// MEMBARRIER_CMD_REGISTER_* bit).
func (tg *ThreadGroup) RegisterMembarrier(cmd uint32) { tg.membarrier.Or(cmd) }

// ThreadGroup returns the task's process.
func (t *Task) ThreadGroup() *ThreadGroup { return t.tg }

// ID returns the thread-group ID: the PID of the process.
func (tg *ThreadGroup) ID() int32 { return tg.id }

// Leader returns the thread-group leader.
func (tg *ThreadGroup) Leader() *Task {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.leader
}

// Threads returns the group's live threads, the leader first if it lives.
func (tg *ThreadGroup) Threads() []*Task {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return slices.Clone(tg.tasks)
}

// ContainerID returns the ID of the container the process belongs to.
func (tg *ThreadGroup) ContainerID() string { return tg.containerID }

// userTimeLocked returns the user CPU time of the group's threads, live
// or not.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) userTimeLocked() time.Duration {
	d := tg.exitedUserTime
	for _, t := range tg.tasks {
		d += t.UserTime()
	}
	return d
}

// interruptAllLocked wakes every thread of the group (a group exit, a
// SIGKILL).
// Preconditions: tg.sigMu (or k.mu) is held.
func (tg *ThreadGroup) interruptAllLocked() {
	for _, t := range tg.tasks {
		t.interrupt()
	}
}
