// Package ptrace is the ptrace platform: application threads run in tiny
// stub processes, and every system call, fault and signal they make stops
// them (PTRACE_SYSEMU) and is handed to the sentry.
//
// The design is in README.md. In short: New starts a "template" stub from a
// hand-assembled static ELF (no Go runtime), executed as nobody with no
// capabilities and not dumpable, which confines itself (unmaps everything
// but its own page, no_new_privs, a seccomp filter) and then waits. Each
// NewAddressSpace forks the template by injecting clone() into it. The first task thread that switches into an address space seizes its
// stub and stays its tracer; MapFile and Unmap inject mmap/munmap of the
// memory file into the stub, or of another host file once it has been
// passed into the stub over the stub's own socket (fdpass.go). The
// package registers itself as "ptrace" (constructor.go).
//
// Locking and threads:
//   - Platform.mu guards the set of live address spaces. The factory
//     goroutine, locked to its OS thread for the platform's lifetime, is the
//     template's tracer and the parent of every stub (so PDEATHSIG ties
//     stubs to it).
//   - AddressSpace.mu serialises MapFile, Unmap, the seize and Release.
//     Only the stub's tracer thread injects; calls from other threads are
//     queued and applied by the tracer before it next runs the stub.
//   - A Context belongs to the goroutine that called NewContext (which
//     locks it to its OS thread for good); only Interrupt may be called
//     from other goroutines.
//
// Lock order: Platform.mu is never held while taking AddressSpace.mu.
package ptrace

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cocoon-sandbox/cocoon/platform"
)

var errFilterTooBig = errors.New("stub seccomp filter does not fit in the stub page")

// errReleased is returned by operations on a released platform or address
// space.
var errReleased = errors.New("ptrace platform object already released")

// Platform is the ptrace platform.
type Platform struct {
	// memFD is the memory file's host FD, which every stub holds as
	// stubMemFD. The caller of New owns it.
	memFD int

	// xstateSize is the size of the host's NT_X86_XSTATE register set,
	// learned once from the template.
	xstateSize int

	// cpus spreads contexts over the CPUs (affinity.go).
	cpus *cpuPicker

	// requests feeds the factory goroutine.
	requests chan factoryRequest

	mu sync.Mutex
	// live holds the address spaces not yet released, by stub PID.
	live map[int32]*AddressSpace
	// released is set by Release.
	released bool
}

var (
	_ platform.Platform     = (*Platform)(nil)
	_ platform.AddressSpace = (*AddressSpace)(nil)
	_ platform.Context      = (*Context)(nil)
)

// New starts the platform's stub factory over the memory file memFD, which
// the caller keeps open for the platform's life. It must be called before
// the sandbox process gives up its view of the host file system: it
// executes the stub through /proc/self/fd. Nothing after New needs a host
// path.
func New(memFD int) (*Platform, error) {
	elf, err := buildStubELF()
	if err != nil {
		return nil, fmt.Errorf("building ptrace stub: %w", err)
	}
	p := &Platform{
		cpus:     newCPUPicker(),
		memFD:    memFD,
		requests: make(chan factoryRequest),
		live:     make(map[int32]*AddressSpace),
	}
	ready := make(chan error)
	go p.factory(elf, ready)
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("starting ptrace stub factory: %w", err)
	}
	return p, nil
}

// MinUserAddress implements platform.Platform.
func (p *Platform) MinUserAddress() uintptr { return minUserAddress }

// MaxUserAddress implements platform.Platform: the stub's page starts there.
func (p *Platform) MaxUserAddress() uintptr { return stubBase }

// XStateSize returns the size in bytes of the host's XSAVE area as ptrace
// exposes it; SaveFP returns FP state of this size.
func (p *Platform) XStateSize() int { return p.xstateSize }

// NewAddressSpace implements platform.Platform. It forks a new stub from the
// template, whose leader the factory seizes; each context that switches
// into it gets a thread of its own.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	req := factoryRequest{reply: make(chan factoryReply, 1)}
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return nil, errReleased
	}
	// Sent under mu so Release cannot stop the factory in between.
	p.requests <- req
	p.mu.Unlock()
	r := <-req.reply
	if r.err != nil {
		return nil, fmt.Errorf("creating address space: %w", r.err)
	}
	as := &AddressSpace{p: p, pid: r.pid, regs: r.regs, sock: -1}
	p.mu.Lock()
	if p.released {
		// Release ran while the factory forked: it did not see this one.
		p.mu.Unlock()
		as.Release()
		return nil, errReleased
	}
	p.live[r.pid] = as
	p.mu.Unlock()
	return as, nil
}

// forget drops a released address space.
func (p *Platform) forget(as *AddressSpace) {
	p.mu.Lock()
	delete(p.live, as.pid)
	p.mu.Unlock()
}

// Release implements platform.Platform: it kills and reaps every stub the
// platform still has, the template included, and stops the factory.
func (p *Platform) Release() {
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return
	}
	p.released = true
	live := make([]*AddressSpace, 0, len(p.live))
	for _, as := range p.live {
		live = append(live, as)
	}
	p.mu.Unlock()
	for _, as := range live {
		as.Release()
	}
	done := make(chan factoryReply, 1)
	p.requests <- factoryRequest{stop: true, reply: done}
	<-done
}
