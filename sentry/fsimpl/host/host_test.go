package host

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// TestWriteAppendsAtHostOffset is the `{ echo first; runsc do echo second; } > f`
// case: what the sandbox writes lands after what the shell wrote.
func TestWriteAppendsAtHostOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	shell, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	if _, err := shell.WriteString("first\n"); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Dup(int(shell.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	desc, err := NewDescription(fd)
	if err != nil {
		t.Fatal(err)
	}
	ctx := vfstest.Root()
	if _, err := desc.Write(ctx, []byte("second\n")); err != nil {
		t.Fatal(err)
	}
	// The shared offset moved: the shell's next write follows.
	if _, err := shell.WriteString("third\n"); err != nil {
		t.Fatal(err)
	}
	if off, err := desc.Seek(ctx, 0, 1); err != nil || off != int64(len("first\nsecond\nthird\n")) {
		t.Fatalf("lseek(SEEK_CUR) = %d, %v", off, err)
	}
	desc.DecRef()
	got, _ := os.ReadFile(path)
	if string(got) != "first\nsecond\nthird\n" {
		t.Fatalf("file holds %q", got)
	}
	// Release closed our dup only.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("host FD not closed on release: %v", err)
	}
	a, err := os.Stat(path)
	if err != nil || a.Size() != 19 {
		t.Fatalf("stat: %v %v", a, err)
	}
}

func TestFileStatAndPread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte("hello world"), 0o600)
	fd, err := unix.Open(path, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := NewDescription(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer desc.DecRef()
	ctx := vfstest.Root()
	a, err := desc.Stat(ctx)
	if err != nil || a.Size != 11 || vfs.FileType(a.Mode)&vfs.TypeMask != vfs.TypeRegular {
		t.Fatalf("stat = %+v, %v", a, err)
	}
	buf := make([]byte, 5)
	if n, _ := desc.PRead(ctx, buf, 6); string(buf[:n]) != "world" {
		t.Fatalf("pread = %q", buf[:n])
	}
	if n, _ := desc.Read(ctx, buf); string(buf[:n]) != "hello" {
		t.Fatalf("read = %q (pread must not move the offset)", buf[:n])
	}
	if _, err := desc.Write(ctx, []byte("x")); err != unix.EBADF {
		t.Fatalf("write on O_RDONLY: %v", err)
	}
	var io vfstest.IO
	if _, err := desc.Ioctl(ctx, &io, tcgets, 0); err != unix.ENOTTY {
		t.Fatalf("TCGETS on a file: %v", err)
	}
}

func pipe(t *testing.T) (r, w int) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	return p[0], p[1]
}

func TestPipeReadBlocksAndIsInterruptible(t *testing.T) {
	r, w := pipe(t)
	defer unix.Close(w)
	desc, err := NewDescription(r)
	if err != nil {
		t.Fatal(err)
	}
	defer desc.DecRef()
	if desc.Impl().Seekable() {
		t.Fatal("a pipe is seekable")
	}
	if _, err := desc.Seek(vfstest.Root(), 0, 0); err != unix.ESPIPE {
		t.Fatalf("lseek on pipe: %v", err)
	}
	if got := desc.Readiness(linux.POLLIN); got != 0 {
		t.Fatalf("empty pipe readiness %#x", got)
	}

	// Data arriving later wakes the reader.
	go func() {
		time.Sleep(20 * time.Millisecond)
		unix.Write(w, []byte("ping"))
	}()
	buf := make([]byte, 10)
	n, err := desc.Read(vfstest.Root(), buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("read = %q, %v", buf[:n], err)
	}

	// An interrupt ends a blocked read.
	ctx := vfstest.Root()
	go func() {
		time.Sleep(20 * time.Millisecond)
		ctx.Interrupt()
	}()
	if _, err := desc.Read(ctx, buf); err != vfs.ErrInterrupted {
		t.Fatalf("interrupted read: %v", err)
	}

	// O_NONBLOCK on the description gives EAGAIN without touching the
	// host FD's own flags.
	desc.SetStatusFlags(unix.O_NONBLOCK)
	if _, err := desc.Read(vfstest.Root(), buf); err != unix.EAGAIN {
		t.Fatalf("non-blocking read: %v", err)
	}
	fl, _ := unix.FcntlInt(uintptr(r), unix.F_GETFL, 0)
	if fl&unix.O_NONBLOCK != 0 {
		t.Fatal("host FD became O_NONBLOCK")
	}
}

func TestEventRegister(t *testing.T) {
	r, w := pipe(t)
	defer unix.Close(w)
	f, err := NewFile(r)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	e := vfs.NewWaitEntry(linux.POLLIN)
	f.EventRegister(e)
	defer f.EventUnregister(e)
	select {
	case <-e.C:
		t.Fatal("notified before data")
	case <-time.After(10 * time.Millisecond):
	}
	unix.Write(w, []byte("x"))
	select {
	case <-e.C:
	case <-time.After(5 * time.Second):
		t.Fatal("not notified")
	}
	if f.Readiness(linux.POLLIN) != linux.POLLIN {
		t.Fatal("not readable after notification")
	}
}
