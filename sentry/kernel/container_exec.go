package kernel

import (
	"fmt"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// execRecord is a process started into a running container from outside
// (`runsc exec`): it has no parent in the sandbox, so its exit status is
// kept here for whoever waits for it. Guarded by Kernel.mu; exited is
// closed once status is set.
type execRecord struct {
	exited chan struct{}
	status linux.WaitStatus
}

// CreateProcess creates a process in container id, which must have a live
// init, from a loaded image, as `runsc exec` (runc's exec) starts one: in
// the container's PID namespace, leading a new session and process group,
// with no parent there (its PPID reads 0; it is reaped as it exits, its
// status kept for WaitProcess). Start runs its task.
func (k *Kernel) CreateProcess(o NewInitOptions) (*Task, error) {
	t := k.newProcess(o)
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.containerLocked(o.ContainerID)
	if c == nil {
		return nil, fmt.Errorf("container %q: %w", o.ContainerID, ErrNoContainer)
	}
	if c.init == nil || c.init.exitState != exitRunning {
		return nil, fmt.Errorf("container %q has no running init: %w", o.ContainerID, ErrNoProcess)
	}
	if err := k.addProcessLocked(t); err != nil {
		return nil, err
	}
	if c.execs == nil {
		c.execs = make(map[int32]*execRecord)
	}
	c.execs[t.TID()] = &execRecord{exited: make(chan struct{})}
	return t, nil
}

// WaitProcess waits for process pid that CreateProcess started in
// container id to exit, and returns its status. It may be called any
// number of times, before or after the exit.
func (k *Kernel) WaitProcess(id string, pid int32) (linux.WaitStatus, error) {
	k.mu.Lock()
	c := k.containerLocked(id)
	var rec *execRecord
	if c != nil {
		rec = c.execs[pid]
	}
	k.mu.Unlock()
	if c == nil {
		return 0, fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	if rec == nil {
		return 0, fmt.Errorf("container %q, process %d was not started by exec: %w", id, pid, ErrNoProcess)
	}
	<-rec.exited
	return rec.status, nil
}

// execExitedLocked records the exit of a process CreateProcess started.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) execExitedLocked() {
	c := tg.k.containers[tg.containerID]
	if c == nil || tg.parent != nil {
		return
	}
	if rec := c.execs[tg.ID()]; rec != nil {
		rec.status = tg.exitStatus
		close(rec.exited)
	}
}
