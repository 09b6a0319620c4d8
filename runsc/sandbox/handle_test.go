package sandbox

import (
	"encoding/json"
	"testing"

	"golang.org/x/sys/unix"
)

// reloaded returns s as a later runsc call sees it: decoded from the JSON
// saved in the container's state, without the children of this process.
func reloaded(t *testing.T, s *Sandbox) *Sandbox {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var l Sandbox
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	if l.children != nil || l.Sandbox != s.Sandbox || l.Gofer != s.Gofer || l.ControlSocket != s.ControlSocket {
		t.Fatalf("reloaded handle %+v, want the saved fields of %+v", l, *s)
	}
	return &l
}

// TestReloadedHandleControls drives a sandbox through a handle loaded from
// its saved state, as `runsc kill` and `runsc wait` do: the signal reaches
// the container and the status comes back over the control socket.
func TestReloadedHandleControls(t *testing.T) {
	requireRoot(t)
	s, _, r := startReporting(t, []string{"wait-signal"}, true /* readOnly */, nil)
	readUntilReady(t, r)
	l := reloaded(t, s)
	if !l.IsRunning() {
		t.Fatal("reloaded handle says the sandbox is not running")
	}
	if err := l.SignalContainer("test", int(unix.SIGTERM), false); err != nil {
		t.Fatal(err)
	}
	if status, err := l.WaitContainer("test"); err != nil || status != 128+int(unix.SIGTERM) {
		t.Fatalf("WaitContainer = %d, %v; want %d", status, err, 128+int(unix.SIGTERM))
	}
	if _, err := l.WaitContainer("other"); err == nil {
		t.Error("WaitContainer of an unknown container succeeded")
	}
	if err := s.WaitGone(); err != nil {
		t.Fatal(err)
	}
	if l.IsRunning() {
		t.Error("reloaded handle says the sandbox still runs after it exited")
	}
	// Once the sandbox is gone, the exit record answers.
	if status, err := l.WaitContainer("test"); err != nil || status != 128+int(unix.SIGTERM) {
		t.Errorf("WaitContainer after exit = %d, %v; want %d from the exit record", status, err, 128+int(unix.SIGTERM))
	}
}

// TestReloadedHandleDestroys kills a sandbox and its gofer through a
// reloaded handle, as `runsc delete --force` does from another process:
// Destroy returns only once both are dead.
func TestReloadedHandleDestroys(t *testing.T) {
	requireRoot(t)
	s, _, r := startReporting(t, []string{"wait-signal"}, true /* readOnly */, nil)
	readUntilReady(t, r)
	l := reloaded(t, s)
	if err := l.Destroy(); err != nil {
		t.Fatal(err)
	}
	// Dead, not yet reaped by their parent (this process): zombies.
	if l.Sandbox.Alive() || l.Gofer.Alive() {
		t.Errorf("after Destroy: sandbox alive=%t, gofer alive=%t", l.Sandbox.Alive(), l.Gofer.Alive())
	}
	if err := l.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	if err := s.WaitGone(); err != nil {
		t.Fatal(err)
	}
	if !gone(s.Sandbox.PID) || !gone(s.Gofer.PID) {
		t.Error("processes left after reaping")
	}
}
