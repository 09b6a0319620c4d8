package runtimes

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// Hostile-thread durations: the full run under runsc, a short one
// natively to show that the program itself passes on Linux.
const (
	hostileRunsc  = 30 * time.Second
	hostileNative = 3 * time.Second
	// hostileGrace is how long past its deadline the program may take to
	// finish its last steps and exit.
	hostileGrace = 90 * time.Second
)

// TestHostileThreads runs testdata/hostile_threads.c, 200 threads that
// fork, exec, signal each other and their children, and exit and are
// recreated, for 30 s under runsc: the sandbox must stay up, the program
// exit 0 with the same stdout as natively, nothing may panic, and no
// process of the sandbox may be left on the host afterwards. It lives
// here rather than in test/e2e because it is a workload like the
// runtimes', compared with its native run, and needs this package's
// private runsc copy for the leftover check. It runs alone: it is not
// parallel, and top-level tests run one after another (TestRuntimes
// returns only when its parallel cases have finished).
func TestHostileThreads(t *testing.T) {
	needSetup(t)
	needPrograms(t, gcc)
	prog := build(t, "hostile_threads", func(out string) error {
		return testutil.CompileC(filepath.Join(testdata, "hostile_threads.c"), out, false /* static */, "-pthread")
	})
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	native := testutil.Run(testutil.Cmd{
		Args:    []string{prog, secs(hostileNative)},
		Dir:     t.TempDir(),
		Timeout: hostileNative + hostileGrace,
	})
	t.Logf("native (%v): %s", native.Duration.Round(time.Millisecond), native.Stderr)
	if native.ExitCode != 0 || native.Err != nil || native.TimedOut {
		t.Fatalf("failed natively: %v", native)
	}
	r := testutil.Run(testutil.Cmd{
		Args:    []string{runsc, "do", prog, secs(hostileRunsc)},
		Dir:     t.TempDir(),
		Timeout: hostileRunsc + hostileGrace,
	})
	t.Logf("runsc (%v): %s", r.Duration.Round(time.Millisecond), r.Stderr)
	checkNoPanic(t, r)
	if r.ExitCode != 0 || r.Err != nil || r.TimedOut {
		t.Errorf("under runsc: %v", r)
	} else if r.Stdout != native.Stdout {
		t.Errorf("stdout differs\n--- native ---\n%s--- runsc ---\n%s", native.Stdout, r.Stdout)
	}
	if left := leftovers(); left != "" {
		t.Errorf("processes left after the sandbox exited:%s", left)
	}
}
