package runtimes

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// Set by TestMain.
var (
	// runsc is this package's private copy of the binary under test, so
	// that the processes it starts can be told apart from anyone else's.
	runsc    string
	setupErr error
	// workDir holds the artefacts and inputs built for the suite.
	workDir string
	// testdata is the absolute path of ./testdata.
	testdata string
)

// Run timeouts: generous, the machines are slow and shared.
const (
	nativeTimeout = time.Minute
	runscTimeout  = 3 * time.Minute
)

// leftoverGrace is how long a sandbox's processes may take to vanish
// once the runsc command that started them has been waited for.
const leftoverGrace = 5 * time.Second

func TestMain(m *testing.M) {
	code := func() int {
		var err error
		if workDir, err = os.MkdirTemp("", "cocoon-runtimes-"); err != nil {
			fmt.Fprintln(os.Stderr, "runtimes:", err)
			return 1
		}
		defer os.RemoveAll(workDir)
		setupErr = setup()
		code := m.Run()
		if setupErr == nil {
			if left := leftovers(); left != "" {
				fmt.Fprintf(os.Stderr, "runtimes: processes left after the suite:%s\n", left)
				code = 1
			}
		}
		return code
	}()
	os.Exit(code)
}

func setup() error {
	var err error
	if testdata, err = filepath.Abs("testdata"); err != nil {
		return err
	}
	orig, err := testutil.RunscPath()
	if err != nil {
		return err
	}
	runsc = filepath.Join(workDir, "runsc")
	if err := testutil.CopyFile(orig, runsc, 0o755); err != nil {
		return err
	}
	// Orphans of what the tests start come back to us, so that the
	// leftover check finds them.
	return testutil.BecomeSubreaper()
}

// needSetup fails the test if TestMain could not prepare the suite.
func needSetup(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("setup: %v", setupErr)
	}
}

// needPrograms skips the test if one of the programs (an absolute path,
// or a name looked up in PATH) is not installed: scripts/deps.sh installs
// them all, so a skip means deps did not run.
func needPrograms(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (run `make deps`): %v", p, err)
		}
	}
}

// artefact is something the suite builds at most once: a compiled
// program, a generated input.
type artefact struct {
	once sync.Once
	path string
	err  error
}

var (
	artefactsMu sync.Mutex
	artefacts   = map[string]*artefact{}
)

// build returns the path of the artefact name, building it with mk
// (given the path to create) the first time any test asks for it.
func build(t *testing.T, name string, mk func(path string) error) string {
	t.Helper()
	needSetup(t)
	artefactsMu.Lock()
	a := artefacts[name]
	if a == nil {
		a = &artefact{path: filepath.Join(workDir, name)}
		artefacts[name] = a
	}
	artefactsMu.Unlock()
	a.once.Do(func() { a.err = mk(a.path) })
	if a.err != nil {
		t.Fatalf("building %s: %v", name, a.err)
	}
	return a.path
}

// slots lets at most two cases run at once: the machines have two cores,
// and a case under runsc keeps both busy.
var slots = make(chan struct{}, 2)

// timing is one case's run times, for the suite's summary.
type timing struct {
	name          string
	native, runsc time.Duration
}

var (
	timingsMu sync.Mutex
	timings   []timing
)

func recordTiming(name string, native, sandboxed time.Duration) {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	timings = append(timings, timing{name, native, sandboxed})
}

// timingTable formats what recordTiming collected, with totals.
func timingTable() string {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	var b strings.Builder
	var n, s time.Duration
	fmt.Fprintf(&b, "\n%-20s %10s %10s", "case", "native", "runsc")
	for _, tm := range timings {
		fmt.Fprintf(&b, "\n%-20s %10v %10v", tm.name, tm.native.Round(time.Millisecond), tm.runsc.Round(time.Millisecond))
		n += tm.native
		s += tm.runsc
	}
	fmt.Fprintf(&b, "\n%-20s %10v %10v", "total", n.Round(time.Millisecond), s.Round(time.Millisecond))
	return b.String()
}

// panicMarkers are what a Go panic or fatal error of the sentry (or of
// runsc itself) prints.
var panicMarkers = []string{"panic:", "fatal error:", "goroutine 1 ["}

// checkNoPanic fails the test if r's output shows a Go panic.
func checkNoPanic(t *testing.T, r *testutil.Result) {
	t.Helper()
	for _, m := range panicMarkers {
		if strings.Contains(r.Stdout, m) || strings.Contains(r.Stderr, m) {
			t.Errorf("output shows a panic (%q): %v", m, r)
			return
		}
	}
}

// leftovers describes every process started from our runsc copy (runsc,
// sandbox, gofer, stubs) or below the test binary (a subreaper, so
// orphans count) that is still there after leftoverGrace, killing them;
// "" if none.
func leftovers() string {
	left, err := testutil.Leftovers(runsc, leftoverGrace)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range left {
		fmt.Fprintf(&b, "\n\t%v", p)
	}
	return b.String()
}
