package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// Set by TestMain.
var (
	// runsc is this package's private copy of the binary under test, so
	// that processes it starts can be told apart from anyone else's.
	runsc    string
	setupErr error
	// progs holds the C programs from testdata, compiled dynamically.
	progs = map[string]string{}
)

// cmdTimeout bounds every command the tests run.
const cmdTimeout = 2 * time.Minute

// leftoverGrace is how long processes may take to vanish once the runsc
// command that started them has been waited for.
const leftoverGrace = 2 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cocoon-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	setupErr = setup(dir)
	if setupErr == nil {
		// Orphans of what the tests start come back to us, so that
		// checkNoLeftovers finds them.
		setupErr = testutil.BecomeSubreaper()
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func setup(dir string) error {
	for _, name := range []string{"forkpipe", "segv", "fileops"} {
		out := filepath.Join(dir, name)
		if err := testutil.CompileC(filepath.Join("testdata", name+".c"), out, false /* static */); err != nil {
			return err
		}
		progs[name] = out
	}
	orig, err := testutil.RunscPath()
	if err != nil {
		return err
	}
	runsc = filepath.Join(dir, "runsc")
	return testutil.CopyFile(orig, runsc, 0o755)
}

// needSetup fails the test if TestMain could not prepare the binaries.
func needSetup(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("setup: %v", setupErr)
	}
}

// run runs a command (not necessarily runsc) with the minimal environment
// and checks that nothing started from our runsc copy survives it.
func run(t *testing.T, c testutil.Cmd) *testutil.Result {
	t.Helper()
	if c.Timeout == 0 {
		c.Timeout = cmdTimeout
	}
	if c.Dir == "" {
		c.Dir = t.TempDir()
	}
	r := testutil.Run(c)
	if r.Err != nil || r.TimedOut {
		t.Errorf("%q: %v", c.Args, r)
	}
	checkNoLeftovers(t)
	return r
}

// runsc runs our runsc copy with args.
func runRunsc(t *testing.T, args ...string) *testutil.Result {
	t.Helper()
	return run(t, testutil.Cmd{Args: append([]string{runsc}, args...)})
}

// checkNoLeftovers fails the test if any process started from our runsc
// copy (runsc itself, the sandbox, the gofer, stubs) or any descendant of
// the test binary (a subreaper, so orphans count) is still there after
// leftoverGrace, and kills what it finds so that later tests start clean.
func checkNoLeftovers(t *testing.T) {
	t.Helper()
	if runsc == "" {
		return
	}
	left, err := testutil.Leftovers(runsc, leftoverGrace)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		var b strings.Builder
		for _, p := range left {
			fmt.Fprintf(&b, "\n\t%v", p)
		}
		t.Errorf("processes left %v after the command ended:%s", leftoverGrace, b.String())
	}
}

// wantExit fails the test unless r exited with code.
func wantExit(t *testing.T, r *testutil.Result, code int) {
	t.Helper()
	if r.ExitCode != code {
		t.Errorf("exit code %d, want %d: %v", r.ExitCode, code, r)
	}
}

// oneLineError checks a failure: non-zero exit, nothing on stdout and a
// single non-empty line on stderr.
func oneLineError(t *testing.T, r *testutil.Result) {
	t.Helper()
	if r.ExitCode == 0 {
		t.Errorf("exit code 0, want non-zero: %v", r)
	}
	msg := strings.TrimRight(r.Stderr, "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("want exactly one line on stderr, got %q", r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("want nothing on stdout, got %q", r.Stdout)
	}
}

// noFilesUnder fails the test if dir (a --root state directory) holds
// anything but directories.
func noFilesUnder(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			if !os.IsNotExist(err) {
				t.Errorf("walking %s: %v", dir, err)
			}
			return nil
		}
		if !info.IsDir() {
			t.Errorf("state left behind: %s (%v)", path, info.Mode())
		}
		return nil
	})
}
