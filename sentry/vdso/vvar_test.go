package vdso

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

func TestLineAt(t *testing.T) {
	l := line{tscBase: 1000, mult: 3 << 31 /* 1.5 ns per cycle */, monoBase: 500}
	for _, c := range []struct {
		name string
		tsc  uint64
		want int64
	}{
		{"at the base", 1000, 500},
		{"after", 1010, 515},
		{"a lagging CPU counts as the base", 990, 500},
		{"far behind (wrapped delta)", 0, 500},
		// 2^40 cycles: the 64-bit product would overflow.
		{"hours later", 1000 + 1<<40, 500 + 3<<39},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := l.at(c.tsc); got != c.want {
				t.Errorf("at(%d) = %d, want %d", c.tsc, got, c.want)
			}
		})
	}
}

// host is a simulated host clock: ns = tsc * nsPerCycle.
type host struct{ nsPerCycle float64 }

func (h host) ns(tsc uint64) int64 { return int64(float64(tsc) * h.nsPerCycle) }

// TestNextLineConverges runs the update rule as the timekeeper drives
// it: the frequency is estimated from the first sample to the latest,
// each off the host by 2 µs (so the estimate starts 200 ppm off and
// sharpens), with updates 10 ms, 50 ms, 250 ms, then 1 s apart. At every
// update the clock continues exactly where it stood, it never goes back
// between updates, and once updates are a second apart it stays within a
// few microseconds of the host.
func TestNextLineConverges(t *testing.T) {
	h := host{nsPerCycle: 1 / 2.9} // 2.9 GHz
	const jitter = 2000            // ns of error in every sample
	first := uint64(1 << 30)
	estimate := func(tsc uint64) float64 {
		return float64(h.ns(tsc)-h.ns(first)+jitter) / float64(tsc-first)
	}
	period := int64(firstPeriod)
	tsc := first + uint64(float64(period)/h.nsPerCycle)
	period *= 5
	cur := nextLine(line{}, false, tsc, h.ns(tsc), tsc, estimate(tsc), period)
	last := cur.at(tsc)
	for i := 0; i < 20; i++ {
		cycles := uint64(float64(period) / h.nsPerCycle)
		// Read the clock through the period: never back.
		for j := uint64(1); j <= 100; j++ {
			v := cur.at(tsc + j*cycles/100)
			if v < last {
				t.Fatalf("update %d: clock went back from %d to %d", i, last, v)
			}
			last = v
		}
		tsc += cycles
		if errNs := h.ns(tsc) - cur.at(tsc); period == int64(maxPeriod) && i > 5 && math.Abs(float64(errNs)) > 5000 {
			t.Errorf("update %d: %d ns off the host after a %d ns period", i, errNs, period)
		}
		period = min(period*5, int64(maxPeriod))
		sampleTSC := tsc - 1000 // sampled a little before the rewrite
		next := nextLine(cur, true, sampleTSC, h.ns(sampleTSC)+jitter, tsc, estimate(sampleTSC), period)
		if got, want := next.at(tsc), cur.at(tsc); got != want {
			t.Fatalf("update %d: the update jumps from %d to %d", i, want, got)
		}
		cur = next
	}
}

// TestNextLineSteps: a clock far behind the host (more than maxStep) jumps
// forward at once; one far ahead only slows down (at most by half).
func TestNextLineSteps(t *testing.T) {
	const nsPerCycle, period = 0.5, int64(time.Second)
	cur := line{tscBase: 0, mult: uint64(nsPerCycle * (1 << multShift)), monoBase: 0}
	behind := nextLine(cur, true, 1000, 500+int64(time.Second), 1000, nsPerCycle, period)
	if got := behind.at(1000); got != 500+int64(time.Second) {
		t.Errorf("1 s behind: starts at %d, want the host's %d", got, 500+int64(time.Second))
	}
	ahead := nextLine(cur, true, 1000, 500-int64(time.Second), 1000, nsPerCycle, period)
	if got := ahead.at(1000); got != 500 {
		t.Errorf("1 s ahead: starts at %d, want to stay at 500", got)
	}
	if want := uint64(nsPerCycle / 2 * (1 << multShift)); ahead.mult != want {
		t.Errorf("1 s ahead: mult %d, want half speed %d", ahead.mult, want)
	}
}

// TestVDSOTracksHost: a real page, updated by the timekeeper, agrees with
// the host clocks, and concurrent readers never see it go back.
func TestVDSOTracksHost(t *testing.T) {
	if !invariantTSC() {
		t.Skip("no invariant TSC: the page stays in syscall mode")
	}
	mf, err := pgalloc.New("vdso-test")
	if err != nil {
		t.Fatal(err)
	}
	boot := time.Now()
	v, err := New(mf, boot)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for v.load(wordMode) != modeTSC {
		if time.Now().After(deadline) {
			t.Fatal("the page never left syscall mode")
		}
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		mono, real := v.Monotonic(), v.Realtime()
		hostMono, hostReal := int64(time.Since(boot)), time.Now().UnixNano()
		if d := hostMono - mono; d < -int64(time.Millisecond) || d > int64(time.Millisecond) {
			t.Errorf("monotonic %d ns off the host", d)
		}
		if d := hostReal - real; d < -int64(time.Millisecond) || d > int64(time.Millisecond) {
			t.Errorf("realtime %d ns off the host", d)
		}
		time.Sleep(20 * time.Millisecond)
	}

	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := v.Monotonic()
			for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
				now := v.Monotonic()
				if now < last {
					t.Errorf("monotonic went back by %d ns", last-now)
					return
				}
				last = now
			}
		}()
	}
	wg.Wait()

	mf.Release() // unregisters the page first
	tk.mu.Lock()
	_, still := tk.pages[v]
	tk.mu.Unlock()
	if still {
		t.Error("the page is still registered after the memory file's Release")
	}
}
