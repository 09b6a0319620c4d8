package mm

import (
	"errors"
	"io"
	"sort"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// frame is one page of the memory file. It is shared between managers when
// a MAP_SHARED anonymous page survives a Fork, and with a tmpfs file whose
// page a MAP_SHARED mapping maps.
type frame = pgalloc.Frame

// pageEntry is one populated application page.
type pageEntry struct {
	fr *frame
	// mapped says the page is mapped in the platform address space, with
	// mappedPerms.
	mapped      bool
	mappedPerms platform.AccessType
}

func newFrame(off uint64) *frame { return pgalloc.NewFrame(off) }

// windowLocked returns the fault-around window of v that contains page pg.
func windowLocked(v *vma, pg uintptr) (start, end uintptr) {
	const w = faultWindow * linux.PageSize
	start = pg &^ (w - 1)
	if start < v.start {
		start = v.start
	}
	end = start + w
	if end < start || end > v.end {
		end = v.end
	}
	return start, end
}

// populateLocked makes sure every page of [start, end), which lies inside v,
// has a frame. Missing pages get one contiguous allocation, filled from v's
// file for file mappings. It reports an error (ENOMEM, or the file's read
// error) without populating anything.
func (m *MemoryManager) populateLocked(v *vma, start, end uintptr) error {
	if v.special != nil {
		return m.populateSpecialLocked(v, start, end)
	}
	var missing []uintptr
	for a := start; a < end; a += linux.PageSize {
		if _, ok := m.pages[a]; !ok {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if src := sharedSource(v); src != nil {
		return m.populateSharedLocked(v, src, missing)
	}
	n := uint64(len(missing)) * linux.PageSize
	base, err := m.mf.Allocate(n)
	if err != nil {
		return errNoMem
	}
	if v.file != nil {
		// One ReadAt per run of consecutive missing pages.
		for i := 0; i < len(missing); {
			j := i + 1
			for j < len(missing) && missing[j] == missing[j-1]+linux.PageSize {
				j++
			}
			buf := m.mf.Slice(base+uint64(i)*linux.PageSize, uint64(j-i)*linux.PageSize)
			if err := readFull(v.file, buf, v.fileOffset(missing[i])); err != nil {
				m.mf.Free(base, n)
				return err
			}
			i = j
		}
	}
	for i, a := range missing {
		m.pages[a] = &pageEntry{fr: newFrame(base + uint64(i)*linux.PageSize)}
	}
	return nil
}

// sharedSource returns the frame source of v's file if v maps it shared.
func sharedSource(v *vma) pgalloc.FrameSource {
	if v.private || v.file == nil {
		return nil
	}
	if fs, ok := v.file.(frameSourcer); ok {
		return fs.FrameSource()
	}
	return nil
}

// populateSharedLocked gives the missing pages (sorted addresses inside
// v, a MAP_SHARED mapping of a file that keeps frames) the file's own
// frames: one SharedFrames call per run of consecutive pages. On an error
// nothing is populated.
func (m *MemoryManager) populateSharedLocked(v *vma, src pgalloc.FrameSource, missing []uintptr) error {
	frames := make([]*frame, len(missing))
	for i := 0; i < len(missing); {
		j := i + 1
		for j < len(missing) && missing[j] == missing[j-1]+linux.PageSize {
			j++
		}
		if err := src.SharedFrames(m.mf, v.fileOffset(missing[i]), frames[i:j], m); err != nil {
			for _, fr := range frames[:i] {
				m.mf.DecRef(fr)
			}
			return err
		}
		i = j
	}
	for i, a := range missing {
		m.pages[a] = &pageEntry{fr: frames[i]}
	}
	if m.frameSources == nil {
		m.frameSources = make(map[any]pgalloc.FrameSource)
	}
	m.frameSources[src.FrameOwner()] = src
	return nil
}

// InvalidateFrames implements pgalloc.FrameMapper: the pages of shared
// mappings of owner at file offsets from on are dropped (and unmapped
// from the platform), so the next access faults and finds them past the
// end of the file.
func (m *MemoryManager) InvalidateFrames(owner any, from uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.vmas {
		v := &m.vmas[i]
		src := sharedSource(v)
		if src == nil || src.FrameOwner() != owner {
			continue
		}
		start := v.start
		if from > v.off {
			if from-v.off >= uint64(v.end-v.start) {
				continue
			}
			start = v.start + uintptr(from-v.off)
		}
		m.unmapPlatformLocked(start, v.end)
		m.releasePagesLocked(start, v.end)
	}
}

// readFull fills buf from f at off. Bytes past the end of the file stay zero
// (Linux would raise SIGBUS on a page wholly past EOF; zero is this
// version's answer).
func readFull(f Mappable, buf []byte, off uint64) error {
	if off > 1<<62 {
		return nil
	}
	done := 0
	for done < len(buf) {
		n, err := f.ReadAt(buf[done:], int64(off)+int64(done))
		done += n
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			clear(buf[done:])
			return nil
		}
		if err != nil {
			clear(buf)
			return err
		}
	}
	return nil
}

// pageAddrsLocked returns the populated page addresses in [start, end), in
// ascending order, choosing the cheaper of walking the range or the map.
func (m *MemoryManager) pageAddrsLocked(start, end uintptr) []uintptr {
	var out []uintptr
	if (end-start)/linux.PageSize <= uintptr(len(m.pages)) {
		for a := start; a < end; a += linux.PageSize {
			if _, ok := m.pages[a]; ok {
				out = append(out, a)
			}
		}
		return out
	}
	for a := range m.pages {
		if a >= start && a < end {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// releasePagesLocked drops the pages of [start, end), returning whether any
// of them was mapped in the platform address space (the caller unmaps).
// Frames whose last reference goes are freed, coalesced into runs.
func (m *MemoryManager) releasePagesLocked(start, end uintptr) bool {
	addrs := m.pageAddrsLocked(start, end)
	anyMapped := false
	var runOff, runLen uint64
	flush := func() {
		if runLen > 0 {
			m.mf.Free(runOff, runLen)
		}
		runLen = 0
	}
	for _, a := range addrs {
		pe := m.pages[a]
		delete(m.pages, a)
		anyMapped = anyMapped || pe.mapped
		if pe.fr.Refs.Add(-1) != 0 {
			continue
		}
		if runLen > 0 && runOff+runLen == pe.fr.Off {
			runLen += linux.PageSize
			continue
		}
		flush()
		runOff, runLen = pe.fr.Off, linux.PageSize
	}
	flush()
	return anyMapped
}

// releaseAllPagesLocked drops every page.
func (m *MemoryManager) releaseAllPagesLocked() {
	if len(m.pages) == 0 {
		return
	}
	m.releasePagesLocked(0, ^uintptr(0)&^(linux.PageSize-1))
	for a, pe := range m.pages { // the last page of the address space, if any
		delete(m.pages, a)
		if pe.fr.Refs.Add(-1) == 0 {
			m.mf.Free(pe.fr.Off, linux.PageSize)
		}
	}
}

// unmapPlatformLocked removes [start, end) from the platform address space
// and marks its pages unmapped. Pages outside any mapping are skipped
// cheaply.
func (m *MemoryManager) unmapPlatformLocked(start, end uintptr) {
	any := false
	for _, a := range m.pageAddrsLocked(start, end) {
		if pe := m.pages[a]; pe.mapped {
			pe.mapped = false
			any = true
		}
	}
	if any {
		m.as.Unmap(start, end-start)
	}
}

// mapRangeLocked maps the populated pages of [start, end) (inside v) into the
// platform address space with v's permissions, one MapFile per run of
// contiguous frames.
func (m *MemoryManager) mapRangeLocked(v *vma, start, end uintptr) error {
	runStart := start
	var runOff uint64
	flush := func(at uintptr) error {
		if at == runStart {
			return nil
		}
		if err := m.as.MapFile(runStart, m.mf.FD(), runOff, at-runStart, v.perms); err != nil {
			return err
		}
		for a := runStart; a < at; a += linux.PageSize {
			pe := m.pages[a]
			pe.mapped, pe.mappedPerms = true, v.perms
		}
		return nil
	}
	for a := start; a < end; a += linux.PageSize {
		pe := m.pages[a]
		if a == runStart {
			runOff = pe.fr.Off
			continue
		}
		if pe.fr.Off != runOff+uint64(a-runStart) {
			if err := flush(a); err != nil {
				return err
			}
			runStart, runOff = a, pe.fr.Off
		}
	}
	return flush(end)
}

// breakCOWLocked gives v's private pages in [start, end) that are still
// shared with another manager (after Fork) their own copies, in one
// contiguous allocation. Pages present in the platform are unmapped first
// so no stale mapping of the shared frame survives. No-op for shared VMAs.
func (m *MemoryManager) breakCOWLocked(v *vma, start, end uintptr) error {
	if !v.private {
		return nil
	}
	var shared []uintptr
	for a := start; a < end; a += linux.PageSize {
		if pe, ok := m.pages[a]; ok && pe.fr.Refs.Load() > 1 {
			shared = append(shared, a)
		}
	}
	if len(shared) == 0 {
		return nil
	}
	base, err := m.mf.Allocate(uint64(len(shared)) * linux.PageSize)
	if err != nil {
		return errNoMem
	}
	unmapFrom, unmapTo := uintptr(0), uintptr(0)
	for i, a := range shared {
		pe := m.pages[a]
		off := base + uint64(i)*linux.PageSize
		copy(m.mf.Slice(off, linux.PageSize), m.mf.Slice(pe.fr.Off, linux.PageSize))
		if pe.fr.Refs.Add(-1) == 0 {
			// The other holder let go meanwhile.
			m.mf.Free(pe.fr.Off, linux.PageSize)
		}
		pe.fr = newFrame(off)
		if pe.mapped {
			if unmapTo == 0 {
				unmapFrom = a
			}
			unmapTo = a + linux.PageSize
			pe.mapped = false
		}
	}
	if unmapTo != 0 {
		m.as.Unmap(unmapFrom, unmapTo-unmapFrom)
		// Pages in between that were mapped are unmapped too.
		for a := unmapFrom; a < unmapTo; a += linux.PageSize {
			if pe, ok := m.pages[a]; ok {
				pe.mapped = false
			}
		}
	}
	return nil
}
