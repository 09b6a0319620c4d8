package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExec runs processes in a running container as runc's exec does:
// the container's env, cwd and user unless the flags say otherwise, the
// exit status passed through, a missing binary refused, and --detach
// --pid-file leaving a host process that exits with the process's status.
func TestExec(t *testing.T) {
	c := newContainer(t, "/bin/sh", "-c", "echo started; sleep 1000")
	c.must("run", "--detach", c.id)
	c.awaitOutput("started")

	r := c.query("exec", c.id, "/bin/sh", "-c", `echo "$PATH" "$(id -u):$(id -g)" "$(pwd)"; exit 5`)
	if r.ExitCode != 5 || r.Stdout != "/bin:/usr/bin:/sbin:/usr/sbin 0:0 /\n" {
		t.Errorf("exec: %v; want exit 5 and the container's env, user and cwd", r)
	}
	r = c.query("exec", "--env", "FOO=bar", "--cwd", "/tmp", "--user", "1000:100", c.id, "/bin/sh", "-c", `echo "$FOO" "$(id -u):$(id -g)" "$(pwd)"`)
	if r.ExitCode != 0 || r.Stdout != "bar 1000:100 /tmp\n" {
		t.Errorf("exec with flags: %v", r)
	}
	oneLineError(t, c.query("exec", c.id, "/nonexistent/cocoon"))

	pidFile := filepath.Join(t.TempDir(), "pid")
	r = c.query("exec", "--detach", "--pid-file", pidFile, c.id, "/bin/sh", "-c", "sleep 0.2; exit 7")
	if r.ExitCode != 0 {
		t.Fatalf("exec --detach: %v", r)
	}
	data, _ := os.ReadFile(pidFile)
	waiter, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || waiter <= 1 {
		t.Fatalf("pid file %q", data)
	}
	// The waiter is an orphan now, and this test binary the subreaper
	// that gets it, as a shim is.
	var ws syscall.WaitStatus
	deadline := time.Now().Add(cmdTimeout)
	for {
		got, err := syscall.Wait4(waiter, &ws, syscall.WNOHANG, nil)
		if err != nil {
			t.Fatalf("wait4(%d): %v", waiter, err)
		}
		if got == waiter {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exec waiter %d never exited", waiter)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("exec waiter ended with %v, want exit 7 as the process", ws)
	}
	c.must("kill", c.id, "KILL")
	c.wait()
	oneLineError(t, c.query("exec", c.id, "/bin/true"))
	c.must("delete", c.id)
	c.deleted()
}
