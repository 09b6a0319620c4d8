package futex

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	wordA = fakeBase + 0x100
	wordB = fakeBase + 0x200
)

func TestWaitChecksTheWord(t *testing.T) {
	m, mem, w := NewManager(nil), newFakeMemory(), NewWaiter()
	mem.store32(t, wordA, 7)
	if err := m.Wait(w, mem, wordA, false, 6, BitsetMatchAny); err != unix.EAGAIN {
		t.Fatalf("Wait on a changed word = %v, want EAGAIN", err)
	}
	if w.Queued() {
		t.Fatal("waiter queued after EAGAIN")
	}
	if err := m.Wait(w, mem, fakeBase-4, false, 0, BitsetMatchAny); err != unix.EFAULT {
		t.Fatalf("Wait on a bad address = %v, want EFAULT", err)
	}
	if err := m.Wait(w, mem, wordA, false, 7, 0); err != unix.EINVAL {
		t.Fatalf("Wait with bitset 0 = %v, want EINVAL", err)
	}
}

func TestWakeCounts(t *testing.T) {
	tests := []struct {
		name    string
		waiters int
		n       int32
		want    int
	}{
		{"none waiting", 0, 1, 0},
		{"one of three", 3, 1, 1},
		{"all of three", 3, 10, 3},
		{"zero still wakes one", 3, 0, 1},
		{"negative wakes one", 2, -5, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, mem := NewManager(nil), newFakeMemory()
			ws := make([]*Waiter, tc.waiters)
			for i := range ws {
				ws[i] = NewWaiter()
				if err := m.Wait(ws[i], mem, wordA, false, 0, BitsetMatchAny); err != nil {
					t.Fatal(err)
				}
			}
			n, err := m.Wake(mem.sharing(), wordA, false, tc.n, BitsetMatchAny)
			if err != nil || n != tc.want {
				t.Fatalf("Wake = %d, %v; want %d", n, err, tc.want)
			}
			// Oldest first.
			for i, w := range ws {
				if got := m.Dequeue(w); got != (i < tc.want) {
					t.Errorf("waiter %d woken = %v", i, got)
				}
			}
		})
	}
}

func TestPrivateAndSharedKeysDoNotMeet(t *testing.T) {
	m, mem, w := NewManager(nil), newFakeMemory(), NewWaiter()
	if err := m.Wait(w, mem, wordA, true, 0, BitsetMatchAny); err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Wake(mem, wordA, false, 1, BitsetMatchAny); n != 0 {
		t.Errorf("shared wake of a private waiter woke %d", n)
	}
	if n, _ := m.Wake(mem.sharing(), wordA, true, 1, BitsetMatchAny); n != 0 {
		t.Errorf("private wake from another address space woke %d", n)
	}
	if n, _ := m.Wake(mem, wordA, true, 1, BitsetMatchAny); n != 1 {
		t.Errorf("private wake woke %d, want 1", n)
	}
}

func TestBitsets(t *testing.T) {
	m, mem := NewManager(nil), newFakeMemory()
	w1, w2 := NewWaiter(), NewWaiter()
	m.Wait(w1, mem, wordA, false, 0, 0x1)
	m.Wait(w2, mem, wordA, false, 0, 0x6)
	if n, _ := m.Wake(mem, wordA, false, 10, 0x4); n != 1 || !m.Dequeue(w2) {
		t.Fatalf("bitset 0x4 woke %d, want w2 only", n)
	}
	if _, err := m.Wake(mem, wordA, false, 1, 0); err != unix.EINVAL {
		t.Fatalf("Wake with bitset 0 = %v", err)
	}
	if n, _ := m.Wake(mem, wordA, false, 10, BitsetMatchAny); n != 1 || !m.Dequeue(w1) {
		t.Fatalf("wake-all woke %d, want w1", n)
	}
}

func TestRequeue(t *testing.T) {
	m, mem := NewManager(nil), newFakeMemory()
	ws := []*Waiter{NewWaiter(), NewWaiter(), NewWaiter(), NewWaiter()}
	for _, w := range ws {
		m.Wait(w, mem, wordA, false, 0, BitsetMatchAny)
	}
	cmp := uint32(1)
	if _, err := m.Requeue(mem, wordA, wordB, false, 1, 1, &cmp); err != unix.EAGAIN {
		t.Fatalf("CMP_REQUEUE with a wrong value = %v", err)
	}
	if _, err := m.Requeue(mem, wordA, wordB, false, -1, 1, nil); err != unix.EINVAL {
		t.Fatalf("REQUEUE with a negative count = %v", err)
	}
	cmp = 0
	n, err := m.Requeue(mem, wordA, wordB, false, 1, 2, &cmp)
	if err != nil || n != 3 {
		t.Fatalf("Requeue = %d, %v; want 3", n, err)
	}
	if !m.Dequeue(ws[0]) {
		t.Error("first waiter not woken")
	}
	// Two are on wordB now, one still on wordA.
	if n, _ := m.Wake(mem, wordA, false, 10, BitsetMatchAny); n != 1 || !m.Dequeue(ws[3]) {
		t.Errorf("wordA woke %d, want the last waiter", n)
	}
	if n, _ := m.Wake(mem, wordB, false, 10, BitsetMatchAny); n != 2 || !m.Dequeue(ws[1]) || !m.Dequeue(ws[2]) {
		t.Errorf("wordB woke %d, want the two moved", n)
	}
}

func TestWakeOp(t *testing.T) {
	enc := func(op, oparg, cmp, cmparg uint32) uint32 {
		return op<<28 | cmp<<24 | (oparg&0xfff)<<12 | cmparg&0xfff
	}
	tests := []struct {
		name          string
		op            uint32
		before, after uint32
		wake2         bool
		err           error
	}{
		{"set eq", enc(opSet, 9, cmpEQ, 3), 3, 9, true, nil},
		{"add ne", enc(opAdd, 2, cmpNE, 3), 3, 5, false, nil},
		{"add negative", enc(opAdd, 0xfff, cmpLT, 0), 3, 2, false, nil},
		{"or lt", enc(opOr, 8, cmpLT, 4), 3, 11, true, nil},
		{"andn le", enc(opAndN, 1, cmpLE, 2), 3, 2, false, nil},
		{"xor gt signed", enc(opXor, 1, cmpGT, 0xfff), 3, 2, true, nil},
		{"ge", enc(opSet, 0, cmpGE, 3), 3, 0, true, nil},
		{"shift", enc(opSet|opArgShift, 5, cmpEQ, 0), 3, 32, false, nil},
		{"shift masked", enc(opSet|opArgShift, 33, cmpEQ, 0), 3, 2, false, nil},
		{"bad op untouched", enc(5, 1, cmpEQ, 0), 3, 3, false, unix.ENOSYS},
		{"bad cmp after op", enc(opSet, 1, 9, 0), 3, 1, false, unix.ENOSYS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, mem := NewManager(nil), newFakeMemory()
			w1, w2 := NewWaiter(), NewWaiter()
			m.Wait(w1, mem, wordA, false, 0, BitsetMatchAny)
			mem.store32(t, wordB, tc.before)
			m.Wait(w2, mem, wordB, false, tc.before, BitsetMatchAny)
			n, err := m.WakeOp(mem, wordA, wordB, false, 1, 1, tc.op)
			if err != tc.err {
				t.Fatalf("WakeOp err = %v, want %v", err, tc.err)
			}
			if got := mem.load32(t, wordB); got != tc.after {
				t.Errorf("word = %d, want %d", got, tc.after)
			}
			if err != nil {
				return
			}
			want := 1
			if tc.wake2 {
				want = 2
			}
			if n != want || m.Dequeue(w2) != tc.wake2 || !m.Dequeue(w1) {
				t.Errorf("woke %d, want %d", n, want)
			}
		})
	}
}

func TestDequeueAfterTimeout(t *testing.T) {
	m, mem, w := NewManager(nil), newFakeMemory(), NewWaiter()
	m.Wait(w, mem, wordA, false, 0, BitsetMatchAny)
	if m.Dequeue(w) {
		t.Fatal("Dequeue of an unwoken waiter said woken")
	}
	if n, _ := m.Wake(mem, wordA, false, 1, BitsetMatchAny); n != 0 {
		t.Fatalf("a dequeued waiter was woken (%d)", n)
	}
	// The waiter is reusable, and a stale token does not leak into it.
	w.Notify()
	m.Wait(w, mem, wordA, false, 0, BitsetMatchAny)
	if wokenWithin(w, 10*time.Millisecond) {
		t.Fatal("stale token survived a new Wait")
	}
	m.Wake(mem, wordA, false, 1, BitsetMatchAny)
	if !wokenWithin(w, time.Second) || !m.Dequeue(w) {
		t.Fatal("reused waiter not woken")
	}
}

func TestWaitMultiple(t *testing.T) {
	m, mem, shared := NewManager(nil), newFakeMemory(), NewWaiter()
	entries := []WaitvEntry{{Addr: wordA}, {Addr: wordB}}
	ws := make([]Waiter, 2)
	mem.store32(t, wordB, 1)
	if _, err := m.WaitMultiple(ws, shared, mem, entries); err != unix.EAGAIN {
		t.Fatalf("WaitMultiple with a changed word = %v", err)
	}
	if n, _ := m.Wake(mem, wordA, false, 1, BitsetMatchAny); n != 0 {
		t.Fatal("first futex stayed queued after EAGAIN")
	}
	entries[1].Val = 1
	if i, err := m.WaitMultiple(ws, shared, mem, entries); i != -1 || err != nil {
		t.Fatalf("WaitMultiple = %d, %v", i, err)
	}
	m.Wake(mem, wordB, false, 1, BitsetMatchAny)
	if !wokenWithin(shared, time.Second) {
		t.Fatal("shared channel not notified")
	}
	if i := m.DequeueMultiple(ws); i != 1 {
		t.Fatalf("DequeueMultiple = %d, want 1", i)
	}
	if n, _ := m.Wake(mem, wordA, false, 1, BitsetMatchAny); n != 0 {
		t.Fatal("futex 0 stayed queued")
	}
}

// TestNoLostWakeups runs waiters and wakers on a counter word as a
// semaphore does: no wake may be lost between a waiter's check and its
// sleep (run with -race).
func TestNoLostWakeups(t *testing.T) {
	m, mem := NewManager(nil), newFakeMemory()
	const waiters, rounds = 8, 200
	var done atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < waiters; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewWaiter()
			proc := mem.sharing()
			for r := uint32(0); r < rounds; r++ {
				// Wait until the generation passes r.
				for {
					cur, _ := proc.LoadUint32(wordA)
					if cur > r {
						break
					}
					if err := m.Wait(w, proc, wordA, false, cur, BitsetMatchAny); err != nil {
						continue
					}
					select {
					case <-w.C():
					case <-time.After(5 * time.Second):
						t.Errorf("lost wake-up at round %d", r)
						m.Dequeue(w)
						return
					}
					m.Dequeue(w)
				}
			}
			done.Add(1)
		}()
	}
	for r := uint32(1); r <= rounds; r++ {
		mem.store32(t, wordA, r)
		m.Wake(mem, wordA, false, waiters, BitsetMatchAny)
		time.Sleep(50 * time.Microsecond)
	}
	wg.Wait()
	if done.Load() != waiters {
		t.Fatalf("%d of %d waiters finished", done.Load(), waiters)
	}
}

func TestWakeDoesNotAllocate(t *testing.T) {
	m, mem := NewManager(nil), newFakeMemory()
	key, _ := mem.FutexKey(wordA, false)
	w := NewWaiter()
	allocs := testing.AllocsPerRun(100, func() {
		m.queueIfEqual(w, mem, wordA, &key, 0, BitsetMatchAny)
		m.WakeKey(&key, 1, BitsetMatchAny)
		m.Dequeue(w)
	})
	if allocs != 0 {
		t.Fatalf("wait+wake allocates %v times", allocs)
	}
}
