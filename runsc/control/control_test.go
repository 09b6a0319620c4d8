package control

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// startServer serves methods on a socket in a fresh directory (dir, if
// given, instead) and returns its path.
func startServer(t *testing.T, dir string, methods map[string]HandlerFunc) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "control.sock")
	fd, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(fd, methods)
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		unix.Close(fd)
	})
	return path
}

func dialT(t *testing.T, path string) *Client {
	t.Helper()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func echoMethods() map[string]HandlerFunc {
	return map[string]HandlerFunc{
		MethodWait: func(args json.RawMessage, fds []int) (any, error) {
			var a ContainerArgs
			if err := DecodeArgs(args, &a); err != nil {
				return nil, err
			}
			if a.ID != "c1" {
				return nil, Errorf(CodeNotFound, "no container %q", a.ID)
			}
			return &WaitResult{Status: 3, WaitStatus: 3 << 8}, nil
		},
		MethodStart: func(args json.RawMessage, fds []int) (any, error) {
			return nil, errors.New("plain failure")
		},
		"CountFDs": func(args json.RawMessage, fds []int) (any, error) {
			n := len(fds)
			closeAll(fds)
			return n, nil
		},
	}
}

func TestCallResultsAndErrors(t *testing.T) {
	c := dialT(t, startServer(t, "", echoMethods()))
	r, err := c.Wait("c1")
	if err != nil || r.Status != 3 || r.WaitStatus != 3<<8 {
		t.Errorf("Wait(c1) = %+v, %v", r, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		code Code
	}{
		{"not-found", func() error { _, err := c.Wait("nope"); return err }, CodeNotFound},
		{"plain error is internal", func() error { return c.Start("c1") }, CodeInternal},
		{"unknown method", func() error { return c.Call("NoSuchMethod", nil, nil) }, CodeUnknown},
		{"missing args", func() error { return c.Call(MethodWait, nil, nil) }, CodeMalformed},
		{"bad args", func() error { return c.Call(MethodWait, []int{1}, nil) }, CodeMalformed},
	} {
		err := tc.call()
		if !IsCode(err, tc.code) {
			t.Errorf("%s: err = %v, want code %s", tc.name, err, tc.code)
		}
		if errors.Is(err, ErrConnection) {
			t.Errorf("%s: a server error broke the connection: %v", tc.name, err)
		}
	}
	// The connection still works after the errors.
	if _, err := c.Wait("c1"); err != nil {
		t.Errorf("Wait after errors: %v", err)
	}
}

func TestFDsPassed(t *testing.T) {
	c := dialT(t, startServer(t, "", echoMethods()))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var n int
	if err := c.Call("CountFDs", nil, &n, int(r.Fd()), int(w.Fd())); err != nil || n != 2 {
		t.Errorf("CountFDs = %d, %v; want 2", n, err)
	}
	// The caller keeps its copies.
	if _, err := unix.FcntlInt(r.Fd(), unix.F_GETFD, 0); err != nil {
		t.Errorf("caller's FD closed: %v", err)
	}
}

// TestMalformedPackets sends what a confused or hostile client might: the
// server answers each with an error and keeps serving.
func TestMalformedPackets(t *testing.T) {
	path := startServer(t, "", echoMethods())
	fd, err := dial(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	c := newConn(fd)
	for _, msg := range [][]byte{
		[]byte("not json"),
		[]byte(`{"method": 7}`),
		[]byte(`{"method":"Wait","args":"x"}`),
		make([]byte, MaxMessageSize+100), // truncated by the kernel
	} {
		if err := unix.Sendmsg(fd, msg, nil, nil, 0); err != nil {
			t.Fatalf("sendmsg: %v", err)
		}
		data, _, err := c.recv()
		if err != nil {
			t.Fatalf("no answer to %.20q: %v", msg, err)
		}
		var resp Response
		if err := json.Unmarshal(data, &resp); err != nil || resp.Code != CodeMalformed {
			t.Errorf("answer to %.20q = %s (%v), want a %s error", msg, data, err, CodeMalformed)
		}
	}
	// Too many FDs: refused, and none of them is leaked to the handler.
	fds := make([]int, MaxFDs+1)
	for i := range fds {
		fds[i] = int(os.Stdin.Fd())
	}
	if err := unix.Sendmsg(fd, []byte(`{"method":"CountFDs"}`), unix.UnixRights(fds...), nil, 0); err != nil {
		t.Fatalf("sendmsg: %v", err)
	}
	data, _, err := c.recv()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), string(CodeMalformed)) {
		t.Errorf("answer to too many FDs = %s, want %s", data, CodeMalformed)
	}
}

func TestLongSocketPath(t *testing.T) {
	dir := t.TempDir()
	for len(dir) < 2*maxSunPath {
		dir = filepath.Join(dir, "a-rather-long-directory-name")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := startServer(t, dir, echoMethods())
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", st.Mode())
	}
	if _, err := dialT(t, path).Wait("c1"); err != nil {
		t.Errorf("Wait over a %d-byte path: %v", len(path), err)
	}
}

func TestServerGoneBreaksClient(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s")
	fd, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	c := dialT(t, path)
	// The only listening FD closes before anyone accepted: the pending
	// connection is dropped, as when a sandbox dies while booting.
	unix.Close(fd)
	_, err = c.Wait("c1")
	if !errors.Is(err, ErrConnection) {
		t.Fatalf("Wait on a dead server = %v, want ErrConnection", err)
	}
	if _, err2 := c.Wait("c1"); !errors.Is(err2, ErrConnection) {
		t.Errorf("second call = %v, want the connection to stay broken", err2)
	}
}
