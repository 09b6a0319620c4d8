package testutil

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		code   int
		sig    syscall.Signal
	}{
		{"zero", "echo out; echo err >&2", 0, 0},
		{"seven", "exit 7", 7, 0},
		{"segv", "kill -SEGV $$", 139, syscall.SIGSEGV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(Cmd{Args: []string{"/bin/sh", "-c", tc.script}})
			if r.Err != nil || r.ExitCode != tc.code || r.Signal != tc.sig {
				t.Fatalf("got %v, want exit %d signal %v", r, tc.code, tc.sig)
			}
			if tc.code == 0 && (r.Stdout != "out\n" || r.Stderr != "err\n") {
				t.Fatalf("output %v", r)
			}
		})
	}
}

func TestRunTimeoutKillsGroup(t *testing.T) {
	var pid int
	r := Run(Cmd{
		Args:    []string{"/bin/sh", "-c", "sleep 30 & sleep 30; wait"},
		Timeout: 300 * time.Millisecond,
		Started: func(p int) { pid = p },
	})
	if !r.TimedOut || r.ExitCode == 0 {
		t.Fatalf("want a timeout, got %v", r)
	}
	// The background sleep was in the group and must be gone too.
	time.Sleep(100 * time.Millisecond)
	procs, err := Procs()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		st, err := ReadStatus(p.PID)
		if err != nil || st["State"] != "" && st["State"][0] == 'Z' {
			continue // gone, or dead and waiting for init to reap it
		}
		if pgid, _ := syscall.Getpgid(p.PID); pgid == pid {
			t.Errorf("process of the timed-out group still running: %v", p)
		}
	}
}

func TestRelatedAndDescendants(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	cp := filepath.Join(t.TempDir(), "unique-sleep")
	if err := CopyFile(sleep, cp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", cp+" 30; true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()

	var found *Proc
	for deadline := time.Now().Add(5 * time.Second); found == nil && time.Now().Before(deadline); {
		rel, err := Related(cp)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rel {
			if p.Exe == cp {
				found = p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if found == nil {
		t.Fatal("Related did not find the copied binary's process")
	}
	if found.PPID != cmd.Process.Pid {
		t.Errorf("PPID %d, want %d", found.PPID, cmd.Process.Pid)
	}
	procs, err := Procs()
	if err != nil {
		t.Fatal(err)
	}
	desc := Descendants(procs, os.Getpid())
	var pids []int
	for _, p := range desc {
		pids = append(pids, p.PID)
	}
	if len(desc) != 2 || (desc[0].PID != cmd.Process.Pid && desc[1].PID != cmd.Process.Pid) {
		t.Errorf("descendants of the test: %v, want the shell and the sleep", pids)
	}
	syscall.Kill(found.PID, syscall.SIGKILL)
}

func TestSubreaperCollectsOrphans(t *testing.T) {
	// A separate process, so that the test binary stays an ordinary parent.
	if os.Getenv("TESTUTIL_SUBREAPER_CHILD") == "1" {
		if err := BecomeSubreaper(); err != nil {
			t.Fatal(err)
		}
		// The shell exits at once; its background child is orphaned,
		// comes to us, exits and must be reaped by ReapOrphans.
		if err := exec.Command("/bin/sh", "-c", "(sleep 0.2; exit 0) &").Run(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			reaped, err := ReapOrphans()
			if err != nil {
				t.Fatal(err)
			}
			if len(reaped) > 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("no orphan was reparented to the subreaper and reaped")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSubreaperCollectsOrphans$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TESTUTIL_SUBREAPER_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child test: %v\n%s", err, out)
	}
}

func TestMakeBusyboxBundle(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skip("busybox-static is not installed (make deps)")
	}
	dir := t.TempDir()
	if err := MakeBusyboxBundle(dir, BundleOptions{Args: []string{"/bin/sh", "-c", "true"}, Hostname: "h"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Root.Path != "rootfs" || spec.Process.Cwd != "/" || spec.Hostname != "h" || len(spec.Mounts) != 3 {
		t.Errorf("unexpected spec: %s", b)
	}
	// The applets work through their symlinks.
	out, err := exec.Command(filepath.Join(dir, "rootfs", "bin", "echo"), "hi").Output()
	if err != nil || string(out) != "hi\n" {
		t.Errorf("rootfs/bin/echo: %q, %v", out, err)
	}
	for _, f := range []string{"etc/passwd", "etc/group", "bin/busybox", "bin/sh", "proc", "dev", "tmp"} {
		if _, err := os.Lstat(filepath.Join(dir, "rootfs", f)); err != nil {
			t.Errorf("rootfs: %v", err)
		}
	}
}

func TestRunscPathHonoursEnv(t *testing.T) {
	// RunscPath caches, so check the lookup itself.
	t.Setenv("RUNSC", "/bin/true")
	p, err := findOrBuildRunsc()
	if err != nil || p != "/bin/true" {
		t.Fatalf("got %q, %v", p, err)
	}
	t.Setenv("RUNSC", "/nonexistent/runsc")
	if _, err := findOrBuildRunsc(); err == nil {
		t.Fatal("want an error for a missing $RUNSC")
	}
}
