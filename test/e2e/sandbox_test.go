package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// sandboxView is what the host shows of one running sandbox.
type sandboxView struct {
	boot  *testutil.Proc
	gofer *testutil.Proc
	// bootSeccomp and goferSeccomp are the Seccomp fields of the
	// sandbox's and the gofer's threads (runsc/boot/filter and
	// fsgofer/filter), one per thread.
	bootSeccomp, goferSeccomp []string
	rootList                  []string // entries of /proc/<boot>/root
	rootErr                   error
	stubs                     []*testutil.Proc
	seccomp                   map[int]string // stub PID -> Seccomp field
}

func (v *sandboxView) String() string {
	if v == nil || v.boot == nil {
		return "no sandbox process (a descendant of runsc with a \"boot\" argument) found"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sandbox: %v Seccomp=%q\n  /proc/%d/root: %q (err %v)\n", v.boot, v.bootSeccomp, v.boot.PID, v.rootList, v.rootErr)
	fmt.Fprintf(&b, "  gofer: %v Seccomp=%q\n", v.gofer, v.goferSeccomp)
	for _, s := range v.stubs {
		fmt.Fprintf(&b, "  stub: %v Seccomp=%q\n", s, v.seccomp[s.PID])
	}
	return b.String()
}

// ok reports whether the view meets the bar: empty root, at least
// one stub, every stub and every thread of the sandbox and the gofer in
// seccomp filter mode.
func (v *sandboxView) ok() bool {
	if v == nil || v.boot == nil || v.rootErr != nil || len(v.rootList) != 0 || len(v.stubs) == 0 {
		return false
	}
	if !allFilter(v.bootSeccomp) || !allFilter(v.goferSeccomp) {
		return false
	}
	for _, s := range v.stubs {
		if v.seccomp[s.PID] != "2" {
			return false
		}
	}
	return true
}

// allFilter says whether every thread's Seccomp field is 2 (filter mode).
func allFilter(fields []string) bool {
	for _, f := range fields {
		if f != "2" {
			return false
		}
	}
	return len(fields) > 0
}

// threadSeccomp returns the Seccomp field of every thread of pid.
func threadSeccomp(pid int) []string {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Seccomp:"); ok {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

// look finds the sandbox started by the runsc process runscPID: the
// descendant with a "boot" argument, and its stubs: every other
// descendant of it that is not a gofer, and every process traced by one of
// its threads.
func look(runscPID int) (*sandboxView, error) {
	procs, err := testutil.Procs()
	if err != nil {
		return nil, err
	}
	v := &sandboxView{seccomp: make(map[int]string)}
	for _, p := range testutil.Descendants(procs, runscPID) {
		switch {
		case p.HasArg("boot") && v.boot == nil:
			v.boot = p
		case p.HasArg("gofer") && v.gofer == nil:
			v.gofer = p
		}
	}
	if v.gofer != nil {
		v.goferSeccomp = threadSeccomp(v.gofer.PID)
	}
	if v.boot == nil {
		return v, nil
	}
	v.bootSeccomp = threadSeccomp(v.boot.PID)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/root", v.boot.PID))
	v.rootErr = err
	for _, e := range ents {
		v.rootList = append(v.rootList, e.Name())
	}
	stubs := make(map[int]*testutil.Proc)
	for _, p := range testutil.Descendants(procs, v.boot.PID) {
		if !p.HasArg("gofer") {
			stubs[p.PID] = p
		}
	}
	threads, _ := testutil.Threads(v.boot.PID)
	for _, p := range procs {
		st, err := testutil.ReadStatus(p.PID)
		if err != nil {
			continue
		}
		if tracer, _ := strconv.Atoi(st["TracerPid"]); tracer != 0 && threads[tracer] {
			stubs[p.PID] = p
		}
	}
	for pid, p := range stubs {
		st, err := testutil.ReadStatus(pid)
		if err != nil {
			continue // exited meanwhile
		}
		v.stubs = append(v.stubs, p)
		v.seccomp[pid] = st["Seccomp"]
	}
	return v, nil
}

// startTime returns field 22 of /proc/PID/stat, to tell a process from a
// later one that reuses its PID.
func startTime(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 19 {
			return f[19]
		}
	}
	return ""
}

// TestSandboxProcesses looks at a running sandbox from the host: its root
// is empty, every stub and every thread of the sandbox and the gofer runs
// under a seccomp filter, and all of them are gone once runsc returns.
func TestSandboxProcesses(t *testing.T) {
	needSetup(t)
	started := make(chan int, 1)
	done := make(chan *testutil.Result, 1)
	go func() {
		done <- testutil.Run(testutil.Cmd{
			Args:    []string{runsc, "do", "/bin/busybox", "sleep", "6"},
			Dir:     t.TempDir(),
			Timeout: cmdTimeout,
			Started: func(pid int) { started <- pid },
		})
	}()
	var pid int
	select {
	case pid = <-started:
	case r := <-done:
		t.Fatalf("runsc did not start: %v", r)
	}

	var last *sandboxView
	seen := make(map[int]string) // PID -> start time of boot and stubs seen
	var r *testutil.Result
poll:
	for {
		select {
		case r = <-done:
			break poll
		case <-time.After(50 * time.Millisecond):
		}
		if last.ok() {
			continue // keep waiting for the end
		}
		v, err := look(pid)
		if err != nil {
			t.Fatalf("scanning processes: %v", err)
		}
		last = v
		if v.boot != nil {
			seen[v.boot.PID] = startTime(v.boot.PID)
		}
		for _, s := range v.stubs {
			seen[s.PID] = startTime(s.PID)
		}
	}
	wantExit(t, r, 0)
	if !last.ok() {
		t.Errorf("while the sandbox ran, the host never showed an empty sandbox root and at least one stub, all with Seccomp 2 as well as the sandbox and gofer threads; last seen:\n%v", last)
	} else {
		t.Logf("sandbox as seen from the host:\n%v", last)
	}
	checkNoLeftovers(t)
	for p, st := range seen {
		if st != "" && startTime(p) == st {
			proc, _ := testutil.ReadProc(p)
			t.Errorf("sandbox or stub process %d still there after runsc returned: %v", p, proc)
		}
	}
}
