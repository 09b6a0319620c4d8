package mm

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// SpecialPages are memory-file pages that the sentry provides to every
// address space that maps them, the same frames in all of them: the vDSO
// text and its data page (Linux's vm_special_mapping). They belong to
// their creator and are never freed: each frame keeps one reference of its
// own, so a private special VMA that is written to (mprotect, ptrace
// breakpoints) copies the page on the first write, like any private page
// shared after a fork, and the original stays intact for everyone else.
// Immutable after NewSpecialPages.
type SpecialPages struct {
	frames []*frame
}

// NewSpecialPages wraps the n pages of mf at off (allocated and filled by
// the caller, who never frees them).
func NewSpecialPages(mf *pgalloc.MemoryFile, off uint64, n int) *SpecialPages {
	sp := &SpecialPages{frames: make([]*frame, n)}
	for i := range sp.frames {
		sp.frames[i] = newFrame(off + uint64(i)*linux.PageSize)
	}
	return sp
}

// Len returns the size of the pages in bytes.
func (sp *SpecialPages) Len() uintptr { return uintptr(len(sp.frames)) * linux.PageSize }

// MapSpecial maps sp as a new VMA: o says where and how, as for MMap,
// except that File and Offset must be unset and the mapping is anonymous
// in /proc/pid/maps apart from o.Name ("[vdso]", "[vvar]"). The pages are
// entered at once (no fault populates them) and again on a fault after
// madvise(MADV_DONTNEED) drops them. A length beyond sp is EINVAL.
func (m *MemoryManager) MapSpecial(o MMapOpts, sp *SpecialPages) (uintptr, error) {
	if o.File != nil || o.Offset != 0 || o.Length == 0 || o.Length > sp.Len() {
		return 0, errInval
	}
	o.special = sp
	return m.MMap(o)
}

// populateSpecialLocked enters the frames of special VMA v for the pages
// of [start, end) that have none. It reports ENOMEM for pages beyond the
// special pages (a VMA grown by mremap).
func (m *MemoryManager) populateSpecialLocked(v *vma, start, end uintptr) error {
	for a := start; a < end; a += linux.PageSize {
		if _, ok := m.pages[a]; ok {
			continue
		}
		i := v.fileOffset(a) / linux.PageSize
		if i >= uint64(len(v.special.frames)) {
			return errNoMem
		}
		fr := v.special.frames[i]
		fr.Refs.Add(1)
		m.pages[a] = &pageEntry{fr: fr}
	}
	return nil
}
