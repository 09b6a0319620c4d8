package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestDoSameAsNative runs commands natively and under `runsc do` and
// requires the same exit code and stdout.
func TestDoSameAsNative(t *testing.T) {
	needSetup(t)
	for _, tc := range []struct {
		name string
		args func() []string
		want string // expected stdout, if fixed
	}{
		{
			name: "busybox",
			args: func() []string {
				return []string{"/bin/busybox", "sh", "-c", "echo hello; ls /; cat /etc/os-release | head -1; echo a | tr a b"}
			},
		},
		{
			name: "dash-pipe-sort",
			args: func() []string {
				return []string{"/bin/sh", "-c", "for i in 1 2 3; do /bin/echo $i; done | /usr/bin/sort -r"}
			},
			want: "3\n2\n1\n",
		},
		{
			name: "forkpipe",
			args: func() []string { return []string{progs["forkpipe"]} },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args()
			native := run(t, testutil.Cmd{Args: args})
			wantExit(t, native, 0)
			if tc.want != "" && native.Stdout != tc.want {
				t.Fatalf("native stdout %q, want %q", native.Stdout, tc.want)
			}
			r := runRunsc(t, append([]string{"do"}, args...)...)
			wantExit(t, r, 0)
			if r.Stdout != native.Stdout {
				t.Errorf("stdout differs\n--- native ---\n%s--- runsc ---\n%s--- runsc stderr ---\n%s", native.Stdout, r.Stdout, r.Stderr)
			}
		})
	}
}

// TestDoExitCodes checks that runsc exits as the sandboxed program did,
// with 128+signal for a program killed by a signal.
func TestDoExitCodes(t *testing.T) {
	needSetup(t)
	t.Run("exit-7", func(t *testing.T) {
		wantExit(t, runRunsc(t, "do", "sh", "-c", "exit 7"), 7)
	})
	t.Run("exit-0", func(t *testing.T) {
		wantExit(t, runRunsc(t, "do", "/bin/true"), 0)
	})
	t.Run("exit-1", func(t *testing.T) {
		wantExit(t, runRunsc(t, "do", "/bin/false"), 1)
	})
	t.Run("sigsegv-139", func(t *testing.T) {
		native := run(t, testutil.Cmd{Args: []string{progs["segv"]}})
		wantExit(t, native, 139)
		r := runRunsc(t, "do", progs["segv"])
		wantExit(t, r, 139)
		if r.Stdout != "about to crash\n" {
			t.Errorf("stdout %q, want %q", r.Stdout, "about to crash\n")
		}
	})
}

// TestDoStdioOffsets checks that the sandbox reads and writes its host
// stdio FDs at their current offsets.
func TestDoStdioOffsets(t *testing.T) {
	needSetup(t)
	t.Run("stdout-appends", func(t *testing.T) {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		script := fmt.Sprintf("{ echo first; %s do /bin/echo second; } > %s", shquote(runsc), shquote(f))
		r := run(t, testutil.Cmd{Args: []string{"/bin/sh", "-c", script}})
		wantExit(t, r, 0)
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "first\nsecond\n" {
			t.Errorf("file holds %q, want %q", got, "first\nsecond\n")
		}
	})
	t.Run("stderr-appends", func(t *testing.T) {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		script := fmt.Sprintf("{ echo first; %s do /bin/sh -c 'echo second >&2; echo third'; echo fourth; } > %s 2>&1", shquote(runsc), shquote(f))
		r := run(t, testutil.Cmd{Args: []string{"/bin/sh", "-c", script}})
		wantExit(t, r, 0)
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "first\nsecond\nthird\nfourth\n" {
			t.Errorf("file holds %q, want %q", got, "first\nsecond\nthird\nfourth\n")
		}
	})
	t.Run("stdin-offset", func(t *testing.T) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in")
		if err := os.WriteFile(in, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// dash's read consumes exactly one line from a regular file.
		script := fmt.Sprintf("{ read a; %s do /bin/sh -c 'read b; echo sandbox read $b'; read c; echo host read $a $c; } < %s", shquote(runsc), shquote(in))
		r := run(t, testutil.Cmd{Args: []string{"/bin/sh", "-c", script}})
		wantExit(t, r, 0)
		if want := "sandbox read two\nhost read one three\n"; r.Stdout != want {
			t.Errorf("stdout %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
		}
	})
}

// TestDoOverlay checks that writes under `runsc do` go to the in-memory
// overlay: the sandbox sees them, the host file system does not.
func TestDoOverlay(t *testing.T) {
	needSetup(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	doomed := filepath.Join(dir, "doomed")
	created := filepath.Join(dir, "created")
	for _, f := range []string{existing, doomed} {
		if err := os.WriteFile(f, []byte("original\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := fmt.Sprintf("echo changed > %[1]s && echo new > %[2]s && rm %[3]s && cat %[1]s %[2]s && ls %[4]s",
		shquote(existing), shquote(created), shquote(doomed), shquote(dir))
	r := runRunsc(t, "do", "/bin/sh", "-c", script)
	wantExit(t, r, 0)
	if want := "changed\nnew\ncreated\nexisting\n"; r.Stdout != want {
		t.Errorf("sandbox saw %q, want %q", r.Stdout, want)
	}
	if b, err := os.ReadFile(existing); err != nil || string(b) != "original\n" {
		t.Errorf("host file %s changed: %q, %v", existing, b, err)
	}
	if b, err := os.ReadFile(doomed); err != nil || string(b) != "original\n" {
		t.Errorf("host file %s removed or changed: %q, %v", doomed, b, err)
	}
	if _, err := os.Stat(created); !os.IsNotExist(err) {
		t.Errorf("file created in the sandbox appeared on the host: %s (%v)", created, err)
	}
}

// shquote quotes s for sh.
func shquote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// TestDoKernelIdentity checks that the sandbox reports the sentry's own
// kernel release, not the host's, and that its /proc shows no tracer.
func TestDoKernelIdentity(t *testing.T) {
	needSetup(t)
	host, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	r := runRunsc(t, "do", "/bin/busybox", "sh", "-c", "uname -s; uname -r; grep TracerPid /proc/self/status")
	wantExit(t, r, 0)
	lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("unexpected output %q (stderr %q)", r.Stdout, r.Stderr)
	}
	if lines[0] != "Linux" {
		t.Errorf("uname -s = %q, want Linux", lines[0])
	}
	if rel := strings.TrimSpace(string(host)); lines[1] == rel || lines[1] == "" {
		t.Errorf("uname -r = %q in the sandbox; want the sentry's own release, not the host's %q", lines[1], rel)
	}
	if f := strings.Fields(lines[2]); len(f) != 2 || f[0] != "TracerPid:" || f[1] != "0" {
		t.Errorf("sandbox /proc/self/status: %q, want TracerPid 0", lines[2])
	}
}

// TestDoSweepsAbandoned kills a `runsc do` with SIGKILL, which leaves its
// state behind, and checks that the next `do` removes it once it is old
// enough (a do that is just starting is never swept).
func TestDoSweepsAbandoned(t *testing.T) {
	needSetup(t)
	root := t.TempDir()
	cmd := exec.Command(runsc, "--root", root, "do", "/bin/sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Sandbox struct {
			Sandbox struct {
				PID int `json:"pid"`
			} `json:"sandbox"`
			Gofer struct {
				PID int `json:"pid"`
			} `json:"gofer"`
		} `json:"sandbox"`
	}
	var dirs []string
	for deadline := time.Now().Add(cmdTimeout); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("do never recorded its sandbox")
		}
		if dirs, _ = filepath.Glob(filepath.Join(root, "runsc-*", "state.json")); len(dirs) == 0 {
			continue
		}
		if data, err := os.ReadFile(dirs[0]); err == nil && json.Unmarshal(data, &st) == nil &&
			st.Sandbox.Sandbox.PID > 0 && st.Sandbox.Gofer.PID > 0 {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	dir := filepath.Dir(dirs[0])
	// The sandbox and gofer die with their do (PDEATHSIG) and become
	// this test's orphans (it is a subreaper): reap them, as init would,
	// until neither is left, zombies included.
	for deadline := time.Now().Add(cmdTimeout); ; time.Sleep(20 * time.Millisecond) {
		testutil.ReapOrphans()
		_, errS := os.Stat(fmt.Sprintf("/proc/%d", st.Sandbox.Sandbox.PID))
		_, errG := os.Stat(fmt.Sprintf("/proc/%d", st.Sandbox.Gofer.PID))
		if os.IsNotExist(errS) && os.IsNotExist(errG) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed do's sandbox and gofer did not go")
		}
	}
	// Young state stays (its do might still be starting)...
	runRunsc(t, "--root", root, "do", "/bin/true")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a fresh abandoned state was swept: %v", err)
	}
	// ...old state of a dead sandbox goes.
	old := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	runRunsc(t, "--root", root, "do", "/bin/true")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("abandoned state %s still there (%v)", dir, err)
	}
	noFilesUnder(t, root)
}
