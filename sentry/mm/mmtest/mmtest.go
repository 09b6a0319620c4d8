// Package mmtest provides a fake platform for tests of the memory manager
// and its users (the loader): address spaces that record MapFile and Unmap
// calls and the resulting page table, without running anything.
//
// Locking: AddressSpace.mu guards its records; Platform is immutable.
package mmtest

import (
	"fmt"
	"sync"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
)

// Platform is a fake platform.Platform making AddressSpaces.
type Platform struct {
	Min, Max uintptr

	mu sync.Mutex
	// Spaces lists every address space created, in order.
	Spaces []*AddressSpace
}

// NewPlatform returns a platform with Linux's x86-64 bounds
// ([0x10000, linux.TaskSize)).
func NewPlatform() *Platform { return &Platform{Min: 0x10000, Max: linux.TaskSize} }

// MinUserAddress implements platform.Platform.
func (p *Platform) MinUserAddress() uintptr { return p.Min }

// MaxUserAddress implements platform.Platform.
func (p *Platform) MaxUserAddress() uintptr { return p.Max }

// NewAddressSpace implements platform.Platform.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	as := &AddressSpace{Pages: make(map[uintptr]Mapping)}
	p.mu.Lock()
	p.Spaces = append(p.Spaces, as)
	p.mu.Unlock()
	return as, nil
}

// NewContext implements platform.Platform; the fake cannot run threads.
func (p *Platform) NewContext() (platform.Context, error) {
	return nil, fmt.Errorf("mmtest platform cannot run threads")
}

// NeedsLockedThread implements platform.Platform.
func (p *Platform) NeedsLockedThread() bool { return false }

// Release implements platform.Platform.
func (p *Platform) Release() {}

// Mapping is what one page of a fake address space maps.
type Mapping struct {
	FD    int
	Off   uint64
	Perms platform.AccessType
}

// Call records one MapFile or Unmap.
type Call struct {
	Unmap  bool
	Addr   uintptr
	FD     int
	Off    uint64
	Length uintptr
	Perms  platform.AccessType
}

// AddressSpace is a fake platform.AddressSpace.
type AddressSpace struct {
	mu       sync.Mutex
	Calls    []Call
	Pages    map[uintptr]Mapping
	Released bool
}

// MapFile implements platform.AddressSpace.
func (as *AddressSpace) MapFile(addr uintptr, fd int, off uint64, length uintptr, at platform.AccessType) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if addr%linux.PageSize != 0 || length%linux.PageSize != 0 || off%linux.PageSize != 0 || length == 0 {
		return fmt.Errorf("unaligned MapFile(%#x, %#x, %#x)", addr, off, length)
	}
	as.Calls = append(as.Calls, Call{Addr: addr, FD: fd, Off: off, Length: length, Perms: at})
	for a := uintptr(0); a < length; a += linux.PageSize {
		as.Pages[addr+a] = Mapping{FD: fd, Off: off + uint64(a), Perms: at}
	}
	return nil
}

// Unmap implements platform.AddressSpace.
func (as *AddressSpace) Unmap(addr uintptr, length uintptr) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.Calls = append(as.Calls, Call{Unmap: true, Addr: addr, Length: length})
	for a := range as.Pages {
		if a >= addr && a-addr < length {
			delete(as.Pages, a)
		}
	}
}

// Release implements platform.AddressSpace.
func (as *AddressSpace) Release() {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.Released = true
}

// Lookup returns what page addr maps, if anything.
func (as *AddressSpace) Lookup(addr uintptr) (Mapping, bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	m, ok := as.Pages[addr&^(linux.PageSize-1)]
	return m, ok
}

// TakeCalls returns the calls recorded since the last TakeCalls.
func (as *AddressSpace) TakeCalls() []Call {
	as.mu.Lock()
	defer as.mu.Unlock()
	c := as.Calls
	as.Calls = nil
	return c
}
