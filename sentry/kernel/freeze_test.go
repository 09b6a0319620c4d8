package kernel_test

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// TestPauseResume freezes a container whose process and child make system
// calls in a loop: no call gets through while paused, both go on after
// resume, and SIGKILL ends a paused container.
func TestPauseResume(t *testing.T) {
	e := newEnv(t)
	id := t.Name()
	var calls atomic.Int64
	loop := func(a *kerneltest.App) {
		for {
			a.Syscall(unix.SYS_GETPID)
			calls.Add(1)
		}
	}
	e.StartInit(id, rootCreds(), func(a *kerneltest.App) {
		a.Fork(loop)
		loop(a)
	})
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(kerneltest.Timeout); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("calls", func() bool { return calls.Load() > 100 })
	if err := e.K.PauseContainer(id); err != nil {
		t.Fatal(err)
	}
	if err := e.K.PauseContainer(id); err != nil {
		t.Errorf("second pause: %v", err)
	}
	// Calls in flight finish; then nothing moves.
	time.Sleep(20 * time.Millisecond)
	frozenAt := calls.Load()
	time.Sleep(100 * time.Millisecond)
	if n := calls.Load(); n != frozenAt {
		t.Errorf("%d system calls returned while paused", n-frozenAt)
	}
	if err := e.K.ResumeContainer(id); err != nil {
		t.Fatal(err)
	}
	waitFor("calls after resume", func() bool { return calls.Load() > frozenAt+100 })
	if err := e.K.PauseContainer(id); err != nil {
		t.Fatal(err)
	}
	if err := e.K.SignalContainer(id, linux.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if ws := e.Wait(id); ws != linux.Killed(linux.SIGKILL, false) {
		t.Errorf("paused container killed: status %v, want SIGKILL", ws)
	}
	if err := e.K.PauseContainer("nosuch"); err == nil {
		t.Error("pause of a missing container succeeded")
	}
}
