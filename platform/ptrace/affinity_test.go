package ptrace

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStubFollowsTracerCPU checks that a stub run by a context is pinned to
// the context's CPU, the one its tracer thread is pinned to, so that their
// handoffs stay on one CPU.
func TestStubFollowsTracerCPU(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: nothing is pinned")
	}
	_, _, pctx, _ := benchSetup(t)
	c := pctx.(*Context)
	if c.cpu == noCPU {
		t.Fatal("context not pinned to a CPU on a machine with several")
	}
	var tracer unix.CPUSet
	if err := unix.SchedGetaffinity(0, &tracer); err != nil {
		t.Fatal(err)
	}
	if tracer.Count() != 1 || !tracer.IsSet(int(c.cpu)) {
		t.Errorf("tracer thread allowed on %d CPUs, want only CPU %d", tracer.Count(), c.cpu)
	}
	want := fmt.Sprint(c.cpu)
	// The context's own stub thread follows it; the leader does not run.
	if got := procStatus(t, int(c.last.tid))["Cpus_allowed_list"]; got != want {
		t.Errorf("stub thread Cpus_allowed_list = %q, want %q", got, want)
	}
}
