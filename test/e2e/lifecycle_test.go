package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// container is one container of the lifecycle tests: its bundle, --root
// and the file that its processes' stdout and stderr go to.
type container struct {
	t      *testing.T
	id     string
	root   string
	bundle string
	out    *os.File
}

// newContainer makes a busybox bundle running args.
func newContainer(t *testing.T, args ...string) *container {
	t.Helper()
	needSetup(t)
	c := &container{t: t, id: "c1", root: t.TempDir(), bundle: t.TempDir()}
	c.cleanupOnFailure()
	if err := testutil.MakeBusyboxBundle(c.bundle, testutil.BundleOptions{Args: args}); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	c.out = out
	return c
}

// cleanupOnFailure makes sure a test that fails half-way leaves no
// sandbox running: `delete --force` at the end of the test.
func (c *container) cleanupOnFailure() {
	c.t.Cleanup(func() {
		testutil.Run(testutil.Cmd{Args: []string{runsc, "--root", c.root, "delete", "--force", c.id}, Timeout: cmdTimeout})
	})
}

// runsc runs a runsc verb on the container; its output, and that of any
// process it leaves behind, goes to c.out. It checks nothing but that
// the command ran.
func (c *container) runsc(args ...string) *testutil.Result {
	c.t.Helper()
	r := testutil.Run(testutil.Cmd{
		Args:    append([]string{runsc, "--root", c.root}, args...),
		Dir:     c.bundle,
		Timeout: cmdTimeout,
		Output:  c.out,
	})
	if r.Err != nil || r.TimedOut {
		c.t.Fatalf("runsc %q: %v", args, r)
	}
	return r
}

// must runs a runsc verb that must succeed.
func (c *container) must(args ...string) {
	c.t.Helper()
	if r := c.runsc(args...); r.ExitCode != 0 {
		c.t.Fatalf("runsc %q: exit %d; output so far:\n%s", args, r.ExitCode, c.output())
	}
}

// query runs a runsc verb whose stdout is the answer (state, wait, ps).
func (c *container) query(args ...string) *testutil.Result {
	c.t.Helper()
	r := testutil.Run(testutil.Cmd{Args: append([]string{runsc, "--root", c.root}, args...), Timeout: cmdTimeout})
	if r.Err != nil || r.TimedOut {
		c.t.Fatalf("runsc %q: %v", args, r)
	}
	return r
}

// ociState is what `runsc state` prints.
type ociState struct {
	OCIVersion string `json:"ociVersion"`
	ID         string `json:"id"`
	Status     string `json:"status"`
	Pid        int    `json:"pid"`
	Bundle     string `json:"bundle"`
}

func (c *container) state() ociState {
	c.t.Helper()
	r := c.query("state", c.id)
	var s ociState
	if r.ExitCode != 0 || json.Unmarshal([]byte(r.Stdout), &s) != nil {
		c.t.Fatalf("runsc state: %v", r)
	}
	if s.ID != c.id || s.Bundle != c.bundle || s.OCIVersion == "" {
		c.t.Errorf("runsc state = %+v, want id %q, bundle %q and an ociVersion", s, c.id, c.bundle)
	}
	return s
}

func (c *container) output() string {
	data, _ := os.ReadFile(c.out.Name())
	return string(data)
}

// awaitOutput waits until the container's output holds want.
func (c *container) awaitOutput(want string) {
	c.t.Helper()
	for deadline := time.Now().Add(cmdTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(c.output(), want) {
			return
		}
	}
	c.t.Fatalf("output never showed %q: %q", want, c.output())
}

// wait runs `runsc wait` and returns the exit status it reports.
func (c *container) wait() int {
	c.t.Helper()
	r := c.query("wait", c.id)
	var res struct {
		ID         string `json:"id"`
		ExitStatus *int   `json:"exitStatus"`
	}
	if r.ExitCode != 0 || json.Unmarshal([]byte(r.Stdout), &res) != nil || res.ExitStatus == nil || res.ID != c.id {
		c.t.Fatalf("runsc wait: %v", r)
	}
	return *res.ExitStatus
}

// deleted checks that nothing of the container is left: no state, no
// process (checkNoLeftovers), and that its ID is free again.
func (c *container) deleted() {
	c.t.Helper()
	if ents, err := os.ReadDir(c.root); err != nil || len(ents) != 0 {
		c.t.Errorf("--root after delete: %d entries, %v", len(ents), err)
	}
	checkNoLeftovers(c.t)
	if r := c.query("state", c.id); r.ExitCode == 0 {
		c.t.Errorf("runsc state of a deleted container succeeded: %v", r)
	}
}

// TestLifecycle drives one container through create, state, start, kill,
// wait and delete, each a separate runsc call.
func TestLifecycle(t *testing.T) {
	c := newContainer(t, "/bin/sh", "-c", `trap 'echo got TERM; exit 3' TERM; echo started; while :; do sleep 0.05; done`)
	pidFile := filepath.Join(t.TempDir(), "pid")
	c.must("create", "--bundle", c.bundle, "--pid-file", pidFile, c.id)

	// create has returned; the sandbox lives on, its init not started.
	s := c.state()
	data, _ := os.ReadFile(pidFile)
	if pid, _ := strconv.Atoi(string(data)); s.Status != "created" || s.Pid <= 1 || s.Pid != pid {
		t.Fatalf("after create: state %+v, pid file %q; want created with the pid file's pid", s, data)
	}
	if p, err := testutil.ReadProc(s.Pid); err != nil || !p.HasArg("boot") {
		t.Fatalf("sandbox %d after create: %v %v; want a live runsc boot", s.Pid, p, err)
	}
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(c.output(), "started") {
		t.Fatal("the init ran before start")
	}

	c.must("start", c.id)
	if s := c.state(); s.Status != "running" {
		t.Errorf("after start: status %q, want running", s.Status)
	}
	if r := c.query("list", "--quiet"); r.ExitCode != 0 || r.Stdout != c.id+"\n" {
		t.Errorf("runsc list --quiet: %v", r)
	}
	var listed []ociState
	if r := c.query("list", "--format", "json"); r.ExitCode != 0 || json.Unmarshal([]byte(r.Stdout), &listed) != nil ||
		len(listed) != 1 || listed[0].ID != c.id || listed[0].Status != "running" || listed[0].Pid != s.Pid {
		t.Errorf("runsc list --format json: %v", r)
	}
	c.awaitOutput("started")
	if r := c.runsc("start", c.id); r.ExitCode == 0 {
		t.Error("a second start succeeded")
	}
	if r := c.runsc("delete", c.id); r.ExitCode == 0 {
		t.Error("delete of a running container without --force succeeded")
	}

	c.must("kill", c.id, "TERM")
	if status := c.wait(); status != 3 {
		t.Errorf("runsc wait: status %d, want 3 (the trap's exit)", status)
	}
	c.awaitOutput("got TERM")
	if s := c.state(); s.Status != "stopped" || s.Pid != 0 {
		t.Errorf("after exit: state %+v, want stopped with pid 0", s)
	}
	// wait on a stopped container answers from the exit record.
	if status := c.wait(); status != 3 {
		t.Errorf("second runsc wait: status %d, want 3", status)
	}
	c.must("delete", c.id)
	c.deleted()
}

// TestKillAllAndPs lists a container's processes and kills them all.
func TestKillAllAndPs(t *testing.T) {
	c := newContainer(t, "/bin/sh", "-c", `trap '' TERM; sleep 1000 & sleep 1000 & echo started; wait`)
	c.must("create", c.id)
	c.must("start", c.id)
	c.awaitOutput("started")

	// The forked children exec sleep soon after "started".
	type process struct {
		PID  int    `json:"pid"`
		PPID int    `json:"ppid"`
		Cmd  string `json:"cmd"`
	}
	var procs []process
	sleeps := 0
	for deadline := time.Now().Add(10 * time.Second); sleeps != 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r := c.query("ps", "--format", "json", c.id)
		procs = nil
		if r.ExitCode != 0 || json.Unmarshal([]byte(r.Stdout), &procs) != nil {
			t.Fatalf("runsc ps: %v", r)
		}
		sleeps = 0
		for _, p := range procs {
			if p.Cmd == "sleep" && p.PPID == 1 {
				sleeps++
			}
		}
	}
	if len(procs) != 3 || procs[0].PID != 1 || procs[0].Cmd != "sh" || sleeps != 2 {
		t.Errorf("runsc ps = %+v, want sh as PID 1 and its two sleeps", procs)
	}
	if r := c.query("ps", c.id); r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, "UID") || strings.Count(r.Stdout, "\n") != 4 {
		t.Errorf("runsc ps (table): %v", r)
	}

	// --pid picks one process: one sleep goes, the other stays.
	var victim int
	for _, p := range procs {
		if p.Cmd == "sleep" {
			victim = p.PID
		}
	}
	c.must("kill", "--pid", strconv.Itoa(victim), c.id, "KILL")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := c.query("ps", "--format", "json", c.id)
		var left []process
		json.Unmarshal([]byte(r.Stdout), &left)
		gone := len(left) == 2
		for _, p := range left {
			gone = gone && p.PID != victim
		}
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after kill --pid %d: ps = %v", victim, r)
		}
	}
	if r := c.query("kill", "--pid", "999", c.id, "KILL"); r.ExitCode == 0 {
		t.Error("kill --pid of a PID the container lacks succeeded")
	}

	// The init ignores TERM; --all reaches every process, and KILL
	// ends the init too.
	c.must("kill", "--all", c.id, "KILL")
	if status := c.wait(); status != 128+int(syscall.SIGKILL) {
		t.Errorf("runsc wait: status %d, want %d", status, 128+int(syscall.SIGKILL))
	}
	c.must("delete", c.id)
	c.deleted()
}

// TestDeleteForceAfterCrash kills one of the sandbox's processes from the
// host: `runsc delete --force` still leaves nothing, and the ID is reused.
func TestDeleteForceAfterCrash(t *testing.T) {
	for _, victim := range []string{"sandbox", "gofer", "stub"} {
		t.Run(victim, func(t *testing.T) {
			c := newContainer(t, "/bin/sh", "-c", "echo started; sleep 1000")
			c.must("create", c.id)
			c.must("start", c.id)
			c.awaitOutput("started")
			pid := c.findProcess(victim)
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			c.must("delete", "--force", c.id)
			c.deleted()
			// The ID is free, and works again.
			c.must("run", "--detach", c.id)
			c.must("delete", "--force", c.id)
			c.deleted()
		})
	}
}

// findProcess returns the host PID of the container's sandbox, gofer or
// newest stub process (the application's, not the template).
func (c *container) findProcess(which string) int {
	c.t.Helper()
	sandbox := c.state().Pid
	procs, err := testutil.Procs()
	if err != nil {
		c.t.Fatal(err)
	}
	found := 0
	for _, p := range procs {
		switch {
		case which == "sandbox" && p.PID == sandbox,
			which == "gofer" && p.HasArg("gofer") && p.HasArg("--root="+c.root),
			which == "stub" && p.PPID == sandbox && p.PID > found:
			found = p.PID
		}
	}
	if found == 0 {
		c.t.Fatalf("no %s process of sandbox %d", which, sandbox)
	}
	return found
}

// TestRunDetach starts a container with `run --detach`: runsc returns, the
// container runs until killed.
func TestRunDetach(t *testing.T) {
	c := newContainer(t, "/bin/sh", "-c", "echo started; sleep 1000")
	c.must("run", "--detach", c.id)
	if s := c.state(); s.Status != "running" {
		t.Errorf("after run --detach: status %q, want running", s.Status)
	}
	c.awaitOutput("started")
	c.must("kill", c.id, "9")
	if status := c.wait(); status != 128+int(syscall.SIGKILL) {
		t.Errorf("runsc wait: status %d, want %d", status, 128+int(syscall.SIGKILL))
	}
	c.must("delete", c.id)
	c.deleted()
}

// TestVerbErrors checks the lifecycle verbs' answers to bad requests: one
// line on stderr and a non-zero exit.
func TestVerbErrors(t *testing.T) {
	c := newContainer(t, "/bin/true")
	for _, args := range [][]string{
		{"state", "nosuch"},
		{"start", "nosuch"},
		{"kill", "nosuch"},
		{"wait", "nosuch"},
		{"delete", "nosuch"},
		{"kill", c.id, "NOSUCHSIG"},
		{"state", "../escape"},
	} {
		oneLineError(t, c.query(args...))
	}
	// --force ignores what does not exist.
	if r := c.query("delete", "--force", "nosuch"); r.ExitCode != 0 {
		t.Errorf("delete --force of a missing container: %v", r)
	}
}

// TestPauseResume freezes a container that prints in a loop: state says
// paused and nothing is printed until resume; a paused container is only
// deleted with --force.
func TestPauseResume(t *testing.T) {
	c := newContainer(t, "/bin/sh", "-c", "while :; do echo tick; sleep 0.05; done")
	c.must("run", "--detach", c.id)
	c.awaitOutput("tick\ntick\n")
	c.must("pause", c.id)
	if s := c.state(); s.Status != "paused" {
		t.Errorf("after pause: status %q, want paused", s.Status)
	}
	time.Sleep(200 * time.Millisecond) // what was under way settles
	before := strings.Count(c.output(), "tick")
	time.Sleep(500 * time.Millisecond)
	if after := strings.Count(c.output(), "tick"); after != before {
		t.Errorf("%d ticks printed while paused", after-before)
	}
	if r := c.runsc("pause", c.id); r.ExitCode == 0 {
		t.Error("pause of a paused container succeeded")
	}
	if r := c.runsc("delete", c.id); r.ExitCode == 0 {
		t.Error("delete of a paused container without --force succeeded")
	}
	c.must("resume", c.id)
	if s := c.state(); s.Status != "running" {
		t.Errorf("after resume: status %q, want running", s.Status)
	}
	for deadline := time.Now().Add(cmdTimeout); strings.Count(c.output(), "tick") < before+3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no tick after resume")
		}
	}
	c.must("pause", c.id)
	c.must("delete", "--force", c.id)
	c.deleted()
}

// TestDebugStacks asks a running sandbox for its goroutine stacks: they
// show the kernel's task goroutines (the container's sleeping init among
// them). A container that is not running has none to show.
func TestDebugStacks(t *testing.T) {
	c := newContainer(t, "/bin/sleep", "100")
	c.must("run", "--detach", c.id)
	r := c.query("debug", "--stacks", c.id)
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, "goroutine 1 [") || !strings.Contains(r.Stdout, "sentry/kernel.(*Task).run") {
		t.Errorf("debug --stacks: exit %d, stdout:\n%s\nstderr: %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	oneLineError(t, c.query("debug", "--stacks", "nosuch"))
	c.must("delete", "--force", c.id)
	c.deleted()
}
