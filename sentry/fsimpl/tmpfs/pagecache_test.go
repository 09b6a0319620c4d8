package tmpfs

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// recordingMapper records the invalidations a file sends it.
type recordingMapper struct {
	owners []any
	froms  []uint64
}

func (r *recordingMapper) InvalidateFrames(owner any, from uint64) {
	r.owners = append(r.owners, owner)
	r.froms = append(r.froms, from)
}

// TestSharedFrames checks the page cache: a frame handed out is the
// file's content both ways, the end of the file bounds it, truncation
// drops and zeroes what lies past the end and tells the mappers, and the last close takes the
// frames back into the data and frees them.
func TestSharedFrames(t *testing.T) {
	ctx := vfstest.NewCtx(0, 0)
	mf, err := pgalloc.New("tmpfs-test")
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	root := New(0o755)
	ino, err := root.Create(ctx, "f", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	impl, err := ino.Open(ctx, unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	file := impl.(*regularFile)
	if _, err := file.Write(ctx, bytes.Repeat([]byte("a"), 2*pageSize+100), 0); err != nil {
		t.Fatal(err)
	}
	used := mf.Used()

	mapper := &recordingMapper{}
	frames := make([]*pgalloc.Frame, 3)
	if err := file.SharedFrames(mf, 0, frames, mapper); err != nil {
		t.Fatalf("SharedFrames of the file's 3 pages: %v", err)
	}
	if got := mf.Used() - used; got != 3*pageSize {
		t.Errorf("memory file grew by %d bytes, want 3 pages", got)
	}
	if err := file.SharedFrames(mf, 3*pageSize, make([]*pgalloc.Frame, 1), mapper); err == nil {
		t.Error("SharedFrames of a page wholly past the end succeeded")
	}
	// A store through the frame is the file's content...
	copy(mf.Slice(frames[1].Off+5, 3), "map")
	buf := make([]byte, 3)
	if _, err := file.Read(ctx, buf, pageSize+5); err != nil || string(buf) != "map" {
		t.Errorf("read after a store through the frame: %q, %v", buf, err)
	}
	// ...and a write shows in the frame, across a page boundary.
	if _, err := file.Write(ctx, []byte("xyz"), pageSize-1); err != nil {
		t.Fatal(err)
	}
	if string(mf.Slice(frames[0].Off+pageSize-1, 1)) != "x" || string(mf.Slice(frames[1].Off, 2)) != "yz" {
		t.Error("a write did not reach the frames")
	}
	// The same page gets the same frame.
	again := make([]*pgalloc.Frame, 1)
	if err := file.SharedFrames(mf, pageSize, again, nil); err != nil || again[0] != frames[1] {
		t.Errorf("second SharedFrames of page 1: %v, same frame %v", err, again[0] == frames[1])
	}
	mf.DecRef(again[0])

	// Truncating into page 1 drops page 2's frame from the file and
	// zeroes page 1 past the end.
	if err := ino.SetAttr(ctx, vfs.SetAttr{Mask: vfs.SetSize, Size: pageSize + 10}); err != nil {
		t.Fatal(err)
	}
	if len(mapper.froms) != 1 || mapper.owners[0] != file.FrameOwner() || mapper.froms[0] != 2*pageSize {
		t.Errorf("truncation told the mapper %v from %v, want once, from page 2", mapper.owners, mapper.froms)
	}
	if frames[2].Refs.Load() != 1 {
		t.Errorf("page 2's frame has %d references after truncation, want the mapping's only", frames[2].Refs.Load())
	}
	if !bytes.Equal(mf.Slice(frames[1].Off+10, pageSize-10), make([]byte, pageSize-10)) {
		t.Error("page 1 past the new end is not zero")
	}
	for _, fr := range frames {
		mf.DecRef(fr) // the mapping goes away
	}
	// The last close writes the frames back and frees them.
	file.Release()
	if got := mf.Used(); got != used {
		t.Errorf("memory file holds %d bytes after the last close, want %d", got, used)
	}
	impl, err = ino.Open(ctx, unix.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer impl.Release()
	got := make([]byte, pageSize+20)
	n, _ := impl.Read(ctx, got, 0)
	want := append(bytes.Repeat([]byte("a"), pageSize-1), []byte("xyzaaamapaa")...)
	if n != pageSize+10 || !bytes.Equal(got[:n], want) {
		t.Errorf("content after write-back: %d bytes, tail %q, want %d bytes, tail %q", n, got[pageSize-2:n], pageSize+10, want[pageSize-2:])
	}
}
