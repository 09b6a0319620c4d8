package futex

import "testing"

// robustList lays out a robust list in mem: the head at headAddr, then one
// entry per lock at entryAddr(i), each followed (futex_offset 8) by its
// word, holding words[i]. pending, if >= 0, is the list_op_pending index
// (an entry not on the list).
type robustList struct {
	words   []uint32
	pi      []bool
	pending int
}

const (
	headAddr = fakeBase + 0x1000
	lockBase = fakeBase + 0x2000
)

func entryAddr(i int) uintptr { return lockBase + uintptr(i)*16 }
func lockWord(i int) uintptr  { return entryAddr(i) + 8 }

func (l robustList) write(t *testing.T, mem *fakeMemory) {
	t.Helper()
	onList := []int{}
	for i := range l.words {
		mem.store32(t, lockWord(i), l.words[i])
		if i != l.pending {
			onList = append(onList, i)
		}
	}
	ptr := func(i int) uint64 {
		v := uint64(entryAddr(i))
		if l.pi != nil && l.pi[i] {
			v |= 1
		}
		return v
	}
	next := uint64(headAddr)
	for j := len(onList) - 1; j >= 0; j-- {
		mem.store64(t, entryAddr(onList[j]), next)
		next = ptr(onList[j])
	}
	mem.store64(t, headAddr, next)
	mem.store64(t, headAddr+8, 8)
	if l.pending >= 0 {
		mem.store64(t, headAddr+16, ptr(l.pending))
	} else {
		mem.store64(t, headAddr+16, 0)
	}
}

func TestRobustListWalk(t *testing.T) {
	m, mem := NewManager(threads(tidA, tidB)), newFakeMemory()
	l := robustList{
		words: []uint32{
			tidA,           // held: OWNER_DIED
			tidA | Waiters, // held with a waiter: OWNER_DIED|WAITERS, one woken
			tidB,           // someone else's: untouched
			0,              // pending and released: its waiter is woken
		},
		pending: 3,
	}
	l.write(t, mem)
	other := mem.sharing()
	w1, w1b, w3 := NewWaiter(), NewWaiter(), NewWaiter()
	m.Wait(w1, other, lockWord(1), false, tidA|Waiters, BitsetMatchAny)
	m.Wait(w1b, other, lockWord(1), false, tidA|Waiters, BitsetMatchAny)
	m.Wait(w3, other, lockWord(3), false, 0, BitsetMatchAny)

	m.ExitRobustList(mem, headAddr, tidA)

	want := []uint32{OwnerDied, OwnerDied | Waiters, tidB, 0}
	for i, v := range want {
		if got := mem.load32(t, lockWord(i)); got != v {
			t.Errorf("lock %d = %#x, want %#x", i, got, v)
		}
	}
	if !m.Dequeue(w1) || m.Dequeue(w1b) {
		t.Error("want exactly one waiter of lock 1 woken")
	}
	if !m.Dequeue(w3) {
		t.Error("the pending lock's waiter was not woken")
	}
}

func TestRobustListPIHandOver(t *testing.T) {
	m, mem := NewManager(threads(tidA, tidB)), newFakeMemory()
	l := robustList{words: []uint32{tidA}, pi: []bool{true}, pending: -1}
	l.write(t, mem)
	wb := NewWaiter()
	if ok, err := m.LockPI(wb, mem.sharing(), lockWord(0), false, tidB, false); ok || err != nil {
		t.Fatalf("LockPI = %v, %v", ok, err)
	}
	m.ExitRobustList(mem, headAddr, tidA)
	if !m.Dequeue(wb) {
		t.Fatal("the PI waiter was not handed the lock")
	}
	if got := mem.load32(t, lockWord(0)); got != tidB|Waiters|OwnerDied {
		t.Fatalf("word = %#x, want B|WAITERS|OWNER_DIED", got)
	}
}

func TestRobustListHostile(t *testing.T) {
	m := NewManager(nil)
	t.Run("circular list ends", func(t *testing.T) {
		mem := newFakeMemory()
		mem.store64(t, headAddr, uint64(entryAddr(0)))
		mem.store64(t, headAddr+8, 8)
		mem.store64(t, entryAddr(0), uint64(entryAddr(1)))
		mem.store64(t, entryAddr(1), uint64(entryAddr(0))) // never back to the head
		mem.store32(t, lockWord(0), tidA)
		m.ExitRobustList(mem, headAddr, tidA)
		if mem.load32(t, lockWord(0)) != OwnerDied {
			t.Error("lock on a circular list not released")
		}
	})
	t.Run("bad head", func(t *testing.T) {
		m.ExitRobustList(newFakeMemory(), 8, tidA)
	})
	t.Run("entry off the map", func(t *testing.T) {
		mem := newFakeMemory()
		mem.store64(t, headAddr, uint64(entryAddr(0)))
		mem.store64(t, headAddr+8, 8)
		mem.store64(t, entryAddr(0), 0xdead0000)
		mem.store32(t, lockWord(0), tidA)
		m.ExitRobustList(mem, headAddr, tidA)
		if mem.load32(t, lockWord(0)) != OwnerDied {
			t.Error("the lock before the bad pointer not released")
		}
	})
	t.Run("misaligned offset stops", func(t *testing.T) {
		mem := newFakeMemory()
		mem.store64(t, headAddr, uint64(entryAddr(0)))
		mem.store64(t, headAddr+8, 9)
		mem.store64(t, entryAddr(0), uint64(headAddr))
		m.ExitRobustList(mem, headAddr, tidA)
	})
}
