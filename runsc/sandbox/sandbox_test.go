package sandbox

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/filter"
	"github.com/cocoon-sandbox/cocoon/fsgofer/server"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/ptrace"
	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/control/controltest"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// The test binary stands in for runsc: Start re-executes it as "boot" and
// "gofer" (the argv runsc would get), and TestMain runs a helper that uses
// the real ConfineGofer and ConfineSentry, then reports what it sees.
const helperEnv = "COCOON_SANDBOX_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helperMain skips the global flags (as runsc's main would parse them) and
// runs the named subcommand.
func helperMain(args []string) int {
	for i, a := range args {
		switch a {
		case "gofer":
			return fakeGofer(args[i+1:])
		case "boot":
			return fakeBoot(args[i+1:])
		}
	}
	fmt.Fprintln(os.Stderr, "helper: no subcommand in", args)
	return 2
}

// fakeGofer confines itself like `runsc gofer`, sends the content of /marker
// (proving "/" is now the served directory) and serves until EOF.
func fakeGofer(args []string) int {
	fs := flag.NewFlagSet("gofer", flag.ContinueOnError)
	rootDir := fs.String("root-dir", "", "")
	ioFD := fs.Int("io-fd", -1, "")
	readOnly := fs.Bool("read-only", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := ConfineGofer(*rootDir, *readOnly); !confined(err) {
		fmt.Fprintln(os.Stderr, "gofer:", err)
		return 1
	}
	if os.Getenv(realGoferEnv) != "" {
		// What `runsc gofer` does after confining itself.
		if err := filter.Install(*ioFD); err != nil {
			fmt.Fprintln(os.Stderr, "gofer:", err)
			return 1
		}
		if err := server.Serve(*ioFD, "/", *readOnly); err != nil {
			fmt.Fprintln(os.Stderr, "gofer:", err)
			return 1
		}
		return 0
	}
	marker, _ := os.ReadFile("/marker")
	// Writes must fail on a read-only root.
	werr := os.WriteFile("/written", []byte("x"), 0o644)
	msg := fmt.Sprintf("marker=%s write-refused=%t", strings.TrimSpace(string(marker)), werr != nil)
	if _, err := unix.Write(*ioFD, []byte(msg)); err != nil {
		return 1
	}
	buf := make([]byte, 64)
	for {
		n, err := unix.Read(*ioFD, buf)
		if err == unix.EINTR {
			continue
		}
		if n == 0 || err != nil {
			return 0 // EOF: the sandbox is gone
		}
	}
}

// fakeBoot checks what `runsc boot` is given, confines itself as `runsc
// boot` does and then acts out spec.Process.Args: "exit N", "wait-signal",
// "stubs" (like wait-signal, with a ptrace platform started before the
// confinement and driven after it, as the sentry does) or "gofer-ops"
// (goferOps through a real gofer, then exit 0).
func fakeBoot(args []string) int {
	b, err := controltest.ParseBoot(args)
	if err != nil {
		return 2
	}
	spec, goferFD, controllerFD, exitFD, stdioFDs := b.Spec, &b.GoferFD, &b.ControllerFD, &b.ExitFD, &b.StdioFDs
	var goferMsg []byte
	if os.Getenv(realGoferEnv) != "" {
		goferMsg = readThroughGofer(*goferFD, "marker")
	} else {
		buf := make([]byte, 256)
		n, err := unix.Read(*goferFD, buf)
		if err != nil {
			return 5
		}
		goferMsg = buf[:n]
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM)
	ctl := controltest.Serve(*controllerFD, b.ID, sigs)
	defer ctl.Stop()
	var (
		plat *ptrace.Platform
		mf   *pgalloc.MemoryFile
	)
	if spec.Process.Args[0] == "stubs" {
		if mf, err = pgalloc.New("sandbox-test"); err != nil {
			fmt.Fprintln(os.Stderr, "boot:", err)
			return 7
		}
		defer mf.Release()
		if plat, err = ptrace.New(mf.FD()); err != nil {
			fmt.Fprintln(os.Stderr, "boot:", err)
			return 7
		}
		defer plat.Release()
	}
	if err := ConfineSentry(ptraceCapabilities()); !confined(err) {
		fmt.Fprintln(os.Stderr, "boot:", err)
		return 6
	}
	ents, err := os.ReadDir("/")
	if err != nil {
		fmt.Fprintln(os.Stderr, "boot: reading the new root:", err)
		return 8
	}
	werr := os.WriteFile("/x", nil, 0o644)
	ctl.Ready()
	<-ctl.Started
	fmt.Printf("pid=%d stdio=%s gofer=[%s] root-entries=%d root-writable=%t\n",
		os.Getpid(), *stdioFDs, goferMsg, len(ents), werr == nil)
	status := act(spec.Process.Args, *goferFD, plat, mf, sigs)
	ctl.Exited(*exitFD, status)
	return status
}

// act plays the container's init after Start, as args say.
func act(args []string, goferFD int, plat *ptrace.Platform, mf *pgalloc.MemoryFile, sigs <-chan os.Signal) int {
	out := os.Stdout
	switch args[0] {
	case "exit":
		code, _ := strconv.Atoi(args[1])
		return code
	case "wait-signal":
		fmt.Fprintln(out, "ready")
		s := <-sigs
		return 128 + int(s.(unix.Signal))
	case "gofer-ops":
		fmt.Fprintf(out, "gofer-ops: %s\n", goferOps(goferFD))
		return 0
	case "stubs":
		fmt.Fprintf(out, "stubs: %v\n", driveStubs(plat, mf))
		fmt.Fprintln(out, "ready")
		s := <-sigs
		// Release kills and reaps every stub: it hangs if the sentry
		// may not signal them.
		released := make(chan struct{})
		go func() { plat.Release(); close(released) }()
		select {
		case <-released:
			fmt.Fprintln(out, "released")
		case <-time.After(10 * time.Second):
			fmt.Fprintln(out, "release hung")
		}
		return 128 + int(s.(unix.Signal))
	}
	return 99
}

// driveStubs does, with the sandbox's privileges, what the sentry does with
// stubs: it forks one that stays idle and one that it seizes, runs a system
// call in, and interrupts in a busy loop. The seized stub stays seized by a
// goroutine that never returns.
func driveStubs(p *ptrace.Platform, mf *pgalloc.MemoryFile) error {
	if _, err := p.NewAddressSpace(); err != nil {
		return err
	}
	done := make(chan error)
	go func() {
		ctx, _ := p.NewContext() // locks this goroutine to its thread
		err := runStub(p, mf, ctx)
		done <- err
		select {} // stay the stub's tracer
	}()
	return <-done
}

func runStub(p *ptrace.Platform, mf *pgalloc.MemoryFile, ctx platform.Context) error {
	as, err := p.NewAddressSpace()
	if err != nil {
		return err
	}
	off, err := mf.Allocate(linux.PageSize)
	if err != nil {
		return err
	}
	copy(mf.Slice(off, linux.PageSize), []byte{0x0f, 0x05, 0xeb, 0xfe}) // syscall; jmp .
	if err := as.MapFile(0x400000, mf.FD(), off, linux.PageSize, platform.AnyAccess); err != nil {
		return err
	}
	st := arch.NewInitialState(0x400000, 0x500000)
	if ev, _, err := ctx.Switch(as, &st); err != nil || ev != platform.EventSyscall {
		return fmt.Errorf("first switch: event %v, err %v; want a system call", ev, err)
	}
	// Spinning now: only a SIGSTOP sent to the stub gets it out.
	go func() {
		time.Sleep(50 * time.Millisecond)
		ctx.Interrupt()
	}()
	if ev, _, err := ctx.Switch(as, &st); err != nil || ev != platform.EventInterrupted {
		return fmt.Errorf("second switch: event %v, err %v; want interrupted", ev, err)
	}
	return nil
}

// confined says whether a helper's ConfineGofer or ConfineSentry
// succeeded. In a test binary that links cgo (go test -race does),
// syscall.AllThreadsSyscall and with it the privilege drops are not
// available (runsc itself is built with CGO_ENABLED=0); that is good enough
// there, and TestPrivilegesDropped is skipped.
func confined(err error) bool {
	return err == nil || errors.Is(err, errNotAllThreads)
}

// allThreadsWork says whether this test binary can run
// syscall.AllThreadsSyscall (it cannot if it links cgo).
func allThreadsWork() bool {
	_, _, e := syscall.AllThreadsSyscall(syscall.SYS_GETPID, 0, 0, 0)
	return e != syscall.ENOTSUP
}

// realGoferEnv makes the helper gofer run the real fsgofer server and the
// helper boot read through it with the real client.
const realGoferEnv = "COCOON_SANDBOX_TEST_REAL_GOFER"

// readThroughGofer reads the file name at the root served on sockFD with
// the file protocol and returns its first line, or an error text.
func readThroughGofer(sockFD int, name string) []byte {
	c, err := client.New(sockFD)
	if err != nil {
		return []byte("client: " + err.Error())
	}
	root, _, _, err := c.Attach()
	if err != nil {
		return []byte("attach: " + err.Error())
	}
	res, err := c.Walk(root, []string{name})
	if err != nil {
		return []byte("walk: " + err.Error())
	}
	fd, err := c.Open(res[0].FID, unix.O_RDONLY)
	if err != nil {
		return []byte("open: " + err.Error())
	}
	defer unix.Close(fd)
	buf := make([]byte, 256)
	n, _ := unix.Read(fd, buf)
	line, _, _ := strings.Cut(string(buf[:max(n, 0)]), "\n")
	return []byte("read=" + line)
}

func requireRoot(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("needs root for namespaces and mounts")
	}
}

// startReporting starts the helper sandbox (see startHelperWith) with a
// pipe as its stdout and returns it, its root, and the pipe's read end,
// all cleaned up with the test.
func startReporting(t *testing.T, args []string, readOnly bool, setup func(root string)) (*Sandbox, string, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	s, root := startHelperWith(t, args, w, readOnly, setup)
	w.Close()
	t.Cleanup(func() { s.Destroy() })
	return s, root, r
}

// readUntilReady returns the sandbox's output lines up to and including
// "ready\n", and the reader to read the rest from.
func readUntilReady(t *testing.T, r io.Reader) ([]string, *bufio.Reader) {
	t.Helper()
	br := bufio.NewReader(r)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading sandbox output %q: %v", lines, err)
		}
		lines = append(lines, line)
		if line == "ready\n" {
			return lines, br
		}
	}
}

func startHelper(t *testing.T, args []string, stdout *os.File) (*Sandbox, string) {
	t.Helper()
	return startHelperWith(t, args, stdout, true /* readOnly */, nil)
}

// startHelperWith is startHelper with the gofer's read-only flag, and setup
// (if not nil) run on the served directory before anything starts.
func startHelperWith(t *testing.T, args []string, stdout *os.File, readOnly bool, setup func(root string)) (*Sandbox, string) {
	t.Helper()
	t.Setenv(helperEnv, "1")
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "marker"), []byte("served-root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(root)
	}
	conf := &config.Config{RootDir: t.TempDir(), Platform: "ptrace", Network: "none", Overlay2: "root:memory"}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Create(&Args{
		ID:       "test",
		Spec:     &specs.Spec{Process: &specs.Process{Args: args}},
		Conf:     conf,
		RootDir:  root,
		ReadOnly: readOnly,
		Stdio:    [3]*os.File{nil, stdout, nil},
		Exe:      exe,
		StateDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.StartContainer("test"); err != nil {
		s.Destroy()
		t.Fatalf("StartContainer: %v", err)
	}
	return s, root
}

// waitAndReap waits for the container's status over the control API, then
// for both processes to be gone.
func waitAndReap(s *Sandbox) (int, error) {
	status, err := s.WaitContainer("test")
	if err != nil {
		return status, err
	}
	return status, s.WaitGone()
}

func gone(pid int) bool {
	return unix.Kill(pid, 0) == unix.ESRCH
}

func TestStartWaitExitCode(t *testing.T) {
	requireRoot(t)
	// The container's stdout is a file that already holds a line, with the
	// offset after it: the sandbox must append, not overwrite.
	outPath := filepath.Join(t.TempDir(), "out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	out.WriteString("first\n")

	s, root := startHelper(t, []string{"exit", "7"}, out)
	status, err := waitAndReap(s)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if status != 7 {
		t.Errorf("status = %d, want 7", status)
	}
	if s.children.goferKilled {
		t.Error("gofer had to be killed; it should exit when its socket closes")
	}
	if !gone(s.Sandbox.PID) || !gone(s.Gofer.PID) {
		t.Errorf("processes left behind: sandbox %d gone=%t, gofer %d gone=%t", s.Sandbox.PID, gone(s.Sandbox.PID), s.Gofer.PID, gone(s.Gofer.PID))
	}
	data, _ := os.ReadFile(outPath)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "first" {
		t.Fatalf("stdout file = %q, want first line kept and one report line", data)
	}
	want := "pid=1 stdio=0,1,2 gofer=[marker=served-root write-refused=true] root-entries=0 root-writable=false"
	if lines[1] != want {
		t.Errorf("sandbox reported\n  %s\nwant\n  %s", lines[1], want)
	}
	if _, err := os.Stat(filepath.Join(root, "written")); err == nil {
		t.Error("read-only gofer root was written to")
	}
}

// TestRealGofer runs the real gofer server as the gofer process: the
// sandbox reads a file of the served directory through it, and the gofer
// exits by itself once the sandbox is gone and its socket closed.
func TestRealGofer(t *testing.T) {
	requireRoot(t)
	t.Setenv(realGoferEnv, "1")
	s, _, r := startReporting(t, []string{"exit", "0"}, true /* readOnly */, nil)
	out, _ := io.ReadAll(r)
	status, err := waitAndReap(s)
	if err != nil || status != 0 {
		t.Fatalf("Wait = %d, %v; output %q", status, err, out)
	}
	want := "pid=1 stdio=0,1,2 gofer=[read=served-root] root-entries=0 root-writable=false\n"
	if string(out) != want {
		t.Errorf("sandbox reported\n  %q\nwant\n  %q", out, want)
	}
	if s.children.goferKilled {
		t.Error("gofer had to be killed; it should exit when its socket closes")
	}
	if !gone(s.Gofer.PID) {
		t.Errorf("gofer %d left behind", s.Gofer.PID)
	}
}

// TestGoferSeccomp checks that the real gofer serves under its seccomp
// filter (fsgofer/filter), installed on every thread, and still exits by
// itself once the sandbox is gone.
func TestGoferSeccomp(t *testing.T) {
	requireRoot(t)
	t.Setenv(realGoferEnv, "1")
	s, _, r := startReporting(t, []string{"wait-signal"}, true /* readOnly */, nil)
	lines, _ := readUntilReady(t, r)
	lines = lines[:len(lines)-1]
	if len(lines) != 1 || !strings.Contains(lines[0], "gofer=[read=served-root]") {
		t.Errorf("sandbox reported %q, want a read through the gofer", lines)
	}
	// Every thread of the gofer is in seccomp filter mode (2).
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", s.Gofer.PID))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", s.Gofer.PID, task.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(status), "\nSeccomp:\t2\n") {
			t.Errorf("gofer thread %s is not in seccomp filter mode:\n%s", task.Name(), status)
		}
	}
	if err := s.SignalContainer("test", int(unix.SIGTERM), false); err != nil {
		t.Fatal(err)
	}
	if status, err := waitAndReap(s); err != nil || status != 128+int(unix.SIGTERM) {
		t.Fatalf("Wait = %d, %v; want %d", status, err, 128+int(unix.SIGTERM))
	}
	if s.children.goferKilled {
		t.Error("gofer had to be killed; it should exit when its socket closes")
	}
	if !gone(s.Gofer.PID) {
		t.Errorf("gofer %d left behind", s.Gofer.PID)
	}
}

func TestSignalForwardedAndRootEmpty(t *testing.T) {
	requireRoot(t)
	s, _, r := startReporting(t, []string{"wait-signal"}, true /* readOnly */, nil)
	readUntilReady(t, r)
	// Seen from the host, the sandbox's root is the empty tmpfs.
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/root", s.Sandbox.PID))
	if err != nil {
		t.Fatalf("reading sandbox root: %v", err)
	}
	if len(ents) != 0 {
		t.Errorf("/proc/%d/root has %d entries, want none", s.Sandbox.PID, len(ents))
	}
	if err := s.SignalContainer("test", int(unix.SIGTERM), false); err != nil {
		t.Fatal(err)
	}
	status, err := waitAndReap(s)
	if err != nil {
		t.Fatal(err)
	}
	if status != 128+int(unix.SIGTERM) {
		t.Errorf("status = %d, want %d", status, 128+int(unix.SIGTERM))
	}
}

func TestDestroyReapsEverything(t *testing.T) {
	requireRoot(t)
	s, _ := startHelper(t, []string{"wait-signal"}, nil)
	time.Sleep(50 * time.Millisecond)
	s.Destroy()
	if !gone(s.Sandbox.PID) || !gone(s.Gofer.PID) {
		t.Errorf("Destroy left processes: sandbox gone=%t gofer gone=%t", gone(s.Sandbox.PID), gone(s.Gofer.PID))
	}
	s.Destroy() // idempotent
}

func TestStartFailureLeavesNothing(t *testing.T) {
	requireRoot(t)
	before := countChildren(t)
	_, err := Create(&Args{
		ID:       "bad",
		StateDir: t.TempDir(),
		Spec:     &specs.Spec{Process: &specs.Process{Args: []string{"x"}}},
		Conf:     &config.Config{Network: "none"},
		RootDir:  t.TempDir(),
		Exe:      filepath.Join(t.TempDir(), "no-such-binary"),
	})
	if err == nil || !strings.Contains(err.Error(), "starting gofer") {
		t.Fatalf("Start with a missing binary = %v, want a gofer start error", err)
	}
	if after := countChildren(t); after != before {
		t.Errorf("children before %d, after %d", before, after)
	}
}

// countChildren counts this process's live children.
func countChildren(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/children", os.Getpid()))
	if err != nil {
		t.Skipf("no children file: %v", err)
	}
	return len(strings.Fields(string(data)))
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		ws   unix.WaitStatus
		want int
	}{
		{"exit 0", 0, 0},
		{"exit 7", 7 << 8, 7},
		{"exit 255", 255 << 8, 255},
		{"SIGSEGV", unix.WaitStatus(unix.SIGSEGV), 139},
		{"SIGKILL", unix.WaitStatus(unix.SIGKILL), 137},
		{"SIGSEGV core", unix.WaitStatus(unix.SIGSEGV) | 0x80, 139},
	} {
		if got := ExitStatus(tc.ws); got != tc.want {
			t.Errorf("%s: ExitStatus(%#x) = %d, want %d", tc.name, uint32(tc.ws), got, tc.want)
		}
	}
}

// ptraceCapabilities are what the ptrace platform asks the sandbox to keep.
func ptraceCapabilities() []uintptr {
	c, err := platform.Lookup("ptrace")
	if err != nil {
		panic(err)
	}
	return c.Requirements().Capabilities
}
