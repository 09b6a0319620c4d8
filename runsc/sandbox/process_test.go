package sandbox

import (
	"os/exec"
	"testing"
	"time"
)

// TestProcIdentity checks that a Proc names one process: a recorded PID
// with another start time (the PID reused) is not alive and is not
// killed, and a process that exited is gone.
func TestProcIdentity(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	p, err := procOf(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Alive() {
		t.Fatal("a running process is not alive")
	}
	reused := p
	reused.StartTime++
	if reused.Alive() {
		t.Error("a PID with another start time is alive")
	}
	if err := reused.kill(time.Second); err != nil {
		t.Errorf("kill of a reused PID: %v", err)
	}
	select {
	case <-waited:
		t.Fatal("kill of a reused PID killed the process that has it now")
	case <-time.After(20 * time.Millisecond):
	}
	if err := p.kill(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	<-waited
	if p.Alive() {
		t.Error("a killed and reaped process is alive")
	}
	if err := p.kill(time.Second); err != nil {
		t.Errorf("kill of a gone process: %v", err)
	}
	if (Proc{}).Alive() {
		t.Error("the zero Proc is alive")
	}
}
