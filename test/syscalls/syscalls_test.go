package syscalls

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// Timeouts for one run of one test program.
const (
	nativeTimeout = 30 * time.Second
	runscTimeout  = 2 * time.Minute
)

// linkModes are the two ways every test program is built.
var linkModes = []struct {
	name   string
	static bool
}{
	{"static", true},
	{"dynamic", false},
}

// program is one compiled test binary.
type program struct {
	name, link, path string
	err              error // compile error
}

// compileAll compiles every c/*.c twice into dir, two gcc at a time.
func compileAll(t *testing.T, dir string) []*program {
	srcs, err := filepath.Glob("c/*.c")
	if err != nil {
		t.Fatalf("listing C tests: %v", err)
	}
	if len(srcs) == 0 {
		t.Fatal("no C tests in c/")
	}
	sort.Strings(srcs)
	var progs []*program
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		for _, lm := range linkModes {
			progs = append(progs, &program{
				name: name,
				link: lm.name,
				path: filepath.Join(dir, name+"."+lm.name),
			})
		}
	}
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, p := range progs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			src, _ := filepath.Abs(filepath.Join("c", p.name+".c"))
			p.err = testutil.CompileC(src, p.path, p.link == "static", "-Ic")
		}()
	}
	wg.Wait()
	return progs
}

// TestSyscalls runs every C test program natively and under `runsc do`,
// static and dynamic, and requires exit 0 and the same stdout from both.
func TestSyscalls(t *testing.T) {
	if _, err := os.Stat("/usr/bin/gcc"); err != nil {
		t.Skip("gcc is not installed (run `make deps`)")
	}
	bin := t.TempDir()
	progs := compileAll(t, bin)
	runsc, runscErr := testutil.RunscPath()

	byName := make(map[string][]*program)
	var names []string
	for _, p := range progs {
		if byName[p.name] == nil {
			names = append(names, p.name)
		}
		byName[p.name] = append(byName[p.name], p)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, p := range byName[name] {
				t.Run(p.link, func(t *testing.T) {
					t.Parallel()
					runProgram(t, p, runsc, runscErr)
				})
			}
		})
	}
}

// runProgram runs p natively, then under runsc, as two subtests.
func runProgram(t *testing.T, p *program, runsc string, runscErr error) {
	if p.err != nil {
		t.Fatalf("compiling: %v", p.err)
	}
	var native *testutil.Result
	runNative := func(dir string) *testutil.Result {
		return testutil.Run(testutil.Cmd{
			Args:    []string{p.path},
			Dir:     dir,
			Timeout: nativeTimeout,
		})
	}
	t.Run("native", func(t *testing.T) {
		native = runNative(t.TempDir())
		if native.ExitCode != 0 || native.Err != nil {
			t.Fatalf("%s failed natively: %v", p.name, native)
		}
	})
	t.Run("runsc", func(t *testing.T) {
		if runscErr != nil {
			t.Fatalf("no runsc: %v", runscErr)
		}
		r := testutil.Run(testutil.Cmd{
			Args:    []string{runsc, "do", p.path},
			Dir:     t.TempDir(),
			Timeout: runscTimeout,
		})
		if r.ExitCode != 0 || r.Err != nil {
			t.Fatalf("%s failed under runsc: %v", p.name, r)
		}
		if native == nil { // the native subtest was not selected
			native = runNative(t.TempDir())
		}
		if native.ExitCode != 0 || native.Err != nil {
			t.Fatalf("%s passed under runsc but not natively: %v", p.name, native)
		}
		if r.Stdout != native.Stdout {
			t.Fatalf("%s: stdout differs\n--- native ---\n%s--- runsc ---\n%s", p.name, native.Stdout, r.Stdout)
		}
	})
}

// TestCoverage guards against a C test that prints nothing: every program
// must report at least one passed check (PASS, printf, or run_group from
// test.h, which prints a line per group), so stdout comparison means
// something.
func TestCoverage(t *testing.T) {
	srcs, err := filepath.Glob("c/*.c")
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.Contains(s, "PASS(") && !strings.Contains(s, "printf(") && !strings.Contains(s, "run_group(") {
			t.Errorf("%s prints nothing to stdout", src)
		}
		if !strings.HasPrefix(s, "/* "+strings.TrimSuffix(filepath.Base(src), ".c")+":") {
			t.Errorf("%s does not start with a comment naming the test and what it covers", src)
		}
	}
}
