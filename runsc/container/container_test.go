package container

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/config"
)

func TestNewSaveLoadDestroy(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state") // created on demand
	spec := &specs.Spec{Annotations: map[string]string{"a": "b"}}
	c, err := New(root, "c1", "/bundle", spec)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir() != filepath.Join(root, "c1") {
		t.Errorf("Dir = %q", c.Dir())
	}
	l, err := Load(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != Creating || l.Bundle != "/bundle" || l.ID != "c1" || l.Annotations["a"] != "b" || l.Created.IsZero() {
		t.Errorf("loaded state = %+v", l.State)
	}

	if err := c.SetRunning(1234, 1235); err != nil {
		t.Fatal(err)
	}
	// The file on disk has the OCI state field names.
	data, err := os.ReadFile(filepath.Join(root, "c1", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"id": "c1", "status": "running", "pid": 1234.0, "bundle": "/bundle", "goferPid": 1235.0} {
		if raw[k] != want {
			t.Errorf("state.json %s = %v, want %v", k, raw[k], want)
		}
	}
	if _, ok := raw["created"]; !ok {
		t.Error("state.json has no created")
	}

	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir still there: %v", err)
	}
	if _, err := Load(root, "c1"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load after Destroy = %v, want ErrNotExist", err)
	}
}

func TestNewRefusesTakenID(t *testing.T) {
	root := t.TempDir()
	c, err := New(root, "c1", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(root, "c1", "", nil); !errors.Is(err, ErrExist) {
		t.Errorf("second New = %v, want ErrExist", err)
	}
	// The first container's state is untouched.
	if _, err := Load(root, "c1"); err != nil {
		t.Errorf("Load = %v", err)
	}
	c.Destroy()
}

func TestNewRejectsBadID(t *testing.T) {
	root := t.TempDir()
	for _, id := range []string{"", "..", "a/b", "../escape"} {
		if _, err := New(root, id, "", nil); err == nil {
			t.Errorf("New(%q) succeeded", id)
		}
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("bad IDs left %d entries under root", len(ents))
	}
}

func TestTransitions(t *testing.T) {
	c, err := New(t.TempDir(), "c", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.SetRunning(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.SetStopped(); err != nil {
		t.Fatal(err)
	}
	var ite *InvalidTransitionError
	if err := c.SetRunning(1, 2); !errors.As(err, &ite) || ite.From != Stopped || ite.To != Running {
		t.Errorf("stopped -> running = %v, want InvalidTransitionError", err)
	}
	if err := c.SetStopped(); !errors.As(err, &ite) {
		t.Errorf("stopped -> stopped = %v, want InvalidTransitionError", err)
	}
}

func TestWritePidFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pid")
	if err := writePidFile(p, 4321); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(p); string(data) != "4321" {
		t.Errorf("pid file = %q", data)
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
		t.Errorf("temporary file left behind: %d entries", len(ents))
	}
}

// The test binary stands in for runsc in TestRun, as boot and gofer.
const helperEnv = "COCOON_CONTAINER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helper(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helper is a fake runsc: as gofer it waits for EOF on its socket; as boot
// it waits until state.json says running, writes what it saw to the report
// file named in the spec's args, and exits with the status given there.
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
		data, err := io.ReadAll(os.NewFile(4, "spec"))
		if err != nil {
			return 3
		}
		var spec specs.Spec
		if err := json.Unmarshal(data, &spec); err != nil {
			return 4
		}
		var st State
		for i := 0; i < 200; i++ {
			data, _ := os.ReadFile(filepath.Join(conf.RootDir, spec.Hostname, "state.json"))
			if json.Unmarshal(data, &st) == nil && st.Status == Running {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		report := fmt.Sprintf("status=%s pidset=%t goferset=%t", st.Status, st.Pid > 1, st.GoferPid > 1)
		os.WriteFile(spec.Process.Args[0], []byte(report), 0o644)
		code, _ := strconv.Atoi(spec.Process.Args[1])
		return code
	}
	return 2
}

func TestRun(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root for namespaces")
	}
	t.Setenv(helperEnv, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	conf := &config.Config{RootDir: filepath.Join(tmp, "root"), Platform: "ptrace", Network: "none", Overlay2: "root:memory"}
	report := filepath.Join(tmp, "report")
	pidFile := filepath.Join(tmp, "pid")
	spec := &specs.Spec{
		Hostname: "c1", // tells the helper its ID
		Process:  &specs.Process{Args: []string{report, "42"}},
		Root:     &specs.Root{Path: tmp, Readonly: true},
	}
	status, err := Run(&RunArgs{Conf: conf, ID: "c1", Bundle: tmp, Spec: spec, RootFS: tmp, PidFile: pidFile, Exe: exe})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if status != 42 {
		t.Errorf("status = %d, want 42", status)
	}
	got, _ := os.ReadFile(report)
	if want := "status=running pidset=true goferset=true"; string(got) != want {
		t.Errorf("sandbox saw %q, want %q", got, want)
	}
	pid, _ := os.ReadFile(pidFile)
	if n, err := strconv.Atoi(string(pid)); err != nil || n <= 1 {
		t.Errorf("pid file = %q", pid)
	} else if unix.Kill(n, 0) != unix.ESRCH {
		t.Errorf("sandbox %d still exists after Run", n)
	}
	if _, err := os.Stat(filepath.Join(conf.RootDir, "c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir left behind: %v", err)
	}

	// A failed start leaves no state either.
	_, err = Run(&RunArgs{Conf: conf, ID: "c2", Spec: spec, RootFS: tmp, Exe: filepath.Join(tmp, "missing")})
	if err == nil || !strings.Contains(err.Error(), "starting gofer") {
		t.Errorf("Run with missing binary = %v", err)
	}
	if _, err := os.Stat(filepath.Join(conf.RootDir, "c2")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir of failed run left behind: %v", err)
	}
}
