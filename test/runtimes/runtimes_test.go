package runtimes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// runtimeCase is one program run natively and under runsc.
type runtimeCase struct {
	name string
	// needs are the installed programs the case runs; it skips without
	// them.
	needs []string
	// args returns the command line. Each run starts in a fresh, empty
	// working directory, where it may write (under runsc the writes go to
	// the sandbox's overlay).
	args func(t *testing.T) []string
	// env is added to testutil.MinimalEnv for both runs.
	env []string
	// normalize, if set, is applied to both stdouts before comparing.
	normalize func(string) string
	// runscTimeout overrides the default for the sandboxed run.
	runscTimeout time.Duration
}

// pendingCase is a case that fails under runsc today for a missing
// feature: skipped unless RUNTIMES_PENDING=1.
type pendingCase struct {
	runtimeCase
	// reason names the missing feature and what goes wrong without it.
	reason string
}

// TestRuntimes runs every case of cases (and, with RUNTIMES_PENDING=1,
// of pending) natively and under runsc, two at a time, and logs a table
// of their durations at the end.
func TestRuntimes(t *testing.T) {
	needSetup(t)
	t.Cleanup(func() { t.Logf("durations:%s", timingTable()) })
	runPending := os.Getenv("RUNTIMES_PENDING") == "1"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, c)
		})
	}
	for _, p := range pending {
		t.Run(p.name, func(t *testing.T) {
			if !runPending {
				t.Skipf("pending: %s (run with RUNTIMES_PENDING=1)", p.reason)
			}
			t.Parallel()
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("PENDING case failed, as expected until this lands: %s", p.reason)
				} else if !t.Skipped() {
					t.Logf("PENDING case %s passes now: move it to the main list", p.name)
				}
			})
			runCase(t, p.runtimeCase)
		})
	}
}

// runCase runs c natively, then under runsc, and compares the two.
func runCase(t *testing.T, c runtimeCase) {
	needPrograms(t, c.needs...)
	slots <- struct{}{}
	defer func() { <-slots }()
	env := append(testutil.MinimalEnv(), c.env...)
	runIn := func(name string, prefix []string, timeout time.Duration) *testutil.Result {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return testutil.Run(testutil.Cmd{
			Args:    append(prefix, c.args(t)...),
			Env:     env,
			Dir:     dir,
			Timeout: timeout,
		})
	}
	native := runIn("native", nil, nativeTimeout)
	if native.ExitCode != 0 || native.Err != nil || native.TimedOut {
		t.Fatalf("%s failed natively: %v", c.name, native)
	}
	timeout := runscTimeout
	if c.runscTimeout != 0 {
		timeout = c.runscTimeout
	}
	r := runIn("runsc", []string{runsc, "do"}, timeout)
	recordTiming(c.name, native.Duration, r.Duration)
	t.Logf("native %v, runsc %v", native.Duration.Round(time.Millisecond), r.Duration.Round(time.Millisecond))
	checkNoPanic(t, r)
	if r.ExitCode != native.ExitCode || r.Err != nil || r.TimedOut {
		t.Fatalf("%s under runsc: %v\nwant exit %d as natively", c.name, r, native.ExitCode)
	}
	want, got := native.Stdout, r.Stdout
	if c.normalize != nil {
		want, got = c.normalize(want), c.normalize(got)
	}
	if got != want {
		t.Fatalf("%s: stdout differs (after normalisation)\n--- native ---\n%s--- runsc ---\n%s--- runsc stderr ---\n%s",
			c.name, want, got, r.Stderr)
	}
	if strings.TrimSpace(want) == "" {
		t.Fatalf("%s printed nothing to compare", c.name)
	}
}
