package pipe

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// testCtx is a vfs.Context whose Block can be interrupted by closing intr.
type testCtx struct{ intr chan struct{} }

func newCtx() *testCtx                          { return &testCtx{intr: make(chan struct{})} }
func (c *testCtx) UID() uint32                  { return 0 }
func (c *testCtx) GID() uint32                  { return 0 }
func (c *testCtx) Interrupted() <-chan struct{} { return c.intr }
func (c *testCtx) Block(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-c.intr:
		return vfs.ErrInterrupted
	}
}

func TestDataThenEOF(t *testing.T) {
	ctx := newCtx()
	r, w := New()
	if n, err := w.Write(ctx, []byte("hello"), 0); n != 5 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	buf := make([]byte, 3)
	if n, err := r.Read(ctx, buf, 0); n != 3 || err != nil || string(buf) != "hel" {
		t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
	}
	w.Release()
	if n, err := r.Read(ctx, buf, 0); n != 2 || err != nil || string(buf[:2]) != "lo" {
		t.Fatalf("Read after writer closed = %d, %v, %q; want the rest", n, err, buf[:n])
	}
	if n, err := r.Read(ctx, buf, 0); n != 0 || err != nil {
		t.Fatalf("Read at EOF = %d, %v; want 0, nil", n, err)
	}
}

func TestEPIPEWithoutReaders(t *testing.T) {
	r, w := New()
	r.Release()
	if _, err := w.Write(newCtx(), []byte("x"), 0); err != unix.EPIPE {
		t.Fatalf("Write without readers: %v, want EPIPE", err)
	}
}

func TestReadBlocksUntilWrite(t *testing.T) {
	ctx := newCtx()
	r, w := New()
	got := make(chan string)
	go func() {
		buf := make([]byte, 16)
		n, _ := r.Read(ctx, buf, 0)
		got <- string(buf[:n])
	}()
	select {
	case s := <-got:
		t.Fatalf("Read returned %q before any write", s)
	case <-time.After(50 * time.Millisecond):
	}
	w.Write(ctx, []byte("late"), 0)
	if s := <-got; s != "late" {
		t.Fatalf("Read = %q, want late", s)
	}
}

func TestBlockedReadInterrupted(t *testing.T) {
	ctx := newCtx()
	r, _ := New()
	errc := make(chan error)
	go func() {
		_, err := r.Read(ctx, make([]byte, 1), 0)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(ctx.intr)
	if err := <-errc; err != vfs.ErrInterrupted {
		t.Fatalf("interrupted Read: %v, want ErrInterrupted", err)
	}
}

func TestNonBlocking(t *testing.T) {
	ctx := newCtx()
	r, w := New()
	r.SetStatusFlags(unix.O_NONBLOCK)
	w.SetStatusFlags(unix.O_NONBLOCK)
	if _, err := r.Read(ctx, make([]byte, 1), 0); err != unix.EAGAIN {
		t.Fatalf("empty non-blocking Read: %v, want EAGAIN", err)
	}
	big := bytes.Repeat([]byte("a"), Capacity+100)
	n, err := w.Write(ctx, big, 0)
	if n != Capacity || err != nil {
		t.Fatalf("non-blocking Write of more than capacity = %d, %v; want %d, nil", n, err, Capacity)
	}
	if _, err := w.Write(ctx, []byte("b"), 0); err != unix.EAGAIN {
		t.Fatalf("Write to a full non-blocking pipe: %v, want EAGAIN", err)
	}
}

func TestSmallWritesAreAtomic(t *testing.T) {
	ctx := newCtx()
	r, w := New()
	w.SetStatusFlags(unix.O_NONBLOCK)
	// Leave AtomicSize-1 bytes of room: a write of AtomicSize must not be
	// split.
	if n, _ := w.Write(ctx, make([]byte, Capacity-AtomicSize+1), 0); n != Capacity-AtomicSize+1 {
		t.Fatalf("filling write = %d", n)
	}
	if n, err := w.Write(ctx, make([]byte, AtomicSize), 0); n != 0 || err != unix.EAGAIN {
		t.Fatalf("atomic write into too little room = %d, %v; want 0, EAGAIN", n, err)
	}
	r.Read(ctx, make([]byte, 1), 0)
	if n, err := w.Write(ctx, make([]byte, AtomicSize), 0); n != AtomicSize || err != nil {
		t.Fatalf("atomic write with room = %d, %v", n, err)
	}
}

func TestReadinessAndWaiters(t *testing.T) {
	ctx := newCtx()
	r, w := New()
	if ev := r.Readiness(linux.POLLIN); ev != 0 {
		t.Fatalf("empty pipe readiness = %#x, want 0", ev)
	}
	e := vfs.NewWaitEntry(linux.POLLIN)
	r.EventRegister(e)
	defer r.EventUnregister(e)
	w.Write(ctx, []byte("x"), 0)
	select {
	case <-e.C:
	case <-time.After(time.Second):
		t.Fatal("waiter not notified by a write")
	}
	if ev := r.Readiness(linux.POLLIN); ev&linux.POLLIN == 0 {
		t.Fatalf("readiness after write = %#x, want POLLIN", ev)
	}
	w.Release()
	if ev := r.Readiness(linux.POLLIN); ev&linux.POLLHUP == 0 {
		t.Fatalf("readiness after writer closed = %#x, want POLLHUP", ev)
	}
}

func TestFIFOWaitPeer(t *testing.T) {
	ctx := newCtx()
	p := NewPipe()
	done := make(chan error)
	go func() {
		r := p.OpenRead()
		defer r.Release()
		done <- p.WaitPeer(ctx, true)
	}()
	select {
	case err := <-done:
		t.Fatalf("reader open returned (%v) before any writer", err)
	case <-time.After(50 * time.Millisecond):
	}
	w := p.OpenWrite()
	w.Release() // even a writer that came and went releases the reader
	if err := <-done; err != nil {
		t.Fatalf("WaitPeer: %v", err)
	}
}
