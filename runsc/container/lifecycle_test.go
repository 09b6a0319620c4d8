package container

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/control/controltest"
)

// The test binary stands in for runsc, as boot and gofer.
const helperEnv = "COCOON_CONTAINER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helper(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helper is a fake runsc: as gofer it waits for EOF on its socket; as boot
// it serves the control API and, once started, acts out the spec's args:
// "report FILE N" waits until state.json says running, writes what it saw
// to FILE and exits with N; "wait-signal" exits with 128+N on signal N.
func helper(args []string) int {
	fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
	conf := config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return 2
	}
	switch fs.Arg(0) {
	case "gofer":
		buf := make([]byte, 16)
		for {
			n, err := unix.Read(3, buf)
			if err != unix.EINTR && (n <= 0 || err != nil) {
				return 0
			}
		}
	case "boot":
		return helperBoot(conf, fs.Args()[1:])
	}
	return 2
}

func helperBoot(conf *config.Config, args []string) int {
	b, err := controltest.ParseBoot(args)
	if err != nil {
		return 2
	}
	id, spec, controllerFD, exitFD := b.ID, b.Spec, &b.ControllerFD, &b.ExitFD
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM)
	ctl := controltest.Serve(*controllerFD, id, sigs)
	defer ctl.Stop()
	ctl.Ready()
	<-ctl.Started
	status := 99
	switch a := spec.Process.Args; a[0] {
	case "report":
		var st State
		for i := 0; i < 200; i++ {
			data, _ := os.ReadFile(filepath.Join(conf.RootDir, id, stateFile))
			if json.Unmarshal(data, &st) == nil && st.Status == Running {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		report := fmt.Sprintf("status=%s pidset=%t sandbox=%t", st.Status, st.Pid > 1, st.Sandbox != nil && st.Sandbox.Sandbox.PID == st.Pid)
		os.WriteFile(a[1], []byte(report), 0o644)
		status, _ = strconv.Atoi(a[2])
	case "wait-signal":
		status = 128 + int((<-sigs).(unix.Signal))
	}
	ctl.Exited(*exitFD, status)
	return status
}

func requireRoot(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root for namespaces")
	}
}

// testArgs describes container id running args in the fake runsc.
func testArgs(t *testing.T, id string, args ...string) *CreateArgs {
	t.Helper()
	t.Setenv(helperEnv, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	return &CreateArgs{
		Conf:   &config.Config{RootDir: filepath.Join(tmp, "root"), Platform: "ptrace", Network: "none", Overlay2: "root:memory"},
		ID:     id,
		Bundle: tmp,
		Spec:   &specs.Spec{Process: &specs.Process{Args: args}, Root: &specs.Root{Path: tmp, Readonly: true}},
		RootFS: tmp,
		Exe:    exe,
	}
}

func gone(pid int) bool { return unix.Kill(pid, 0) == unix.ESRCH }

func TestRun(t *testing.T) {
	requireRoot(t)
	report := filepath.Join(t.TempDir(), "report")
	a := testArgs(t, "c1", "report", report, "42")
	a.PidFile = filepath.Join(t.TempDir(), "pid")
	status, err := Run(&RunArgs{CreateArgs: *a})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if status != 42 {
		t.Errorf("status = %d, want 42", status)
	}
	got, _ := os.ReadFile(report)
	if want := "status=running pidset=true sandbox=true"; string(got) != want {
		t.Errorf("sandbox saw %q, want %q", got, want)
	}
	pid, _ := os.ReadFile(a.PidFile)
	if n, err := strconv.Atoi(string(pid)); err != nil || n <= 1 {
		t.Errorf("pid file = %q", pid)
	} else if !gone(n) {
		t.Errorf("sandbox %d still exists after Run", n)
	}
	if _, err := os.Stat(filepath.Join(a.Conf.RootDir, "c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir left behind: %v", err)
	}

	// A failed start leaves no state either.
	b := testArgs(t, "c2", "report", report, "0")
	b.Exe = filepath.Join(t.TempDir(), "missing")
	if _, err := Run(&RunArgs{CreateArgs: *b}); err == nil || !strings.Contains(err.Error(), "starting gofer") {
		t.Errorf("Run with missing binary = %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.Conf.RootDir, "c2")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir of failed run left behind: %v", err)
	}
}

// TestLifecycle walks one container through create, start, kill, wait
// and delete, each step from a freshly loaded state as separate runsc
// calls see it.
func TestLifecycle(t *testing.T) {
	requireRoot(t)
	a := testArgs(t, "c1", "wait-signal")
	c, err := Create(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Delete(true) })
	root := a.Conf.RootDir
	load := func() *Container {
		t.Helper()
		l, err := Load(root, "c1")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := load(); l.Status != Created || l.OCIState().Pid != c.Sandbox.Sandbox.PID {
		t.Fatalf("after Create: %+v, want created with the sandbox's pid", l.OCIState())
	}
	// A created container is deleted without force (runc's rule).
	if err := load().Delete(false); err != nil {
		t.Fatalf("Delete(created) = %v", err)
	}
	if _, err := Load(root, "c1"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("created container not deleted: %v", err)
	}
	if !gone(c.Sandbox.Sandbox.PID) && c.Sandbox.Sandbox.Alive() {
		t.Fatal("deleting a created container left its sandbox running")
	}

	// The ID is free again.
	if c, err = Create(a); err != nil {
		t.Fatal(err)
	}
	if err := load().Start(); err != nil {
		t.Fatal(err)
	}
	if l := load(); l.Status != Running {
		t.Fatalf("after Start: status %s, want running", l.Status)
	}
	if err := load().Start(); err == nil {
		t.Error("a second Start succeeded")
	}
	if err := load().Delete(false); !errors.Is(err, ErrNotStopped) {
		t.Errorf("Delete(running) without force = %v, want ErrNotStopped", err)
	}
	if err := load().Signal(int(unix.SIGTERM), false); err != nil {
		t.Fatal(err)
	}
	if status, err := load().Wait(); err != nil || status != 128+int(unix.SIGTERM) {
		t.Fatalf("Wait = %d, %v; want %d", status, err, 128+int(unix.SIGTERM))
	}
	if err := c.Sandbox.WaitGone(); err != nil { // reap: this process started it
		t.Fatal(err)
	}
	l := load()
	if l.Status != Stopped || l.OCIState().Pid != 0 {
		t.Errorf("after exit: %+v, want stopped with pid 0", l.OCIState())
	}
	if err := l.Signal(int(unix.SIGTERM), false); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Signal(stopped) = %v, want ErrNotRunning", err)
	}
	if status, err := l.Wait(); err != nil || status != 128+int(unix.SIGTERM) {
		t.Errorf("Wait(stopped) = %d, %v; want the recorded %d", status, err, 128+int(unix.SIGTERM))
	}
	if err := l.Delete(false); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("delete left %d entries under --root", len(ents))
	}
}

// TestDeleteForce deletes a running container from another handle: the
// sandbox and gofer die and the state goes.
func TestDeleteForce(t *testing.T) {
	requireRoot(t)
	a := testArgs(t, "c1", "wait-signal")
	c, err := Create(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		c.Delete(true)
		t.Fatal(err)
	}
	l, err := Load(a.Conf.RootDir, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(true); err != nil {
		t.Fatal(err)
	}
	if c.Sandbox.Sandbox.Alive() || c.Sandbox.Gofer.Alive() {
		t.Error("Delete(force) left the sandbox or gofer running")
	}
	c.Sandbox.WaitGone()
	if _, err := Load(a.Conf.RootDir, "c1"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load after Delete(force) = %v, want ErrNotExist", err)
	}
}
