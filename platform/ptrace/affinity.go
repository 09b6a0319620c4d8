package ptrace

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Keeping a stub and its tracer on one CPU.
//
// Every system call the application makes is two handoffs between the
// stub and its tracer thread (the ptrace stop wakes the tracer; the resume
// wakes the stub). On virtual machines a wake-up on another CPU costs tens
// of microseconds (an IPI to another vCPU), while a switch between two
// threads of one CPU costs a few; left alone, the scheduler moves a woken
// thread to an idle CPU, so the two keep landing on different ones. So
// each context pins its tracer thread to one CPU, chosen round-robin among
// those the sandbox may use, and pins every stub it runs to the same CPU.
// Several contexts spread over the CPUs; a context blocked in the sentry
// uses none. A stub runs as another user and the sentry lacks
// CAP_SYS_NICE, so the stub pins itself: the tracer injects
// sched_setaffinity(0, 8, &mask) with a mask from the table in the stub's
// page (stub.go), once per stub and CPU.

// noCPU marks a context or stub that is not pinned.
const noCPU = -1

// cpuPicker hands out CPUs round-robin.
type cpuPicker struct {
	cpus []int32
	next atomic.Uint32
}

// newCPUPicker returns a picker over the CPUs the process may run on that
// the stub's mask table covers (none if they cannot be read, or there is
// only one: then nothing is pinned).
func newCPUPicker() *cpuPicker {
	var set unix.CPUSet
	p := &cpuPicker{}
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return p
	}
	for cpu := 0; cpu < maxPinnedCPUs; cpu++ {
		if set.IsSet(cpu) {
			p.cpus = append(p.cpus, int32(cpu))
		}
	}
	if len(p.cpus) < 2 {
		p.cpus = nil
	}
	return p
}

// pick returns the next CPU, or noCPU.
func (p *cpuPicker) pick() int32 {
	if len(p.cpus) == 0 {
		return noCPU
	}
	n := p.next.Add(1) - 1
	return p.cpus[int(n)%len(p.cpus)]
}

// pinCaller pins the calling thread to cpu. Failure (a CPU set that
// forbids it) only costs speed, so it is ignored.
func pinCaller(cpu int32) {
	if cpu == noCPU {
		return
	}
	var set unix.CPUSet
	set.Set(int(cpu))
	unix.SchedSetaffinity(0, &set)
}

// pinStub makes the stub thread tid, stopped and traced by the caller,
// pin itself to cpu. A failure only costs speed.
func (c *Context) pinStub(tid int32, cpu int32) {
	if cpu == noCPU {
		return
	}
	// Injection edits the stub's current registers (valid segments).
	if e := getRegs(tid, &c.regs); e != 0 {
		return
	}
	args := [6]uint64{0, 8, stubBase + cpuMasksOffset + 8*uint64(cpu)}
	injectSyscall(tid, &c.regs, &c.status, syscallSiteRIP, syscallTrapRIP, unix.SYS_SCHED_SETAFFINITY, args)
}
