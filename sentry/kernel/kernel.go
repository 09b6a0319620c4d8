// Package kernel is the sentry's process model: the Kernel, its tasks (one
// goroutine per application thread), the thread groups (processes) they
// belong to, process relationships, signals, blocking, exec, exit and wait.
//
// Lock order, outermost first:
//
//	Kernel.mu (the process tree: TIDs and TGIDs, parents, children,
//	           zombies, process groups and sessions, names, thread lists)
//	  ThreadGroup.sigMu (the process's signal state: handlers, its pending
//	                     signals, group stop and exit, and each of its
//	                     threads' masks, pending signals and alternate
//	                     stacks; Linux's siglock)
//	    realTimer.mu (ITIMER_REAL)
//	ThreadGroup.limitsMu (resource limits; a leaf)
//
// No two ThreadGroup.sigMu are held at once. Credentials take no lock:
// they are immutable values behind an atomic pointer (task_identity.go).
// A task's register state, memory manager, FD table and FS context are
// owned by its goroutine and touched only there (other tasks read a few of
// them for /proc; the memory manager and FD table lock themselves).
package kernel

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/pipe"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"github.com/cocoon-sandbox/cocoon/sentry/vdso"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// SyscallFn handles one system call. The error is a unix.Errno for the
// application, vfs.ErrInterrupted or one of this package's control errors.
type SyscallFn func(t *Task, args arch.SyscallArgs) (uintptr, error)

// Syscall is one row of the system-call table.
type Syscall struct {
	Name string
	Fn   SyscallFn
}

// Kernel is one sandbox's application kernel.
type Kernel struct {
	Platform platform.Platform
	// nextPin spreads the tasks of wide affinities over their CPUs
	// (applyAffinity).
	nextPin    atomic.Uint32
	MemoryFile *pgalloc.MemoryFile
	vfs        *vfs.VFS
	table      []Syscall
	// uts is the sandbox's first UTS namespace, its init's; Release and
	// Version are the rest of what uname(2) reports.
	uts              *UTSNamespace
	Release, Version string
	bootTime         time.Time
	// Logf logs debug messages; nil discards them.
	Logf func(format string, args ...any)

	// running counts task goroutines that have not finished.
	running sync.WaitGroup

	// unsupported records which syscall numbers were already logged.
	unsupported sync.Map

	mu sync.Mutex
	// tasks maps every live TID, and the TID of every zombie leader, to
	// its task.
	tasks map[int32]*Task
	// threadGroups maps every live or zombie TGID to its process.
	threadGroups map[int32]*ThreadGroup
	nextTID      int32
	// containers maps container IDs to their containers (container.go).
	containers map[string]*container
	// cpuTimers drives the CPU-time timers of every process
	// (cpu_timers.go).
	cpuTimers cpuTimers

	// frozen counts the paused containers (container_freeze.go), so that
	// a task checks for a freeze with one atomic load.
	frozen atomic.Int32
	// futexes are the futex wait queues (task_futex.go). Immutable.
	futexes *futex.Manager
	// vdso is mapped into every new image; nil without a memory file
	// (or if it could not be allocated: then images get none).
	vdso *vdso.VDSO
}

// Config configures a Kernel.
type Config struct {
	Platform   platform.Platform
	MemoryFile *pgalloc.MemoryFile
	VFS        *vfs.VFS
	Table      []Syscall
	// Hostname and Domainname are the UTS namespace's names at boot
	// (the spec's hostname and domainname).
	Hostname, Domainname string
	Logf                 func(format string, args ...any)
}

// Kernel release and version reported by uname: the sentry's own, never
// the host's.
const (
	Release = "6.1.0-cocoon"
	Version = "#1 SMP Cocoon"
)

// New returns a kernel with no tasks.
func New(c Config) *Kernel {
	f := &fifos{pipes: make(map[vfs.Inode]*pipe.Pipe)}
	if c.VFS != nil {
		c.VFS.SetFIFOOpener(f.open)
	}
	k := &Kernel{
		Platform:     c.Platform,
		MemoryFile:   c.MemoryFile,
		vfs:          c.VFS,
		table:        c.Table,
		uts:          &UTSNamespace{hostname: c.Hostname, domainname: c.Domainname},
		Release:      Release,
		Version:      Version,
		bootTime:     time.Now(),
		Logf:         c.Logf,
		tasks:        make(map[int32]*Task),
		threadGroups: make(map[int32]*ThreadGroup),
		nextTID:      1,
		containers:   make(map[string]*container),
	}
	k.futexes = futex.NewManager(k.futexOwnerAlive)
	if c.MemoryFile != nil {
		v, err := vdso.New(c.MemoryFile, k.bootTime)
		if err != nil {
			k.debugf("no vDSO: %v", err)
		}
		k.vdso = v
	}
	return k
}

// VDSO returns the kernel's vDSO (nil if it has none).
func (k *Kernel) VDSO() *vdso.VDSO { return k.vdso }

// VFS returns the kernel's virtual file system.
func (k *Kernel) VFS() *vfs.VFS { return k.vfs }

// BootTime returns when the kernel started.
func (k *Kernel) BootTime() time.Time { return k.bootTime }

func (k *Kernel) debugf(format string, args ...any) {
	if k.Logf != nil {
		k.Logf(format, args...)
	}
}

// logUnsupported logs the first use of an unsupported syscall.
func (k *Kernel) logUnsupported(nr uintptr) {
	if _, loaded := k.unsupported.LoadOrStore(nr, true); !loaded {
		name := fmt.Sprintf("#%d", nr)
		if nr < uintptr(len(k.table)) && k.table[nr].Name != "" {
			name = k.table[nr].Name
		}
		k.debugf("unsupported syscall %s", name)
	}
}

// TaskByTID returns the task with tid, or nil.
func (k *Kernel) TaskByTID(tid int32) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tasks[tid]
}

// TIDs returns the TIDs of all live (non-zombie) tasks.
func (k *Kernel) TIDs() []int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	var tids []int32
	for tid, t := range k.tasks {
		if t.tg.exitState == exitRunning && !t.exited.Load() {
			tids = append(tids, tid)
		}
	}
	return tids
}

// TGIDs returns the PIDs of all live processes (what /proc lists).
func (k *Kernel) TGIDs() []int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	var ids []int32
	for id, tg := range k.threadGroups {
		if tg.exitState == exitRunning {
			ids = append(ids, id)
		}
	}
	return ids
}

// addLocked enters the new process tg, with its leader, in the tables.
// Preconditions: k.mu is held; the leader's TID is allocated.
func (k *Kernel) addLocked(tg *ThreadGroup) {
	tg.id = tg.leader.TID()
	k.tasks[tg.id] = tg.leader
	k.threadGroups[tg.id] = tg
}

// removeLocked reaps tg: it leaves the tables and its TGID is free.
// Preconditions: k.mu is held; tg has no live task.
func (k *Kernel) removeLocked(tg *ThreadGroup) {
	tg.exitState = exitDead
	tg.exitWaiters.Notify(linux.POLLHUP)
	delete(k.tasks, tg.id)
	delete(k.threadGroups, tg.id)
}

// allocTIDLocked returns a free TID.
// Preconditions: k.mu is held.
func (k *Kernel) allocTIDLocked() (int32, error) {
	const maxTID = 1 << 22
	for i := 0; i < maxTID; i++ {
		tid := k.nextTID
		k.nextTID++
		if k.nextTID >= maxTID {
			k.nextTID = 2
		}
		_, task := k.tasks[tid]
		_, group := k.threadGroups[tid]
		if !task && !group {
			return tid, nil
		}
	}
	return 0, fmt.Errorf("no free TID")
}

// WaitTasks waits up to timeout for every task goroutine to finish (their
// address spaces released), after the containers exited.
func (k *Kernel) WaitTasks(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		k.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
