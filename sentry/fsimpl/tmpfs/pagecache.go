package tmpfs

import (
	"errors"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// The page cache of a regular file: the pages that MAP_SHARED mappings
// map (SharedFrames) live in memory-file frames that the file and the
// address spaces share, so that stores through a mapping are the file's
// content and write(2) shows through every mapping, in every process. A
// page with a frame is authoritative there and data's copy of it is
// stale; Read and Write go through spansLocked, which picks the right one
// per page. The file remembers who maps its frames (mappers), and a
// truncation tells them to drop the pages past the new end. When the file's last open ends no mapping of it can remain
// (a mapping holds an open file), so the frames go back into data then.
//
// Cost: one Allocate and one page copy per page on its first shared
// fault, none afterwards; reads and writes of a file without frames take
// the old single-copy path.

// errPastEOF answers SharedFrames for a page wholly past the end of the
// file: the fault becomes SIGBUS, as on Linux.
var errPastEOF = errors.New("tmpfs: page past the end of the file")

const pageSize = linux.PageSize

// SharedFrames implements pgalloc.FrameSource.
func (f *regularFile) SharedFrames(mf *pgalloc.MemoryFile, off uint64, frames []*pgalloc.Frame, mapper pgalloc.FrameMapper) error {
	i := f.inode
	i.mu.Lock()
	defer i.mu.Unlock()
	size := uint64(len(i.data))
	if off%pageSize != 0 || off >= size || uint64(len(frames)) > (size-off+pageSize-1)/pageSize {
		return errPastEOF
	}
	if i.cacheMF != nil && i.cacheMF != mf {
		return errors.New("tmpfs: frames of one file asked for by two memory files")
	}
	i.cacheMF = mf
	if i.cache == nil {
		i.cache = make(map[int64]*pgalloc.Frame)
	}
	if mapper != nil {
		if i.mappers == nil {
			i.mappers = make(map[pgalloc.FrameMapper]struct{})
		}
		i.mappers[mapper] = struct{}{}
	}
	first := int64(off / pageSize)
	for k := range frames {
		pg := first + int64(k)
		fr, ok := i.cache[pg]
		if !ok {
			at, err := mf.Allocate(pageSize)
			if err != nil {
				for _, taken := range frames[:k] {
					mf.DecRef(taken)
				}
				return err
			}
			start := pg * pageSize
			copy(mf.Slice(at, pageSize), i.data[start:min(start+pageSize, int64(len(i.data)))])
			fr = pgalloc.NewFrame(at)
			i.cache[pg] = fr
		}
		fr.Refs.Add(1)
		frames[k] = fr
	}
	return nil
}

// FrameOwner implements pgalloc.FrameSource: the inode, whichever open
// of it the mapping came through.
func (f *regularFile) FrameOwner() any { return f.inode }

// ForgetMapper implements pgalloc.FrameSource.
func (f *regularFile) ForgetMapper(m pgalloc.FrameMapper) {
	i := f.inode
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.mappers, m)
}

// invalidateMappers tells every mapper that the file's pages from size on
// are gone (after a truncation), so that their next access faults and
// raises SIGBUS as on Linux. Called without i.mu: mappers take their own
// locks, which a fault holds before i.mu.
func (i *inode) invalidateMappers(size int64) {
	i.mu.RLock()
	mappers := make([]pgalloc.FrameMapper, 0, len(i.mappers))
	for m := range i.mappers {
		mappers = append(mappers, m)
	}
	i.mu.RUnlock()
	from := (uint64(size) + pageSize - 1) &^ (pageSize - 1)
	for _, m := range mappers {
		m.InvalidateFrames(i, from)
	}
}

// spansLocked calls fn for each piece of [off, off+n) that lies in one
// page, with the bytes that hold it: the page's frame if it has one, else
// data (done is how far into the range the piece starts). Preconditions:
// i.mu held; off+n <= len(data).
func (i *inode) spansLocked(off int64, n int, fn func(b []byte, done int)) {
	if len(i.cache) == 0 {
		fn(i.data[off:off+int64(n)], 0)
		return
	}
	for done := 0; done < n; {
		pos := off + int64(done)
		in := pos % pageSize
		chunk := int(min(int64(n-done), pageSize-in))
		if fr, ok := i.cache[pos/pageSize]; ok {
			fn(i.cacheMF.Slice(fr.Off+uint64(in), uint64(chunk)), done)
		} else {
			fn(i.data[pos:pos+int64(chunk)], done)
		}
		done += chunk
	}
}

// resizeCacheLocked follows a size change from old to size: frames of
// pages wholly past the new end are dropped (a mapping that still holds
// one keeps a page that is no longer the file's; Linux would unmap it),
// and the bytes of the last page past the smaller of the two ends read as
// zeros, whatever a mapping stored there. Preconditions: i.mu held.
func (i *inode) resizeCacheLocked(old, size int64) {
	if len(i.cache) == 0 {
		return
	}
	for pg, fr := range i.cache {
		if pg*pageSize >= size {
			delete(i.cache, pg)
			i.cacheMF.DecRef(fr)
		}
	}
	end := min(old, size)
	if in := end % pageSize; in != 0 {
		if fr, ok := i.cache[end/pageSize]; ok {
			clear(i.cacheMF.Slice(fr.Off+uint64(in), uint64(pageSize-in)))
		}
	}
}

// writeBackCacheLocked copies every frame's page into data and drops the
// frames: the file's last open has ended. Preconditions: i.mu held.
func (i *inode) writeBackCacheLocked() {
	for pg, fr := range i.cache {
		start := pg * pageSize
		copy(i.data[start:min(start+pageSize, int64(len(i.data)))], i.cacheMF.Slice(fr.Off, pageSize))
		i.cacheMF.DecRef(fr)
	}
	i.cache, i.cacheMF, i.mappers = nil, nil, nil
}
