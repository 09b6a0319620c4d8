package kernel

import (
	"fmt"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// PauseContainer freezes every process of container id, as the cgroup
// freezer does for runc's pause: each task stops when it next comes back
// to the sentry (at once if it runs application code; a task blocked in a
// system call finishes it first) and stays stopped, invisibly to the
// application (no SIGSTOP, no wait report), until ResumeContainer. New
// processes forked meanwhile freeze too; SIGKILL still ends a frozen task.
// Pausing a paused container does nothing.
func (k *Kernel) PauseContainer(id string) error {
	k.mu.Lock()
	c := k.containerLocked(id)
	if c == nil {
		k.mu.Unlock()
		return fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	if c.frozen != nil {
		k.mu.Unlock()
		return nil
	}
	c.frozen = make(chan struct{})
	k.frozen.Add(1)
	var tasks []*Task
	for _, tg := range k.threadGroups {
		if tg.containerID == id {
			tasks = append(tasks, tg.tasks...)
		}
	}
	k.mu.Unlock()
	for _, t := range tasks {
		t.interrupt()
	}
	return nil
}

// ResumeContainer thaws container id's processes.
func (k *Kernel) ResumeContainer(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.containerLocked(id)
	if c == nil {
		return fmt.Errorf("container %q: %w", id, ErrNoContainer)
	}
	if c.frozen != nil {
		close(c.frozen)
		c.frozen = nil
		k.frozen.Add(-1)
	}
	return nil
}

// waitIfFrozen stops the task while its container is paused. The check
// costs one atomic load when no container is paused.
func (t *Task) waitIfFrozen() {
	k := t.k
	if k.frozen.Load() == 0 {
		return
	}
	for {
		k.mu.Lock()
		var thaw chan struct{}
		if c := k.containers[t.tg.containerID]; c != nil {
			thaw = c.frozen
		}
		k.mu.Unlock()
		if thaw == nil {
			return
		}
		t.runState.Store(stateStopped)
		select {
		case <-thaw:
		case <-t.interruptCh:
		}
		t.runState.Store(stateRunning)
		if t.killed() {
			return
		}
	}
}

// killed says whether the task is being killed (SIGKILL pending, or its
// process exiting): a frozen task then thaws to die.
func (t *Task) killed() bool {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.tg.exiting || t.pendingLocked()&linux.SIGKILL.Mask() != 0
}
