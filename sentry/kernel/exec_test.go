package kernel_test

import (
	"errors"
	"testing"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// TestExecProcess starts processes into a running container as `runsc
// exec` does: each has no parent there, its status is kept for
// WaitProcess (any number of times), and the container's end kills those
// still running.
func TestExecProcess(t *testing.T) {
	e := newEnv(t)
	id := t.Name()
	release := make(chan struct{})
	init := e.StartInit(id, rootCreds(), func(a *kerneltest.App) {
		a.Await(release)
		exit(a, 0)
	})
	p, err := e.StartProcess(id, rootCreds(), func(a *kerneltest.App) { exit(a, 3) })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		ws, err := e.K.WaitProcess(id, p.TID())
		if err != nil || ws != linux.Exited(3) {
			t.Errorf("WaitProcess #%d = %v, %v; want exit 3", i+1, ws, err)
		}
	}
	stuck := make(chan struct{}) // never closed
	q, err := e.StartProcess(id, rootCreds(), func(a *kerneltest.App) { a.Await(stuck) })
	if err != nil {
		t.Fatal(err)
	}
	ps, err := e.K.ContainerProcesses(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, pi := range ps {
		if pi.PID == q.TID() && pi.PPID != 0 {
			t.Errorf("exec'd process has PPID %d, want 0 (no parent in the container)", pi.PPID)
		}
	}
	if _, err := e.K.WaitProcess(id, init.TID()); !errors.Is(err, kernel.ErrNoProcess) {
		t.Errorf("WaitProcess of the init = %v, want ErrNoProcess", err)
	}
	if _, err := e.K.WaitProcess("nosuch", 1); !errors.Is(err, kernel.ErrNoContainer) {
		t.Errorf("WaitProcess in a missing container = %v, want ErrNoContainer", err)
	}
	close(release)
	e.Wait(id)
	if ws, err := e.K.WaitProcess(id, q.TID()); err != nil || ws != linux.Killed(linux.SIGKILL, false) {
		t.Errorf("exec'd process after its container ended: %v, %v; want killed by SIGKILL", ws, err)
	}
	if _, err := e.StartProcess(id, rootCreds(), func(a *kerneltest.App) { exit(a, 0) }); !errors.Is(err, kernel.ErrNoProcess) {
		t.Errorf("exec into an ended container = %v, want ErrNoProcess", err)
	}
	if _, err := e.StartProcess("nosuch", rootCreds(), func(a *kerneltest.App) { exit(a, 0) }); !errors.Is(err, kernel.ErrNoContainer) {
		t.Errorf("exec into a missing container = %v, want ErrNoContainer", err)
	}
}
