// Package gofertest is the conformance suite of the Cocoon file protocol:
// Run drives any gofer server implementation over an in-process socketpair
// against temporary directories, through fsgofer/client and with raw
// (malformed) packets. Every server passes it (STYLE.md: one conformance
// suite per interface).
//
// Locking: each test owns its connection; the suite shares no state.
package gofertest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// ServeFunc is the server under test; it has server.Serve's contract.
type ServeFunc func(sockFD int, rootDir string, readOnly bool) error

// Conn is one client connection to a server under test.
type Conn struct {
	C    *client.Client
	Root proto.FID
	// Raw is the client's socket, for sending hand-made packets.
	Raw  int
	done chan error
}

// Start serves dir on a fresh socketpair and attaches a client. The
// connection is closed, and Serve's nil result checked, at cleanup.
func Start(t *testing.T, serve ServeFunc, dir string, readOnly bool) *Conn {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		err := serve(fds[0], dir, readOnly)
		unix.Close(fds[0])
		done <- err
	}()
	c, err := client.New(fds[1])
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	conn := &Conn{C: c, Raw: fds[1], done: done}
	t.Cleanup(func() { conn.Shutdown(t) })
	root, _, flags, err := c.Attach()
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if got := flags&proto.AttachReadOnly != 0; got != readOnly {
		t.Errorf("Attach read-only flag = %v, want %v", got, readOnly)
	}
	conn.Root = root
	return conn
}

// Shutdown closes the client and waits for Serve to return nil. It may be
// called more than once.
func (c *Conn) Shutdown(t *testing.T) {
	t.Helper()
	if c.done == nil {
		return
	}
	c.C.Close()
	select {
	case err := <-c.done:
		if err != nil {
			t.Errorf("Serve returned %v after the peer closed, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("Serve did not return after the peer closed")
	}
	c.done = nil
}

// Walk walks names from the root and fails the test on any error.
func (c *Conn) Walk(t *testing.T, names ...string) []client.WalkResult {
	t.Helper()
	res, err := c.C.Walk(c.Root, names)
	if err != nil {
		t.Fatalf("Walk(%q): %v", names, err)
	}
	return res
}

// Last walks names from the root and returns the last FID.
func (c *Conn) Last(t *testing.T, names ...string) proto.FID {
	t.Helper()
	res := c.Walk(t, names...)
	return res[len(res)-1].FID
}

// RawCall sends msg (with fd as SCM_RIGHTS if >= 0) on the raw socket and
// returns the response's op and errno (0 if not an error response). No
// other call may be in flight on the connection.
func (c *Conn) RawCall(t *testing.T, msg []byte, fd int) (proto.Op, unix.Errno) {
	t.Helper()
	if err := proto.Send(c.Raw, msg, fd); err != nil {
		t.Fatalf("raw send: %v", err)
	}
	buf := make([]byte, proto.MaxMessageSize)
	n, fds, err := proto.Recv(c.Raw, buf, make([]byte, proto.OOBSize))
	if err != nil || n == 0 {
		t.Fatalf("raw receive: n=%d err=%v", n, err)
	}
	proto.CloseAll(fds)
	d := proto.NewDecoder(buf[:n])
	op, _ := d.Header()
	if op == proto.OpError {
		return op, unix.Errno(d.U32())
	}
	return op, 0
}

// Tree creates files under dir: a name ending in "/" is a directory, "x ->
// y" a symlink, anything else a file holding its own name.
func Tree(t *testing.T, dir string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		var err error
		switch {
		case containsArrow(e):
			i := indexArrow(e)
			err = os.Symlink(e[i+4:], filepath.Join(dir, e[:i]))
		case e[len(e)-1] == '/':
			err = os.MkdirAll(filepath.Join(dir, e), 0o755)
		default:
			p := filepath.Join(dir, e)
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, []byte(filepath.Base(e)), 0o644)
			}
		}
		if err != nil {
			t.Fatalf("making %q: %v", e, err)
		}
	}
}

func containsArrow(s string) bool { return indexArrow(s) >= 0 }

func indexArrow(s string) int {
	for i := 0; i+4 <= len(s); i++ {
		if s[i:i+4] == " -> " {
			return i
		}
	}
	return -1
}

// CountFDs returns the number of open FDs of this process.
func CountFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("reading /proc/self/fd: %v", err)
	}
	return len(ents) - 1 // the directory's own FD
}

// ReadFD preads up to 4096 bytes at offset 0 of fd and closes it.
func ReadFD(t *testing.T, fd int) string {
	t.Helper()
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := unix.Pread(fd, buf, 0)
	if err != nil {
		t.Fatalf("pread of donated FD: %v", err)
	}
	return string(buf[:n])
}
