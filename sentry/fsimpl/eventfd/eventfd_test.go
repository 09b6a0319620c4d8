package eventfd

import (
	"encoding/binary"
	"math"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

func u64(v uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return b[:]
}

func TestCounter(t *testing.T) {
	ctx := vfstest.Root()
	for _, tc := range []struct {
		name      string
		semaphore bool
		writes    []uint64
		reads     []uint64
	}{
		{"counter", false, []uint64{3, 4}, []uint64{7}},
		{"semaphore", true, []uint64{3}, []uint64{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(0, tc.semaphore)
			e.SetStatusFlags(unix.O_NONBLOCK)
			for _, w := range tc.writes {
				if _, err := e.Write(ctx, u64(w), 0); err != nil {
					t.Fatal(err)
				}
			}
			var b [8]byte
			for _, want := range tc.reads {
				if n, err := e.Read(ctx, b[:], 0); n != 8 || err != nil || binary.LittleEndian.Uint64(b[:]) != want {
					t.Fatalf("read: %d %v %d, want %d", n, err, binary.LittleEndian.Uint64(b[:]), want)
				}
			}
			if _, err := e.Read(ctx, b[:], 0); err != unix.EAGAIN {
				t.Fatalf("empty read: %v", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	ctx := vfstest.Root()
	e := New(0, false)
	e.SetStatusFlags(unix.O_NONBLOCK)
	for _, tc := range []struct {
		name string
		buf  []byte
		want error
	}{
		{"short", make([]byte, 7), unix.EINVAL},
		{"long", make([]byte, 9), unix.EINVAL},
		{"max", u64(math.MaxUint64), unix.EINVAL},
		{"ceiling", u64(math.MaxUint64 - 1), nil},
		{"over", u64(1), unix.EAGAIN},
		{"zero", u64(0), nil},
	} {
		if _, err := e.Write(ctx, tc.buf, 0); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if got := e.Readiness(linux.POLLIN | linux.POLLOUT); got != linux.POLLIN {
		t.Fatalf("full: readiness %#x", got)
	}
}

// TestBlocking has readers and writers wait on each other; -race checks
// the counter's locking, and every unit written must be read.
func TestBlocking(t *testing.T) {
	const n = 1000
	e := New(0, true)
	f := vfs.NewFileDescription(e, unix.O_RDWR, nil)
	defer f.DecRef()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [8]byte
			for j := 0; j < n/4; j++ {
				if _, err := f.Read(vfstest.Root(), b[:]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		if _, err := f.Write(vfstest.Root(), u64(1)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if e.Count() != 0 {
		t.Fatalf("count %d left", e.Count())
	}
	ctx := vfstest.Root()
	ctx.Interrupt()
	var b [8]byte
	if _, err := f.Read(ctx, b[:]); err != vfs.ErrInterrupted {
		t.Fatalf("interrupted read: %v", err)
	}
}
