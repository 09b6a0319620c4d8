package e2e

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// receiveConsole accepts one connection on the console socket at path and
// returns the pty master sent over it, as containerd's console code does.
func receiveConsole(t *testing.T, path string) <-chan *os.File {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *os.File, 1)
	go func() {
		defer l.Close()
		l.SetDeadline(time.Now().Add(cmdTimeout))
		conn, err := l.AcceptUnix()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || perr != nil || len(msgs) != 1 {
			got <- nil
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			got <- nil
			return
		}
		got <- os.NewFile(uintptr(fds[0]), "pty-master")
	}()
	return got
}

// terminalReader reads the lines a pty master shows and returns a function
// that waits (20 s at most) for a line ending in want.
func terminalReader(t *testing.T, master *os.File) func(want string) {
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(lines)
	}()
	var seen []string
	return func(want string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("terminal closed before %q; it showed %q", want, seen)
				}
				seen = append(seen, l)
				if strings.HasSuffix(l, want) { // after the echoed ^C, say
					return
				}
			case <-timeout:
				t.Fatalf("terminal never showed %q; it showed %q", want, seen)
			}
		}
	}
}

// TestExecTerminal execs a shell with a terminal into a running
// container, detached with a pid file and a console socket as
// containerd's shim does: ^C reaches the foreground group of the exec's
// terminal, a resize raises SIGWINCH there, and the pid file's process
// (the waiter) exits with the exec's status.
func TestExecTerminal(t *testing.T) {
	c := newContainer(t, "/bin/sleep", "1000")
	c.must("run", "--detach", c.id)
	sock := filepath.Join(t.TempDir(), "console.sock")
	masterCh := receiveConsole(t, sock)
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	script := `trap 'echo got-INT' INT; trap 'echo got-WINCH; stty size' WINCH; echo ready
		fails=0
		while [ $fails -lt 5 ]; do read line || fails=$((fails+1)); [ "$line" = quit ] && exit 6; done
		exit 9`
	c.must("exec", "--tty", "--detach", "--console-socket", sock, "--pid-file", pidFile, c.id, "/bin/sh", "-c", script)
	master := <-masterCh
	if master == nil {
		t.Fatal("no pty master came over the console socket")
	}
	defer master.Close()
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	waiter, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file %q: %v", data, err)
	}
	expect := terminalReader(t, master)
	expect("ready")
	master.Write([]byte{0x03}) // ^C
	expect("got-INT")
	if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 90}); err != nil {
		t.Fatal(err)
	}
	expect("got-WINCH")
	expect("40 90")
	master.Write([]byte("quit\n"))
	// The waiter is not our child (it may become a zombie of this test,
	// the subreaper): poll for it to end.
	for deadline := time.Now().Add(cmdTimeout); waiterAlive(waiter); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("exec waiter %d still there", waiter)
		}
	}
	c.must("delete", "--force", c.id)
	c.deleted()
}

// waiterAlive says whether process pid runs (not gone, not a zombie).
func waiterAlive(pid int) bool {
	st, err := testutil.ReadStatus(pid)
	return err == nil && !strings.HasPrefix(st["State"], "Z")
}

// TestConsoleSocket creates a container with process.terminal and a
// console socket: the master arrives with the spec's size, the container
// sees a terminal on its stdio, ^C reaches its foreground process group
// (and interrupts the shell's read, as on Linux; the script gives up after
// five failed reads, so that a closed terminal ends it),
// a resize raises SIGWINCH, and the exit status is the container's.
func TestConsoleSocket(t *testing.T) {
	needSetup(t)
	bundle := t.TempDir()
	script := `trap 'echo got-INT' INT; trap 'echo got-WINCH; stty size' WINCH
		[ -t 0 ] && [ -t 1 ] && echo is-a-tty; tty; echo pts: $(ls /dev/pts); stty size; echo ready
		fails=0
		while [ $fails -lt 5 ]; do read line || fails=$((fails+1)); [ "$line" = quit ] && exit 4; done
		exit 9`
	if err := testutil.MakeBusyboxBundle(bundle, testutil.BundleOptions{Args: []string{"/bin/sh", "-c", script}}); err != nil {
		t.Fatal(err)
	}
	spec, err := testutil.ReadSpec(bundle)
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.Terminal = true
	spec.Process.ConsoleSize = &specs.Box{Height: 30, Width: 100}
	// As Docker's and runc's specs mount it.
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
		Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}})
	if err := testutil.WriteSpec(bundle, spec); err != nil {
		t.Fatal(err)
	}
	c := &container{t: t, id: "c1", root: t.TempDir(), bundle: bundle}
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	c.out = out
	sock := filepath.Join(t.TempDir(), "console.sock")
	masterCh := receiveConsole(t, sock)
	c.cleanupOnFailure()
	c.must("create", "--console-socket", sock, c.id)
	master := <-masterCh
	if master == nil {
		t.Fatal("no pty master came over the console socket")
	}
	defer master.Close()
	c.must("start", c.id)

	expect := terminalReader(t, master)
	expect("is-a-tty")
	expect("/dev/pts/0") // as runc's devpts instance numbers it
	expect("pts: 0 ptmx")
	expect("30 100")
	expect("ready")
	master.Write([]byte{0x03}) // ^C
	expect("got-INT")
	if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 132}); err != nil {
		t.Fatal(err)
	}
	expect("got-WINCH")
	expect("50 132")
	master.Write([]byte("quit\n"))
	if status := c.wait(); status != 4 {
		t.Errorf("runsc wait: status %d, want 4", status)
	}
	c.must("delete", c.id)
	c.deleted()
}

// TestTerminalNeedsConsoleSocket checks runc's rule: a container with a
// terminal that runsc does not wait for needs a console socket.
func TestTerminalNeedsConsoleSocket(t *testing.T) {
	c := newContainer(t, "/bin/true")
	spec, err := testutil.ReadSpec(c.bundle)
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.Terminal = true
	if err := testutil.WriteSpec(c.bundle, spec); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, c.query("create", "--bundle", c.bundle, c.id))
	if ents, _ := os.ReadDir(c.root); len(ents) != 0 {
		t.Errorf("a refused create left %d entries under --root", len(ents))
	}
}
