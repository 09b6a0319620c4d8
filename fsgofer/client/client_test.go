package client_test

import (
	"errors"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// request is one request a fake gofer received.
type request struct {
	op  proto.Op
	tag proto.Tag
	fid proto.FID
}

// peer connects a Client to serve, which runs on the other end of a
// socketpair until that end reads EOF. Cleanup closes the Client, waits for
// serve to return and only then closes serve's FD, so a later test that is
// handed the same FD number never has its requests read by this one.
func peer(t *testing.T, serve func(fd int)) *client.Client {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(fds[1])
	if err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		c.Close()
		<-done
		unix.Close(fds[0])
	})
	go func() {
		defer close(done)
		serve(fds[0])
	}()
	return c
}

// fakeGofer serves a Client: it receives requests, and answers each batch
// of want requests in the order reorder puts them in, a Stat with the FID
// as the inode number.
func fakeGofer(t *testing.T, want int, reorder func([]request)) *client.Client {
	t.Helper()
	return peer(t, func(fd int) {
		buf := make([]byte, proto.MaxMessageSize)
		oob := make([]byte, proto.OOBSize)
		for {
			var batch []request
			for len(batch) < want {
				n, _, err := proto.Recv(fd, buf, oob)
				if err != nil || n == 0 {
					return
				}
				d := proto.NewDecoder(buf[:n])
				op, tag := d.Header()
				batch = append(batch, request{op, tag, proto.FID(d.U64())})
			}
			reorder(batch)
			for _, r := range batch {
				var e proto.Encoder
				e.Reset(r.op, r.tag)
				e.PutAttr(&proto.Attr{Ino: uint64(r.fid)})
				proto.Send(fd, e.Bytes(), -1)
			}
		}
	})
}

// TestOutOfOrder checks that replies answered in any order reach the
// calls that asked for them, with many calls in flight.
func TestOutOfOrder(t *testing.T) {
	const calls, batch = 2000, 16
	r := rand.New(rand.NewSource(1))
	var mu sync.Mutex
	c := fakeGofer(t, batch, func(b []request) {
		mu.Lock()
		r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
		mu.Unlock()
	})
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for g := 0; g < batch; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls/batch; i++ {
				fid := proto.FID(1 + g*calls + i)
				a, err := c.Stat(fid)
				if err == nil && a.Ino != uint64(fid) {
					err = errors.New("reply of another call")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := c.RoundTrips(); got[proto.OpStat] != calls {
		t.Errorf("counted %d Stats, want %d", got[proto.OpStat], calls)
	}
}

// TestSlowReplyDoesNotBlock checks that a call whose reply is held back
// does not hold up a later one.
func TestSlowReplyDoesNotBlock(t *testing.T) {
	c := fakeGofer(t, 2, func(b []request) {
		// Answer the second request first.
		b[0], b[1] = b[1], b[0]
	})
	slow := make(chan error, 1)
	go func() {
		_, err := c.Stat(1)
		slow <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the first call be sent first
	start := time.Now()
	if a, err := c.Stat(2); err != nil || a.Ino != 2 {
		t.Fatalf("second Stat = %+v, %v", a, err)
	}
	if err := <-slow; err != nil {
		t.Fatalf("first Stat: %v", err)
	}
	t.Logf("second call answered in %v", time.Since(start))
}

// TestHostileReplies checks that replies with tags not in flight break the
// client instead of reaching the wrong caller.
func TestHostileReplies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply func(tag proto.Tag) [][]byte
	}{
		{"unknown tag", func(tag proto.Tag) [][]byte { return [][]byte{statReply(tag + 1)} }},
		{"tag out of range", func(proto.Tag) [][]byte { return [][]byte{statReply(client.MaxInFlight + 5)} }},
		{"too short for a tag", func(proto.Tag) [][]byte { return [][]byte{{byte(proto.OpStat), 0, 0}} }},
		{"twice", func(tag proto.Tag) [][]byte { return [][]byte{statReply(tag), statReply(tag)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := peer(t, func(fd int) {
				buf := make([]byte, proto.MaxMessageSize)
				for {
					n, _, err := proto.Recv(fd, buf, make([]byte, proto.OOBSize))
					if err != nil || n == 0 {
						return
					}
					tag, _ := proto.PeekTag(buf[:n])
					for _, r := range tc.reply(tag) {
						proto.Send(fd, r, -1)
					}
				}
			})
			var first error
			for i := 0; i < 2 && first == nil; i++ {
				_, first = c.Stat(1)
			}
			if !errors.Is(first, client.ErrConnection) {
				t.Fatalf("Stat with a hostile reply = %v, want ErrConnection", first)
			}
			if _, err := c.Stat(1); !errors.Is(err, client.ErrConnection) {
				t.Errorf("Stat after a hostile reply = %v, want ErrConnection", err)
			}
		})
	}
}

func statReply(tag proto.Tag) []byte {
	var e proto.Encoder
	e.Reset(proto.OpStat, tag)
	e.PutAttr(&proto.Attr{})
	return append([]byte(nil), e.Bytes()...)
}

// TestCloseWakesCalls checks that Close ends calls waiting for replies
// that will never come.
func TestCloseWakesCalls(t *testing.T) {
	c := fakeGofer(t, 1000, func([]request) {}) // never answers
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := c.Stat(1)
			errs <- err
		}()
	}
	time.Sleep(20 * time.Millisecond)
	c.Close()
	for i := 0; i < 3; i++ {
		select {
		case err := <-errs:
			if !errors.Is(err, client.ErrConnection) {
				t.Errorf("call during Close = %v, want ErrConnection", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("call still waiting 10s after Close")
		}
	}
}

// TestCounts checks the round-trip counts and their log form.
func TestCounts(t *testing.T) {
	var c client.Counts
	c[proto.OpWalk], c[proto.OpOpen], c[proto.OpClose] = 3, 1, 2
	s := c.String()
	if s != "6 round trips (walk=3, open=1, close=2)" {
		t.Errorf("String = %q", s)
	}
	if got, ok := client.ParseCounts(s); !ok || got != c {
		t.Errorf("ParseCounts(%q) = %v, %v", s, got, ok)
	}
	for _, bad := range []string{"", "6 round trips (walk=3)", "x round trips ()", "1 round trips (bogus=1)", "1 round trips (walk=1"} {
		if _, ok := client.ParseCounts(bad); ok {
			t.Errorf("ParseCounts(%q) succeeded", bad)
		}
	}
	if _, ok := client.ParseCounts("0 round trips ()"); !ok {
		t.Errorf("ParseCounts of no round trips failed")
	}
	if d := c.Sub(client.Counts{}); d != c {
		t.Errorf("Sub of zero changed the counts")
	}
}
