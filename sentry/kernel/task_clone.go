package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// CloneOptions are the decoded arguments of clone(2), fork(2) and vfork(2).
type CloneOptions struct {
	Flags      uint64
	ExitSignal linux.Signal
	Stack      uintptr
	ParentTID  uintptr
	ChildTID   uintptr
	TLS        uintptr
	// PIDFD is where CLONE_PIDFD writes the new pidfd's number.
	PIDFD uintptr
}

// clone(2) flags.
const (
	CLONE_VM             = 0x100
	CLONE_FS             = 0x200
	CLONE_FILES          = 0x400
	CLONE_SIGHAND        = 0x800
	CLONE_PIDFD          = 0x1000
	CLONE_PTRACE         = 0x2000
	CLONE_VFORK          = 0x4000
	CLONE_PARENT         = 0x8000
	CLONE_THREAD         = 0x10000
	CLONE_NEWNS          = 0x20000
	CLONE_SYSVSEM        = 0x40000
	CLONE_SETTLS         = 0x80000
	CLONE_PARENT_SETTID  = 0x100000
	CLONE_CHILD_CLEARTID = 0x200000
	CLONE_DETACHED       = 0x400000
	CLONE_UNTRACED       = 0x800000
	CLONE_CHILD_SETTID   = 0x1000000
	CLONE_NEWNAMESPACES  = 0x7e020000 // every CLONE_NEW* flag
)

// Clone creates a thread (CLONE_THREAD) or a child process and returns
// its TID, as clone(2) does. A thread shares its process's signal
// handlers and pending process signals and, with the flags that glibc,
// musl and Go always pass with it, the address space (CLONE_VM), the FD
// table (CLONE_FILES) and the root, cwd and umask (CLONE_FS). A process
// made with CLONE_VM shares its parent's address space as well (vfork's
// parent then waits for the child to exec or exit); CLONE_FILES and
// CLONE_FS share those with the parent process.
func (t *Task) Clone(o CloneOptions) (int32, error) {
	if err := checkCloneFlags(o.Flags); err != nil {
		return 0, err
	}
	if o.Flags&CLONE_NEWUTS != 0 && !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	if err := t.checkNproc(); err != nil {
		return 0, err
	}
	thread := o.Flags&CLONE_THREAD != 0
	child := &Task{
		k:           t.k,
		st:          t.childState(o),
		interruptCh: make(chan struct{}, 1),
	}
	child.creds.Store(t.Credentials())
	if o.Flags&CLONE_NEWUTS != 0 {
		child.utsns.Store(t.UTS().clone())
	} else {
		child.utsns.Store(t.UTS())
	}
	if o.Flags&CLONE_VM != 0 {
		// Threads, vfork children and other CLONE_VM processes run in
		// the very same address space (each on its own stub thread).
		t.mm.IncUsers()
		child.mm = t.mm
	} else {
		m, err := t.mm.Fork()
		if err != nil {
			return 0, unix.ENOMEM
		}
		child.mm = m
	}
	if o.Flags&CLONE_FILES != 0 {
		t.fdTable.IncRef()
		child.fdTable = t.fdTable
	} else {
		child.fdTable = t.fdTable.Fork()
	}
	if o.Flags&CLONE_FS != 0 {
		t.fsContext.IncRef()
		child.fsContext = t.fsContext
	} else {
		child.fsContext = t.fsContext.Fork()
	}
	if o.Flags&CLONE_CHILD_CLEARTID != 0 {
		child.clearChildTID = o.ChildTID
	}

	parentTG := t.tg
	var tg *ThreadGroup
	parentTG.sigMu.Lock()
	child.mask = t.mask
	// A thread or process that shares the address space, unless it is a
	// vfork child, does not inherit the alternate signal stack.
	if o.Flags&(CLONE_VM|CLONE_VFORK) != CLONE_VM {
		child.altStack = t.altStack
	}
	if !thread {
		// CLONE_SIGHAND without CLONE_THREAD would share the table
		// between processes, each guarding it with its own lock: copy.
		tg = newThreadGroup(child, parentTG.containerID, parentTG.handlers.fork(), parentTG.limits())
		t.inheritSeccompLocked(child)
	}
	parentTG.sigMu.Unlock()

	pidfd := int32(-1)
	if o.Flags&CLONE_PIDFD != 0 {
		f := NewPIDFD(tg, 0)
		n, err := t.fdTable.NewFD(f, 0, true)
		f.DecRef()
		if err != nil {
			child.releaseResources()
			return 0, err
		}
		pidfd = n
	}

	k := t.k
	k.mu.Lock()
	tid, err := k.allocTIDLocked()
	if err == nil && thread {
		err = child.joinGroupLocked(t)
	}
	if err != nil {
		k.mu.Unlock()
		child.releaseResources()
		if pidfd >= 0 {
			t.fdTable.Remove(pidfd)
		}
		return 0, unix.EAGAIN
	}
	child.tid.Store(tid)
	child.name, child.nice = t.name, t.nice
	t.inheritSchedLocked(child)
	if !thread {
		child.tg = tg
		child.fdTable.SetOwner(tid)
		tg.image = parentTG.image
		tg.pgid, tg.sid = parentTG.pgid, parentTG.sid
		parent := parentTG
		if o.Flags&CLONE_PARENT != 0 && parentTG.parent != nil {
			parent = parentTG.parent
		}
		tg.parent = parent
		tg.exitSignal = o.ExitSignal
		tg.oomScoreAdj.Store(parentTG.oomScoreAdj.Load())
		tg.oomScoreAdjMin.Store(parentTG.oomScoreAdjMin.Load())
		parent.children[tg] = struct{}{}
		k.addLocked(tg)
	} else {
		k.tasks[tid] = child
	}
	k.mu.Unlock()

	var tidBuf [4]byte
	putTID(tidBuf[:], tid)
	if o.Flags&CLONE_CHILD_SETTID != 0 {
		child.mm.CopyOut(o.ChildTID, tidBuf[:])
	}
	if o.Flags&CLONE_PARENT_SETTID != 0 {
		t.CopyOut(o.ParentTID, tidBuf[:])
	}
	if pidfd >= 0 {
		var fdBuf [4]byte
		putTID(fdBuf[:], pidfd)
		t.CopyOut(o.PIDFD, fdBuf[:])
	}
	// The child's goroutine owns child.vforkDone once started (it clears
	// it): the parent waits on its own copy.
	var vforkDone chan struct{}
	if o.Flags&CLONE_VFORK != 0 {
		vforkDone = make(chan struct{})
		child.vforkDone = vforkDone
	}
	t.ptraceCloneEvent(child, o)
	child.Start()
	t.ptraceCloneStop(child, o)
	if vforkDone != nil {
		// Wait uninterruptibly as Linux does (TASK_KILLABLE): only a
		// kill ends the wait early.
		t.waitVfork(vforkDone)
		t.ptraceEvent(PtraceEventVforkDone, PtraceOTraceVforkDone, uint64(tid))
	}
	return tid, nil
}

// checkCloneFlags refuses the flag combinations Linux refuses (EINVAL),
// and the namespaces the sandbox cannot make (EPERM).
func checkCloneFlags(f uint64) error {
	switch {
	case f&CLONE_THREAD != 0 && f&CLONE_SIGHAND == 0,
		f&CLONE_SIGHAND != 0 && f&CLONE_VM == 0,
		f&CLONE_PIDFD != 0 && f&(CLONE_THREAD|CLONE_DETACHED) != 0,
		f&CLONE_FS != 0 && f&CLONE_NEWNS != 0:
		return unix.EINVAL
	case f&CLONE_NEWNAMESPACES&^CLONE_NEWUTS != 0:
		return unix.EPERM
	}
	return nil
}

// joinGroupLocked adds t, a new thread of parent, to parent's process,
// unless it is exiting or an execve is replacing it (EAGAIN). The thread
// inherits parent's seccomp filters under sigMu, so that a TSYNC cannot
// miss it.
// Preconditions: k.mu is held.
func (t *Task) joinGroupLocked(parent *Task) error {
	tg := parent.tg
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	if tg.exiting || tg.execing != nil || tg.exitState != exitRunning {
		return unix.EAGAIN
	}
	t.tg = tg
	tg.tasks = append(tg.tasks, t)
	parent.inheritSeccompLocked(t)
	if tg.stopped {
		// A thread born into a stopped group stops with it.
		tg.stopCount++
	}
	return nil
}

func (t *Task) waitVfork(done chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-t.interruptCh:
			t.tg.sigMu.Lock()
			dying := t.tg.exiting || t.zapped.Load() || t.pendingLocked()&linux.SIGKILL.Mask() != 0
			t.tg.sigMu.Unlock()
			if dying {
				return
			}
		}
	}
}

// childState is the register state of a new child: the parent's, with
// clone returning 0 and the new stack and TLS if given.
func (t *Task) childState(o CloneOptions) arch.State {
	t.ctx.SaveFP(t.mm.AddressSpace(), &t.st)
	st := t.st.Fork()
	st.Regs.Rax = 0
	if o.Stack != 0 {
		st.Regs.Rsp = uint64(o.Stack)
	}
	if o.Flags&CLONE_SETTLS != 0 {
		st.Regs.Fs_base = uint64(o.TLS)
	}
	return st
}

func putTID(b []byte, tid int32) {
	b[0], b[1], b[2], b[3] = byte(tid), byte(tid>>8), byte(tid>>16), byte(tid>>24)
}

// NewInitOptions describes a container's first process.
type NewInitOptions struct {
	// ContainerID names the new container; it must not be in use.
	ContainerID string
	MM          *mm.MemoryManager
	State       arch.State
	FDTable     *vfs.FDTable
	FSContext   *vfs.FSContext
	Creds       *Credentials
	Name        string
	Image       string
	// Rlimits replace the default resource limits (process.rlimits),
	// indexed by resource (unix.RLIMIT_*).
	Rlimits map[int]RLimit
	// Seccomp, if not nil, is the process's first seccomp filter (the
	// spec's linux.seccomp), and NoNewPrivs its no_new_privs bit
	// (process.noNewPrivileges).
	Seccomp    *bpf.Program
	NoNewPrivs bool
	// OOMScoreAdj is the process's oom_score_adj (process.oomScoreAdj).
	OOMScoreAdj int32
}

// CreateInit creates the init process of a new container from a loaded
// image; Start runs its task. The first container's init gets TID 1.
func (k *Kernel) CreateInit(o NewInitOptions) (*Task, error) {
	t := k.newProcess(o)
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.containers[o.ContainerID]; ok {
		return nil, fmt.Errorf("container %q: %w", o.ContainerID, ErrContainerExists)
	}
	if err := k.addProcessLocked(t); err != nil {
		return nil, err
	}
	k.containers[o.ContainerID] = &container{id: o.ContainerID, init: t.tg, exited: make(chan struct{})}
	return t, nil
}

// newProcess builds the first task of a process made from a loaded
// image (an init or an exec'd process), not yet in the kernel.
func (k *Kernel) newProcess(o NewInitOptions) *Task {
	t := &Task{
		k:           k,
		st:          o.State,
		mm:          o.MM,
		fdTable:     o.FDTable,
		fsContext:   o.FSContext,
		name:        o.Name,
		interruptCh: make(chan struct{}, 1),
	}
	t.creds.Store(o.Creds)
	t.utsns.Store(k.uts)
	if o.Seccomp != nil {
		t.seccomp.Store(&seccompState{mode: SeccompModeFilter,
			filter: &seccompFilter{prog: o.Seccomp, count: 1, pathInsns: o.Seccomp.Len() + 4}})
	}
	t.noNewPrivs.Store(o.NoNewPrivs)
	limits := defaultRlimits()
	for res, l := range o.Rlimits {
		if res >= 0 && res < numRlimits {
			limits[res] = l
		}
	}
	if t.fdTable != nil {
		t.fdTable.SetLimit(fdLimit(limits[unix.RLIMIT_NOFILE].Cur))
	}
	tg := newThreadGroup(t, o.ContainerID, &signalHandlers{}, limits)
	tg.exitSignal = linux.SIGCHLD
	// As runc's write of it, with CAP_SYS_RESOURCE: the floor too.
	tg.oomScoreAdj.Store(o.OOMScoreAdj)
	tg.oomScoreAdjMin.Store(o.OOMScoreAdj)
	tg.image = o.Image
	t.tg = tg
	if t.mm != nil {
		t.mm.SetLimits(memLimits(limits))
	}
	return t
}

// addProcessLocked gives newProcess's task its TID and adds its process,
// leading a new session and process group.
// Preconditions: k.mu is held.
func (k *Kernel) addProcessLocked(t *Task) error {
	tid, err := k.allocTIDLocked()
	if err != nil {
		return err
	}
	t.tid.Store(tid)
	if t.fdTable != nil {
		t.fdTable.SetOwner(tid)
	}
	t.tg.pgid, t.tg.sid = tid, tid
	k.addLocked(t.tg)
	return nil
}
