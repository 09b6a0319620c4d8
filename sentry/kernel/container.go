package kernel

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// A sandbox's kernel runs one or more containers. Each container has its
// own init process, the reaper of its orphans; the container ends when its
// init exits, and every process still in it is then killed, as when the
// init of a PID namespace dies. Processes inherit their parent's
// container.
//
// The container set lives under Kernel.mu.

// container is one container of the kernel.
type container struct {
	id string
	// init is the container's first process, nil once it exited.
	init *ThreadGroup
	// exited is closed once init has exited; status is set before.
	exited chan struct{}
	status linux.WaitStatus
	// execs are the processes started by exec, by PID
	// (container_exec.go).
	execs map[int32]*execRecord
	// frozen is set while the container is paused and closed by resume
	// (container_freeze.go).
	frozen chan struct{}
}

// Errors of the container API, for the control server to map.
var (
	// ErrNoContainer: no container has the ID.
	ErrNoContainer = errors.New("no such container")
	// ErrContainerExists: CreateInit was given an ID already in use.
	ErrContainerExists = errors.New("container already exists")
	// ErrNoProcess: no live process matched a signal's target.
	ErrNoProcess = errors.New("no such process")
)

// ContainerID returns the ID of the container the task belongs to.
func (t *Task) ContainerID() string { return t.tg.containerID }

// containerLocked returns the container id, or nil.
// Preconditions: k.mu is held.
func (k *Kernel) containerLocked(id string) *container {
	return k.containers[id]
}

// isInitLocked reports whether tg is the init of its container.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) isInitLocked() bool {
	c := tg.k.containers[tg.containerID]
	return c != nil && c.init == tg
}

// initOfLocked returns the live init of tg's container, or nil.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) initOfLocked() *ThreadGroup {
	c := tg.k.containers[tg.containerID]
	if c == nil || c.init == nil || c.init.exitState != exitRunning {
		return nil
	}
	return c.init
}

// WaitContainer blocks until the init of container id exits and returns
// its status. It answers at once for a container that already exited.
func (k *Kernel) WaitContainer(id string) (linux.WaitStatus, error) {
	k.mu.Lock()
	c := k.containerLocked(id)
	k.mu.Unlock()
	if c == nil {
		return 0, fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	<-c.exited
	return c.status, nil
}

// ContainerExited returns a channel closed when container id's init has
// exited, or nil if there is no such container.
func (k *Kernel) ContainerExited(id string) <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c := k.containerLocked(id); c != nil {
		return c.exited
	}
	return nil
}

// SignalContainer sends sig from outside the sandbox to container id: to
// its init, or with all to every process of the container. The init gets
// it as the init of a child PID namespace gets a signal from an ancestor
// one: SIGKILL and SIGSTOP always, any other signal only if the init
// handles it (pid_namespaces(7)). Signal 0 checks that the target exists.
func (k *Kernel) SignalContainer(id string, sig linux.Signal, all bool) error {
	return k.signalContainer(id, sig, linux.SI_USER, func(c *container, tg *ThreadGroup) bool {
		if all {
			return true
		}
		return tg == c.init
	})
}

// errInvalidSignal is returned for a signal number out of range.
var errInvalidSignal = errors.New("invalid signal")

// SignalProcessGroup sends sig, as the terminal driver does (SI_KERNEL),
// to every live process of container id in process group pgid: what a
// ^C, ^\, ^Z or window change on the container's terminal becomes. The
// container's init is spared what it does not handle, as from outside.
func (k *Kernel) SignalProcessGroup(id string, pgid int32, sig linux.Signal) error {
	return k.signalContainer(id, sig, linux.SI_KERNEL, func(_ *container, tg *ThreadGroup) bool {
		return tg.pgid == pgid
	})
}

// SignalProcess sends sig (SI_USER, from outside) to the process of
// container id whose PID is pid: `runsc kill --pid`.
func (k *Kernel) SignalProcess(id string, pid int32, sig linux.Signal) error {
	return k.signalContainer(id, sig, linux.SI_USER, func(_ *container, tg *ThreadGroup) bool {
		return tg.ID() == pid
	})
}

// signalContainer sends sig with code to the live processes of container
// id that pick selects, from outside the container: its init ignores
// what it does not handle, SIGKILL and SIGSTOP aside. Signal 0 only
// checks that there is a target.
func (k *Kernel) signalContainer(id string, sig linux.Signal, code int32, pick func(*container, *ThreadGroup) bool) error {
	if sig != 0 && !sig.Valid() {
		return fmt.Errorf("signal %d: %w", sig, errInvalidSignal)
	}
	k.mu.Lock()
	c := k.containerLocked(id)
	if c == nil {
		k.mu.Unlock()
		return fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	var targets []*ThreadGroup
	for _, tg := range k.threadGroups {
		if tg.containerID == id && tg.exitState == exitRunning && pick(c, tg) {
			targets = append(targets, tg)
		}
	}
	k.mu.Unlock()
	if len(targets) == 0 {
		return fmt.Errorf("container %q: %w", id, ErrNoProcess)
	}
	if sig == 0 {
		return nil
	}
	for _, tg := range targets {
		if !tg.unkillableInit(sig, true /* fromOutside */) {
			tg.SendSignal(&linux.SignalInfo{Signo: int32(sig), Code: code})
		}
	}
	return nil
}

// ErrInvalidSignal reports whether err means a bad signal number.
func ErrInvalidSignal(err error) bool { return errors.Is(err, errInvalidSignal) }

// ProcessInfo describes one process of a container, as `ps` shows it.
type ProcessInfo struct {
	PID, PPID int32
	UID       uint32
	// Name is the command name (comm).
	Name string
	// State is the /proc state letter and word, e.g. "S (sleeping)".
	State string
	// UserTime is the CPU time the process ran application code.
	UserTime time.Duration
}

// ContainerProcesses lists the live processes of container id, by PID.
func (k *Kernel) ContainerProcesses(id string) ([]ProcessInfo, error) {
	k.mu.Lock()
	if k.containerLocked(id) == nil {
		k.mu.Unlock()
		return nil, fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	var ts []*Task
	for _, tg := range k.threadGroups {
		if tg.containerID == id && tg.exitState == exitRunning {
			ts = append(ts, tg.leader)
		}
	}
	k.mu.Unlock()
	out := make([]ProcessInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, ProcessInfo{
			PID:      t.TID(),
			PPID:     t.PPID(),
			UID:      t.Credentials().RUID,
			Name:     t.Name(),
			State:    t.StateString(),
			UserTime: t.UserTime(),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// Containers returns the IDs of the kernel's containers, exited or not.
func (k *Kernel) Containers() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	ids := make([]string, 0, len(k.containers))
	for id := range k.containers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// KillAll kills every process of the kernel, whatever its container (the
// sandbox is going away).
func (k *Kernel) KillAll() {
	k.mu.Lock()
	tgs := make([]*ThreadGroup, 0, len(k.threadGroups))
	for _, tg := range k.threadGroups {
		tgs = append(tgs, tg)
	}
	k.mu.Unlock()
	for _, tg := range tgs {
		tg.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGKILL), Code: linux.SI_KERNEL})
	}
}

// containerInitExited ends container c after its init exited: every
// process left in it is killed, and waiters are released.
// Preconditions: k.mu is not held; c.init was the init and is now nil,
// c.status is set.
func (k *Kernel) containerInitExited(c *container) {
	k.mu.Lock()
	var tgs []*ThreadGroup
	for _, o := range k.threadGroups {
		if o.containerID == c.id && o.exitState == exitRunning {
			tgs = append(tgs, o)
		}
	}
	k.mu.Unlock()
	for _, o := range tgs {
		o.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGKILL), Code: linux.SI_KERNEL})
	}
	close(c.exited)
}
