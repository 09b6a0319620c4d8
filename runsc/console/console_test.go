package console

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestPtyOverConsoleSocket makes a pty, sets its size, sends the master
// over a console socket as runc does, and checks that the received master
// talks to the replica.
func TestPtyOverConsoleSocket(t *testing.T) {
	master, replica, err := NewPty()
	if err != nil {
		t.Skipf("no ptys here: %v", err)
	}
	defer master.Close()
	defer replica.Close()
	if err := SetSize(master, &specs.Box{Height: 40, Width: 120}); err != nil {
		t.Fatal(err)
	}
	if ws, err := unix.IoctlGetWinsize(int(replica.Fd()), unix.TIOCGWINSZ); err != nil || ws.Row != 40 || ws.Col != 120 {
		t.Errorf("replica window size %+v, %v; want 40x120", ws, err)
	}
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *os.File, 1)
	go func() {
		conn, err := l.AcceptUnix()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 64), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			got <- nil
			return
		}
		fds, _ := unix.ParseUnixRights(&msgs[0])
		got <- os.NewFile(uintptr(fds[0]), "received")
	}()
	if err := SendMaster(path, master); err != nil {
		t.Fatal(err)
	}
	recv := <-got
	if recv == nil {
		t.Fatal("no FD received")
	}
	defer recv.Close()
	// Raw mode, so that the line discipline passes bytes as they are.
	tio, err := unix.IoctlGetTermios(int(replica.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag &^= unix.ICANON | unix.ECHO
	if err := unix.IoctlSetTermios(int(replica.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	if _, err := recv.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if n, err := replica.Read(buf); err != nil || string(buf[:n]) != "hi" {
		t.Errorf("replica read %q, %v; want what the received master wrote", buf[:n], err)
	}
	if err := SendMaster(filepath.Join(t.TempDir(), "none.sock"), master); err == nil {
		t.Error("sending to a missing console socket succeeded")
	}
}
