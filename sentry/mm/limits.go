package mm

// Unlimited is a Limits value that bounds nothing (RLIM_INFINITY).
const Unlimited = ^uint64(0)

// Limits bound an address space as the process's resource limits do, in
// bytes: AddressSpace (RLIMIT_AS) every mapping's size, Data (RLIMIT_DATA)
// the private writable mappings that are not stacks and the heap, and
// Stack (RLIMIT_STACK) how far a grows-down mapping grows. Unlimited
// disables a bound.
type Limits struct {
	AddressSpace, Data, Stack uint64
}

// SetLimits sets the bounds that mmap, brk, mremap and stack growth obey
// from now on (the kernel sets them at exec and when the process's limits
// change). Mappings that already exceed them stay.
func (m *MemoryManager) SetLimits(l Limits) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asLimit, m.dataLimit = l.AddressSpace, l.Data
	m.stackLimit = uintptr(min(l.Stack, uint64(^uintptr(0))))
}

// isData says whether a VMA counts toward RLIMIT_DATA, as Linux's
// is_data_mapping: writable, private, not a stack.
func (v *vma) isData() bool { return v.perms.Write && v.private && !v.growsDown }

// mayGrowLocked says whether the address space may grow by size bytes of
// mappings (data says they count as data), minus what is already mapped
// in [start, end) (a MAP_FIXED mapping replaces it; end == start for
// none). It answers ENOMEM when a limit would be passed. With no limit
// set it costs nothing; otherwise one pass over the VMAs.
// Preconditions: m.mu is held.
func (m *MemoryManager) mayGrowLocked(size uint64, data bool, start, end uintptr) error {
	if m.asLimit == Unlimited && (m.dataLimit == Unlimited || !data) {
		return nil
	}
	var total, dataTotal, replaced, replacedData uint64
	for i := range m.vmas {
		v := &m.vmas[i]
		n := uint64(v.end - v.start)
		total += n
		if v.isData() {
			dataTotal += n
		}
		if lo, hi := max(v.start, start), min(v.end, end); lo < hi {
			replaced += uint64(hi - lo)
			if v.isData() {
				replacedData += uint64(hi - lo)
			}
		}
	}
	if total-replaced+size > m.asLimit || total-replaced+size < size {
		return errNoMem
	}
	if data && (dataTotal-replacedData+size > m.dataLimit || dataTotal-replacedData+size < size) {
		return errNoMem
	}
	return nil
}

// mayGrowStackLocked is mayGrowLocked for a stack that grows by size
// bytes: RLIMIT_AS applies (RLIMIT_STACK is checked by the caller).
func (m *MemoryManager) mayGrowStackLocked(size uintptr) bool {
	return m.mayGrowLocked(uint64(size), false, 0, 0) == nil
}
