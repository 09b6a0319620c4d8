package timerfd

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// fakeClock is a clock the test moves; the Go timers still run on real
// time, so expiries are checked through reads, which count up to now.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() int64          { return c.ns.Load() }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

func newTimer(c *fakeClock) *TimerFD {
	tf := New(c.now)
	tf.SetStatusFlags(unix.O_NONBLOCK)
	return tf
}

func read(t *testing.T, tf *TimerFD) uint64 {
	t.Helper()
	var b [8]byte
	n, err := tf.Read(vfstest.Root(), b[:], 0)
	if err == unix.EAGAIN {
		return 0
	}
	if n != 8 || err != nil {
		t.Fatalf("read: %d, %v", n, err)
	}
	return binary.LittleEndian.Uint64(b[:])
}

func TestExpirations(t *testing.T) {
	c := &fakeClock{}
	c.ns.Store(1e12)
	for _, tc := range []struct {
		name    string
		spec    Spec
		abs     bool
		advance time.Duration
		want    uint64
		left    int64 // GetTime's Value after the read
	}{
		{"not-yet", Spec{Value: 1e9}, false, 0, 0, 1e9},
		{"oneshot", Spec{Value: 1e9}, false, time.Second, 1, 0},
		{"interval", Spec{Value: 1e9, Interval: 1e8}, false, 1500 * time.Millisecond, 6, 1e8},
		{"abs-past", Spec{Value: 1e12 - 1e9, Interval: 1e8}, true, 0, 11, 1e8},
		{"abs-future", Spec{Value: 1e12 + 5e8}, true, 0, 0, 5e8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.ns.Store(1e12)
			tf := newTimer(c)
			defer tf.Release()
			tf.SetTime(tc.spec, tc.abs)
			c.add(tc.advance)
			if got := read(t, tf); got != tc.want {
				t.Fatalf("expirations %d, want %d", got, tc.want)
			}
			if got := tf.GetTime(); got.Value != tc.left || got.Interval != tc.spec.Interval {
				t.Fatalf("gettime %+v, want value %d", got, tc.left)
			}
		})
	}
}

func TestSetTimeReturnsOldAndResets(t *testing.T) {
	c := &fakeClock{}
	tf := newTimer(c)
	defer tf.Release()
	tf.SetTime(Spec{Value: 1e9, Interval: 2e9}, false)
	c.add(time.Second)
	old := tf.SetTime(Spec{}, false)
	if old.Interval != 2e9 || old.Value != 2e9 {
		t.Fatalf("old %+v", old)
	}
	if read(t, tf) != 0 {
		t.Fatal("expirations survived a new setting")
	}
}

func TestRealExpiryWakes(t *testing.T) {
	tf := New(func() int64 { return time.Now().UnixNano() })
	defer tf.Release()
	e := vfs.NewWaitEntry(linux.POLLIN)
	tf.EventRegister(e)
	defer tf.EventUnregister(e)
	tf.SetTime(Spec{Value: int64(5 * time.Millisecond), Interval: int64(5 * time.Millisecond)}, false)
	select {
	case <-e.C:
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up")
	}
	if tf.Readiness(linux.POLLIN) != linux.POLLIN {
		t.Fatal("not readable after the wake-up")
	}
	var b [8]byte
	if _, err := tf.Read(vfstest.Root(), b[:], 0); err != nil {
		t.Fatal(err)
	}
}
