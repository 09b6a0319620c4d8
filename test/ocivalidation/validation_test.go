package ocivalidation

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// The runtimes' names in reports and in Run.Runtime.
const (
	runcName   = "runc"
	cocoonName = "cocoon"
)

// Row is one assertion of one program, under both runtimes.
type Row struct {
	Program, Key string
	Runc, Cocoon Status
}

// exitKey is the assertion every program gets besides its TAP: that it
// exited 0 in time. Programs report some failures only so (util.Fatal:
// "Any value which cannot be mapped ... MUST cause an error").
const exitKey = "(the program exits 0 within its timeout)"

// Rows lines up the two runtimes' assertions per program: runc's order
// first, then what only Cocoon printed, then exitKey. An assertion one
// runtime did not print is Missing for it (NotApplicable if it printed
// none and exited 0).
func Rows(s *Suite, res map[string]map[string]*Run) []Row {
	var rows []Row
	for _, p := range s.Programs {
		idx := map[string]int{}
		first := len(rows)
		add := func(run *Run, set func(*Row, Status)) {
			if run == nil {
				return
			}
			exit := NotOK
			if run.ExitCode == 0 && !run.TimedOut && run.Err == nil {
				exit = OK
			}
			for _, a := range append(run.Assertions, Assertion{Key: exitKey, Status: exit}) {
				i, ok := idx[a.Key]
				if !ok {
					i = len(rows)
					idx[a.Key] = i
					rows = append(rows, Row{Program: p, Key: a.Key})
				}
				set(&rows[i], a.Status)
			}
		}
		add(res[p][runcName], func(r *Row, st Status) { r.Runc = st })
		add(res[p][cocoonName], func(r *Row, st Status) { r.Cocoon = st })
		for _, name := range []string{runcName, cocoonName} {
			run := res[p][name]
			if run == nil || run.ExitCode != 0 || run.TimedOut || len(run.Assertions) > 0 {
				continue
			}
			for i := first; i < len(rows); i++ {
				st := &rows[i].Runc
				if name == cocoonName {
					st = &rows[i].Cocoon
				}
				if *st == Missing {
					*st = NotApplicable
				}
			}
		}
	}
	return rows
}

// tally counts one runtime's outcomes as its TAP said them (ok, not ok,
// skip), and the assertions that only the other runtime printed.
type tally struct{ ok, notOK, skip, missing int }

func (c *tally) add(st Status) {
	switch st {
	case OK:
		c.ok++
	case Skip:
		c.skip++
	case NotOK:
		c.notOK++
	case NotApplicable:
	default:
		c.missing++
	}
}

func (c tally) String() string {
	total := c.ok + c.notOK + c.skip
	ratio := 0.0
	if total > 0 {
		ratio = 100 * float64(c.ok) / float64(total)
	}
	return fmt.Sprintf("%d ok / %d not ok / %d skip (%.1f%% ok of %d printed); %d printed only by the other runtime",
		c.ok, c.notOK, c.skip, ratio, total, c.missing)
}

func TestOCIValidation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the validation suite creates containers: needs root")
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatalf("runc (Debian's, the reference) is not installed: %v (make deps)", err)
	}
	runsc, err := testutil.RunscPath()
	if err != nil {
		t.Fatal(err)
	}
	root, err := testutil.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	compat := filepath.Join(root, "docs", "compatibility.md")
	exceptions, err := ReadExceptions(compat)
	if err != nil {
		t.Fatalf("reading the known failures: %v", err)
	}

	start := time.Now()
	suite, err := PrepareSuite(t.Logf)
	if err != nil {
		t.Fatalf("preparing the validation suite: %v", err)
	}
	t.Logf("suite ready after %v", time.Since(start).Round(time.Second))

	runStart := time.Now()
	res := RunAll(suite, []Runtime{{runcName, runc}, {cocoonName, runsc}}, t.TempDir())
	t.Logf("ran %d programs under runc and Cocoon in %v", len(suite.Programs), time.Since(runStart).Round(time.Second))
	for _, p := range suite.Programs {
		for _, name := range []string{runcName, cocoonName} {
			if r := res[p][name]; r.Err != nil || r.TimedOut {
				t.Logf("%s under %s: timed out %v, error %v", p, name, r.TimedOut, r.Err)
			}
		}
	}

	rows := Rows(suite, res)
	var runcT, cocoonT, runcExit, cocoonExit tally
	for _, r := range rows {
		if r.Key == exitKey {
			runcExit.add(r.Runc)
			cocoonExit.add(r.Cocoon)
			continue
		}
		runcT.add(r.Runc)
		cocoonT.add(r.Cocoon)
	}
	t.Logf("runc:   %v; %d of %d programs exit 0", runcT, runcExit.ok, len(suite.Programs))
	t.Logf("Cocoon: %v; %d of %d programs exit 0", cocoonT, cocoonExit.ok, len(suite.Programs))
	writeResults(t, rows, res)

	compare(t, rows, exceptions, compat, res)
	t.Logf("validation suite: %v in all", time.Since(start).Round(time.Second))
}

// compare fails t for each regression (runc ok, Cocoon not, not listed)
// and for each listed exception that covers no regression any more.
func compare(t *testing.T, rows []Row, exceptions []Exception, compat string, res map[string]map[string]*Run) {
	covered := make([]int, len(exceptions)) // regressions each covers
	passes := make([]int, len(exceptions))  // matched assertions Cocoon passes
	matched := make([]int, len(exceptions))
	var regressions []Row
	for _, r := range rows {
		listed := false
		for i, e := range exceptions {
			if !e.Matches(r.Program, r.Key) {
				continue
			}
			matched[i]++
			if r.Cocoon == OK {
				passes[i]++
			}
			if regressed(r) {
				covered[i]++
				listed = true
			}
		}
		if regressed(r) && !listed {
			regressions = append(regressions, r)
		}
	}
	if len(regressions) > 0 {
		var b strings.Builder
		progs := map[string]bool{}
		for _, r := range regressions {
			fmt.Fprintf(&b, "\n\t%s: %q: runc ok, Cocoon %v", r.Program, r.Key, r.Cocoon)
			progs[r.Program] = true
		}
		t.Errorf("%d assertions runc passes fail under Cocoon and are not in %s:%s", len(regressions), compat, b.String())
		names := make([]string, 0, len(progs))
		for p := range progs {
			names = append(names, p)
		}
		sort.Strings(names)
		for _, p := range names {
			if r := res[p][cocoonName]; r != nil && r.Stderr != "" {
				t.Logf("%s under Cocoon: exit %d, stderr:\n%s", p, r.ExitCode, clip(r.Stderr, 2000))
			}
		}
	}
	for i, e := range exceptions {
		switch {
		case matched[i] == 0:
			t.Errorf("%s %v matches no assertion of this run: fix or remove it", compat, e)
		case covered[i] == 0 && passes[i] > 0:
			t.Errorf("%s %v: Cocoon passes it now: remove it from the list", compat, e)
		case covered[i] == 0:
			t.Logf("%s %v: runc did not pass it in this run either", compat, e)
		}
	}
}

// regressed says whether runc passes r and Cocoon does not.
func regressed(r Row) bool {
	return r.Runc == OK && r.Cocoon != OK && r.Cocoon != NotApplicable
}

// writeResults writes every row, and each run's stderr, next to the cached
// suite, for reading after the test (last-results.tsv, last-stderr/).
func writeResults(t *testing.T, rows []Row, res map[string]map[string]*Run) {
	var b strings.Builder
	b.WriteString("program\tassertion\trunc\tcocoon\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\t%v\t%v\n", r.Program, r.Key, r.Runc, r.Cocoon)
	}
	path := filepath.Join(cacheDir(), "last-results.tsv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Logf("writing results: %v", err)
		return
	}
	errDir := filepath.Join(cacheDir(), "last-stderr")
	os.RemoveAll(errDir)
	os.MkdirAll(errDir, 0o755)
	for p, byRT := range res {
		for name, r := range byRT {
			text := fmt.Sprintf("exit %d, timed out %v, error %v, %v\n%s", r.ExitCode, r.TimedOut, r.Err, r.Duration.Round(time.Millisecond), r.Stderr)
			os.WriteFile(filepath.Join(errDir, p+"."+name), []byte(text), 0o644)
		}
	}
	t.Logf("every assertion's outcome: %s; stderr of each run: %s", path, errDir)
}

// clip shortens s to at most n bytes, keeping its end.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
