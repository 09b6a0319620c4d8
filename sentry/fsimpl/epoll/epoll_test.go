package epoll

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/eventfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/pipe"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

func newEventFD(t *testing.T) (*vfs.FileDescription, *eventfd.EventFD) {
	e := eventfd.New(0, false)
	f := vfs.NewFileDescription(e, unix.O_RDWR|unix.O_NONBLOCK, nil)
	t.Cleanup(func() { f.DecRef() })
	return f, e
}

func newEpoll(t *testing.T) (*vfs.FileDescription, *EventPoll) {
	ep := New()
	f := vfs.NewFileDescription(ep, unix.O_RDWR, nil)
	t.Cleanup(func() { f.DecRef() })
	return f, ep
}

func signal(t *testing.T, f *vfs.FileDescription, n uint64) {
	t.Helper()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	if _, err := f.Write(vfstest.Root(), b[:]); err != nil {
		t.Fatal(err)
	}
}

func drain(t *testing.T, f *vfs.FileDescription) {
	t.Helper()
	var b [8]byte
	if _, err := f.Read(vfstest.Root(), b[:]); err != nil {
		t.Fatal(err)
	}
}

func events(ep *EventPoll) []Event {
	var buf [8]Event
	n := ep.ReadEvents(buf[:])
	return buf[:n]
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags uint32
		// want is how many of three successive waits, with a new signal
		// before the third, report the item.
		want [3]int
	}{
		{"level", 0, [3]int{1, 1, 1}},
		{"edge", linux.EPOLLET, [3]int{1, 0, 1}},
		{"oneshot", linux.EPOLLONESHOT, [3]int{1, 0, 0}},
		{"edge-oneshot", linux.EPOLLET | linux.EPOLLONESHOT, [3]int{1, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := newEventFD(t)
			_, ep := newEpoll(t)
			if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 5, Event{Events: linux.POLLIN | tc.flags, Data: 42}); err != nil {
				t.Fatal(err)
			}
			if got := events(ep); len(got) != 0 {
				t.Fatalf("ready before a signal: %v", got)
			}
			signal(t, f, 1)
			for i, want := range tc.want {
				if i == 2 {
					signal(t, f, 1)
				}
				got := events(ep)
				if len(got) != want {
					t.Fatalf("wait %d: %d events, want %d", i, len(got), want)
				}
				if want == 1 && (got[0].Events != linux.POLLIN || got[0].Data != 42) {
					t.Fatalf("wait %d: %+v", i, got[0])
				}
			}
		})
	}
}

func TestOneshotRearm(t *testing.T) {
	f, _ := newEventFD(t)
	_, ep := newEpoll(t)
	ev := Event{Events: linux.POLLIN | linux.EPOLLONESHOT, Data: 1}
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, ev); err != nil {
		t.Fatal(err)
	}
	signal(t, f, 1)
	if len(events(ep)) != 1 || len(events(ep)) != 0 {
		t.Fatal("one-shot not disarmed after one report")
	}
	ev.Data = 2
	if err := ep.Ctl(linux.EPOLL_CTL_MOD, f, 3, ev); err != nil {
		t.Fatal(err)
	}
	if got := events(ep); len(got) != 1 || got[0].Data != 2 {
		t.Fatalf("after MOD: %v", got)
	}
}

func TestCtlErrors(t *testing.T) {
	f, _ := newEventFD(t)
	epf, ep := newEpoll(t)
	in := Event{Events: linux.POLLIN}
	excl := Event{Events: linux.POLLIN | linux.EPOLLEXCLUSIVE}
	for _, tc := range []struct {
		name string
		op   int
		file *vfs.FileDescription
		ev   Event
		want error
	}{
		{"mod-missing", linux.EPOLL_CTL_MOD, f, in, unix.ENOENT},
		{"del-missing", linux.EPOLL_CTL_DEL, f, in, unix.ENOENT},
		{"self", linux.EPOLL_CTL_ADD, epf, in, unix.EINVAL},
		{"bad-op", 7, f, in, unix.EINVAL},
		{"exclusive-bad-bits", linux.EPOLL_CTL_ADD, f, Event{Events: linux.POLLIN | linux.POLLPRI | linux.EPOLLEXCLUSIVE}, unix.EINVAL},
		{"add", linux.EPOLL_CTL_ADD, f, excl, nil},
		{"add-again", linux.EPOLL_CTL_ADD, f, in, unix.EEXIST},
		{"mod-exclusive-item", linux.EPOLL_CTL_MOD, f, in, unix.EINVAL},
		{"mod-to-exclusive", linux.EPOLL_CTL_MOD, f, excl, unix.EINVAL},
		{"del", linux.EPOLL_CTL_DEL, f, in, nil},
	} {
		if err := ep.Ctl(tc.op, tc.file, 4, tc.ev); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNesting(t *testing.T) {
	// A chain of five instances is allowed, a sixth is too deep.
	var eps [7]*vfs.FileDescription
	for i := range eps {
		eps[i], _ = newEpoll(t)
	}
	in := Event{Events: linux.POLLIN}
	for i := 1; i < 5; i++ {
		if err := Of(eps[i]).Ctl(linux.EPOLL_CTL_ADD, eps[i-1], int32(i), in); err != nil {
			t.Fatalf("nest %d: %v", i, err)
		}
	}
	if err := Of(eps[5]).Ctl(linux.EPOLL_CTL_ADD, eps[4], 5, in); err != unix.ELOOP {
		t.Fatalf("sixth level: %v, want ELOOP", err)
	}
	// From the other side: eps[6] above eps[0]'s parent chain would be a
	// cycle if eps[0] watched eps[4].
	if err := Of(eps[0]).Ctl(linux.EPOLL_CTL_ADD, eps[4], 6, in); err != unix.ELOOP {
		t.Fatalf("cycle: %v, want ELOOP", err)
	}
	// An event deep down reaches the top.
	f, _ := newEventFD(t)
	if err := Of(eps[0]).Ctl(linux.EPOLL_CTL_ADD, f, 9, in); err != nil {
		t.Fatal(err)
	}
	signal(t, f, 1)
	if got := events(Of(eps[4])); len(got) != 1 || got[0].Events != linux.POLLIN {
		t.Fatalf("top of the chain: %v", got)
	}
	// Removing a link makes room again.
	if err := Of(eps[4]).Ctl(linux.EPOLL_CTL_DEL, eps[3], 4, in); err != nil {
		t.Fatal(err)
	}
	if err := Of(eps[5]).Ctl(linux.EPOLL_CTL_ADD, eps[3], 5, in); err != nil {
		t.Fatalf("after DEL: %v", err)
	}
}

func TestReleaseRemovesItem(t *testing.T) {
	e := eventfd.New(1, false)
	f := vfs.NewFileDescription(e, unix.O_RDWR, nil)
	_, ep := newEpoll(t)
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, Event{Events: linux.POLLIN}); err != nil {
		t.Fatal(err)
	}
	f.IncRef() // a dup
	f.DecRef()
	if len(events(ep)) != 1 {
		t.Fatal("item gone while a reference is left")
	}
	f.DecRef()
	if len(events(ep)) != 0 || len(ep.items) != 0 {
		t.Fatal("item survives its description")
	}
	if e.HasWaiters() {
		t.Fatal("wait entry left on the released file")
	}
}

func TestPipeEdges(t *testing.T) {
	r, w := pipe.New()
	rf := vfs.NewFileDescription(r, unix.O_RDONLY|unix.O_NONBLOCK, nil)
	wf := vfs.NewFileDescription(w, unix.O_WRONLY|unix.O_NONBLOCK, nil)
	defer rf.DecRef()
	_, ep := newEpoll(t)
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, rf, 3, Event{Events: linux.POLLIN | linux.EPOLLET}); err != nil {
		t.Fatal(err)
	}
	ctx := vfstest.Root()
	wf.Write(ctx, []byte("ab"))
	if len(events(ep)) != 1 {
		t.Fatal("no edge on data")
	}
	var b [1]byte
	rf.Read(ctx, b[:]) // frees space: an edge for writers only
	if got := events(ep); len(got) != 0 {
		t.Fatalf("a read made an input edge: %v", got)
	}
	wf.DecRef()
	if got := events(ep); len(got) != 1 || got[0].Events != linux.POLLIN|linux.POLLHUP {
		t.Fatalf("writer closed: %v", got)
	}
}

func TestWaitWakesAndTimesOut(t *testing.T) {
	f, _ := newEventFD(t)
	_, ep := newEpoll(t)
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, Event{Events: linux.POLLIN}); err != nil {
		t.Fatal(err)
	}
	var buf [4]Event
	start := time.Now()
	if n, err := ep.Wait(vfstest.Root(), buf[:], 20*time.Millisecond); n != 0 || err != nil {
		t.Fatalf("timeout: %d, %v", n, err)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("returned before the timeout")
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		signal(t, f, 1)
	}()
	if n, err := ep.Wait(vfstest.Root(), buf[:], -1); n != 1 || err != nil {
		t.Fatalf("wake: %d, %v", n, err)
	}
	ctx := vfstest.Root()
	drain(t, f)
	ctx.Interrupt()
	if _, err := ep.Wait(ctx, buf[:], -1); err != vfs.ErrInterrupted {
		t.Fatalf("interrupt: %v", err)
	}
}

// TestConcurrent runs waiters, signallers and ctl changes at once for the
// race detector; every signal must be taken by some waiter.
func TestConcurrent(t *testing.T) {
	const signals = 200
	f, _ := newEventFD(t)
	_, ep := newEpoll(t)
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, Event{Events: linux.POLLIN | linux.EPOLLEXCLUSIVE}); err != nil {
		t.Fatal(err)
	}
	var taken sync.WaitGroup
	taken.Add(signals)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf [2]Event
			var b [8]byte
			for {
				select {
				case <-done:
					return
				default:
				}
				ep.Wait(vfstest.Root(), buf[:], 5*time.Millisecond)
				if _, err := f.Read(vfstest.Root(), b[:]); err == nil {
					for n := binary.LittleEndian.Uint64(b[:]); n > 0; n-- {
						taken.Done()
					}
				}
			}
		}()
	}
	other, _ := newEventFD(t)
	for i := 0; i < signals; i++ {
		signal(t, f, 1)
		ep.Ctl(linux.EPOLL_CTL_ADD, other, 4, Event{Events: linux.POLLIN})
		ep.Ctl(linux.EPOLL_CTL_DEL, other, 4, Event{})
	}
	taken.Wait()
	close(done)
	wg.Wait()
}

// BenchmarkReadEvents is epoll_wait's path when an item is ready: no
// allocation, no wake-up.
func BenchmarkReadEvents(b *testing.B) {
	e := eventfd.New(1, false)
	f := vfs.NewFileDescription(e, unix.O_RDWR, nil)
	defer f.DecRef()
	ep := New()
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, Event{Events: linux.POLLIN}); err != nil {
		b.Fatal(err)
	}
	var buf [8]Event
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ep.ReadEvents(buf[:]) != 1 {
			b.Fatal("not ready")
		}
	}
}

// BenchmarkWakeup is a wait woken by an eventfd write from another
// goroutine: one callback and one channel wake-up per round.
func BenchmarkWakeup(b *testing.B) {
	e := eventfd.New(0, false)
	f := vfs.NewFileDescription(e, unix.O_RDWR|unix.O_NONBLOCK, nil)
	defer f.DecRef()
	ep := New()
	if err := ep.Ctl(linux.EPOLL_CTL_ADD, f, 3, Event{Events: linux.POLLIN | linux.EPOLLET}); err != nil {
		b.Fatal(err)
	}
	ctx := vfstest.Root()
	go func() {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], 1)
		for i := 0; i < b.N; i++ {
			f.Write(ctx, w[:])
			time.Sleep(time.Microsecond)
		}
	}()
	var buf [8]Event
	var r [8]byte
	b.ReportAllocs()
	for i := 0; i < b.N; {
		ep.Wait(ctx, buf[:], -1)
		if _, err := f.Read(ctx, r[:]); err == nil {
			i += int(binary.LittleEndian.Uint64(r[:])) // writes coalesce
		}
	}
}
