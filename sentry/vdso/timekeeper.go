package vdso

import (
	"sync"
	"time"
)

// The timekeeper calibrates the TSC against the host's clocks and
// rewrites every registered data page after each calibration. One per
// sentry process, so that kernels in one test binary share it.
//
// Calibration: the TSC frequency is the ratio of host CLOCK_MONOTONIC
// (Go's monotonic clock) to TSC cycles since the first sample, so it
// sharpens with every update; each page's line is then re-anchored where
// it stands (continuous: the clock never jumps back at an update) and its
// rate nudged so that it meets the host clock one period later (slewing,
// at most ±50%; an error beyond maxStep ahead is stepped, forward only).
// Updates come after 10 ms, 50 ms, 250 ms, then every second.
type timekeeper struct {
	mu sync.Mutex
	// pages are the registered VDSOs.
	pages map[*VDSO]struct{}
	// running says the update goroutine is alive.
	running bool
	// first is the calibration's first sample; calibrated says
	// nsPerCycle comes from it and a later one.
	first      sample
	calibrated bool
	nsPerCycle float64
	period     time.Duration
}

var tk = timekeeper{pages: make(map[*VDSO]struct{})}

// epoch is the origin of sample.mono: this process's start.
var epoch = time.Now()

// Update periods.
const (
	firstPeriod = 10 * time.Millisecond
	maxPeriod   = time.Second
	// maxStep is how far behind the host a page may fall before it is
	// stepped forward instead of slewed.
	maxStep = 100 * time.Millisecond
)

// sample is one simultaneous reading of the TSC and the host clocks.
type sample struct {
	tsc  uint64
	mono int64 // host CLOCK_MONOTONIC, ns since epoch
	real int64 // host CLOCK_REALTIME, ns since the Unix epoch
}

// takeSample reads the TSC around time.Now() a few times and keeps the
// tightest bracket, taking its midpoint.
func takeSample() sample {
	var best sample
	bestWidth := ^uint64(0)
	for i := 0; i < 5; i++ {
		t1 := rdtsc()
		now := time.Now()
		t2 := rdtsc()
		if w := t2 - t1; t2 >= t1 && w < bestWidth {
			bestWidth = w
			best = sample{tsc: t1 + w/2, mono: int64(now.Sub(epoch)), real: now.UnixNano()}
		}
	}
	return best
}

func (k *timekeeper) register(v *VDSO) {
	if !invariantTSC() {
		return // the page stays in syscall mode
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pages[v] = struct{}{}
	v.registered = true
	if k.calibrated {
		v.updateLocked(takeSample(), k.nsPerCycle, k.period)
	}
	if !k.running {
		k.running = true
		go k.run()
	}
}

func (k *timekeeper) unregister(v *VDSO) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.pages, v)
	v.registered = false
}

// run updates the pages until none is left.
func (k *timekeeper) run() {
	k.mu.Lock()
	if k.first.tsc == 0 {
		k.first = takeSample()
	}
	if k.period == 0 {
		k.period = firstPeriod
	}
	k.mu.Unlock()
	for {
		k.mu.Lock()
		period := k.period
		k.mu.Unlock()
		time.Sleep(period)

		k.mu.Lock()
		if len(k.pages) == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		s := takeSample()
		if s.tsc > k.first.tsc && s.mono > k.first.mono {
			k.nsPerCycle = float64(s.mono-k.first.mono) / float64(s.tsc-k.first.tsc)
			k.calibrated = true
			if k.period < maxPeriod {
				k.period = min(k.period*5, maxPeriod)
			}
			for v := range k.pages {
				v.updateLocked(s, k.nsPerCycle, k.period)
			}
		}
		k.mu.Unlock()
	}
}

// updateLocked rewrites v's data page from host sample s, the calibrated
// frequency and the time until the next update.
// Preconditions: tk.mu is held.
func (v *VDSO) updateLocked(s sample, nsPerCycle float64, period time.Duration) {
	if !v.registered {
		return
	}
	target := s.mono - v.bootOffset // where CLOCK_MONOTONIC should be at s.tsc
	seq := v.load(wordSeq)
	v.store(wordSeq, seq+1)
	now := rdtsc()
	v.cur = nextLine(v.cur, v.enabled, s.tsc, target, now, nsPerCycle, int64(period))
	v.cur.realOffset = s.real - target
	v.enabled = true
	v.store(wordTSCBase, v.cur.tscBase)
	v.store(wordMult, v.cur.mult)
	v.store(wordMonoBase, uint64(v.cur.monoBase))
	v.store(wordRealOffset, uint64(v.cur.realOffset))
	v.store(wordMode, modeTSC)
	v.store(wordSeq, seq+2)
}

// nextLine returns the line that takes over from cur at TSC now: the host
// clock stood at target when the TSC read sampleTSC (<= now). A first
// line (!enabled) starts on the host clock; later ones start exactly
// where cur stands at now, or ahead of it if the host is more than
// maxStep ahead, and run at the calibrated rate corrected so that the
// error vanishes over the next period (at most ±50%).
func nextLine(cur line, enabled bool, sampleTSC uint64, target int64, now uint64, nsPerCycle float64, period int64) line {
	rate := nsPerCycle
	var start int64
	if !enabled {
		start = target + int64(float64(now-sampleTSC)*nsPerCycle)
	} else {
		start = cur.at(now)
		errNs := target - cur.at(sampleTSC) // > 0: behind the host
		if errNs > int64(maxStep) {
			start += errNs
			errNs = 0
		}
		errNs = max(min(errNs, period/2), -period/2)
		rate = nsPerCycle * float64(period+errNs) / float64(period)
	}
	mult := uint64(rate * (1 << multShift))
	if mult == 0 {
		mult = 1
	}
	return line{tscBase: now, mult: mult, monoBase: start}
}
