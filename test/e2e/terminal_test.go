package e2e

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
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

	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(lines)
	}()
	var seen []string
	expect := func(want string) {
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
