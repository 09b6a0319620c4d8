package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// goferTrips runs `fileops op n path` under `runsc --debug do` in dir and
// returns the sentry's count of gofer round trips, less the Close
// messages (the sentry sends those in the background as it collects
// unused FIDs, at moments that vary from run to run).
func goferTrips(t *testing.T, dir, op string, n int, path string, flags ...string) uint64 {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "debug.log")
	args := append([]string{runsc, "--debug", "--debug-log=" + logFile}, flags...)
	args = append(args, "do", progs["fileops"], op, strconv.Itoa(n), path)
	r := run(t, testutil.Cmd{Args: args, Dir: dir})
	wantExit(t, r, 0)
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := parseGoferLine(string(log))
	if !ok {
		t.Fatalf("no 'gofer: N round trips (...)' line in the debug log:\n%s", log)
	}
	c[proto.OpClose] = 0
	return c.Total()
}

// parseGoferLine finds the sentry's last "gofer: N round trips (...)"
// line in a debug log.
func parseGoferLine(log string) (client.Counts, bool) {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if _, rest, ok := strings.Cut(lines[i], " gofer: "); ok {
			if c, ok := client.ParseCounts(rest); ok {
				return c, true
			}
		}
	}
	return client.Counts{}, false
}

// TestGoferRoundTrips counts the gofer round trips of file operations on
// a 4-component path, by running the same program doing each 0, 1 and 2
// times in fresh sandboxes: the first of them finds the path uncached,
// the second cached. Issue 11's targets: a first open in at most 2, a
// cached one in at most 1, a stat of a cached file and an fstat in 0
// (with exclusive access, the default).
func TestGoferRoundTrips(t *testing.T) {
	needSetup(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a/b/c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a/b/c/d"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op            string
		flags         []string
		first, second uint64 // at most
	}{
		{op: "open", first: 2, second: 1},
		{op: "stat", first: 1, second: 0},
		{op: "fstat", first: 0, second: 0},
		// Shared access asks for attributes every time (the walk's
		// are not kept).
		{op: "stat", flags: []string{"--file-access=shared"}, first: 2, second: 1},
	} {
		name := tc.op + strings.Join(tc.flags, "")
		t.Run(name, func(t *testing.T) {
			trips := make([]uint64, 3)
			for n := range trips {
				trips[n] = goferTrips(t, dir, tc.op, n, "a/b/c/d", tc.flags...)
			}
			first, second := trips[1]-trips[0], trips[2]-trips[1]
			t.Logf("%s a/b/c/d: first %d round trips, second %d (runs of 0, 1, 2: %v)", tc.op, first, second, trips)
			if trips[1] < trips[0] || trips[2] < trips[1] || first > tc.first || second > tc.second {
				t.Errorf("%s: first %d round trips (want <= %d), second %d (want <= %d); runs of 0, 1, 2: %v",
					tc.op, first, tc.first, second, tc.second, trips)
			}
		})
	}
}
