package proto

// Timespec is seconds and nanoseconds since the epoch. In SetAttr, Nsec may
// be UTIME_NOW or UTIME_OMIT as in utimensat(2).
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Attr is a file's attributes, as the host's stat(2) reports them.
type Attr struct {
	Mode    uint32
	Ino     uint64
	Dev     uint64
	Nlink   uint64
	UID     uint32
	GID     uint32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
}

// AttrSize is the encoded size of an Attr.
const AttrSize = 4 + 8 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 3*16

// PutAttr appends a.
func (e *Encoder) PutAttr(a *Attr) {
	e.U32(a.Mode)
	e.U64(a.Ino)
	e.U64(a.Dev)
	e.U64(a.Nlink)
	e.U32(a.UID)
	e.U32(a.GID)
	e.U64(a.Rdev)
	e.I64(a.Size)
	e.I64(a.Blksize)
	e.I64(a.Blocks)
	e.PutTimespec(a.Atime)
	e.PutTimespec(a.Mtime)
	e.PutTimespec(a.Ctime)
}

// Attr reads an Attr.
func (d *Decoder) Attr() Attr {
	return Attr{
		Mode:    d.U32(),
		Ino:     d.U64(),
		Dev:     d.U64(),
		Nlink:   d.U64(),
		UID:     d.U32(),
		GID:     d.U32(),
		Rdev:    d.U64(),
		Size:    d.I64(),
		Blksize: d.I64(),
		Blocks:  d.I64(),
		Atime:   d.Timespec(),
		Mtime:   d.Timespec(),
		Ctime:   d.Timespec(),
	}
}

// PutTimespec appends t.
func (e *Encoder) PutTimespec(t Timespec) {
	e.I64(t.Sec)
	e.I64(t.Nsec)
}

// Timespec reads a Timespec.
func (d *Decoder) Timespec() Timespec { return Timespec{Sec: d.I64(), Nsec: d.I64()} }

// SetAttr is a change of attributes; Mask (SetAttr* bits) says which apply.
type SetAttr struct {
	Mask  uint32
	Mode  uint32
	UID   uint32
	GID   uint32
	Size  int64
	Atime Timespec
	Mtime Timespec
}

// PutSetAttr appends s.
func (e *Encoder) PutSetAttr(s *SetAttr) {
	e.U32(s.Mask)
	e.U32(s.Mode)
	e.U32(s.UID)
	e.U32(s.GID)
	e.I64(s.Size)
	e.PutTimespec(s.Atime)
	e.PutTimespec(s.Mtime)
}

// SetAttr reads a SetAttr.
func (d *Decoder) SetAttr() SetAttr {
	return SetAttr{
		Mask:  d.U32(),
		Mode:  d.U32(),
		UID:   d.U32(),
		GID:   d.U32(),
		Size:  d.I64(),
		Atime: d.Timespec(),
		Mtime: d.Timespec(),
	}
}

// Dirent is one directory entry of a Getdents response. Off is the cookie
// that continues the listing after this entry.
type Dirent struct {
	Ino  uint64
	Off  uint64
	Type uint8 // DT_* as in getdents64(2)
	Name string
}

// DirentMinSize is the smallest encoded Dirent (empty name).
const DirentMinSize = 8 + 8 + 1 + 4

// Statfs is what statfs(2) reports.
type Statfs struct {
	Type    uint64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	NameLen uint64
	Frsize  int64
}

// PutStatfs appends s.
func (e *Encoder) PutStatfs(s *Statfs) {
	e.U64(s.Type)
	e.I64(s.Bsize)
	e.U64(s.Blocks)
	e.U64(s.Bfree)
	e.U64(s.Bavail)
	e.U64(s.Files)
	e.U64(s.Ffree)
	e.U64(s.NameLen)
	e.I64(s.Frsize)
}

// Statfs reads a Statfs.
func (d *Decoder) Statfs() Statfs {
	return Statfs{
		Type:    d.U64(),
		Bsize:   d.I64(),
		Blocks:  d.U64(),
		Bfree:   d.U64(),
		Bavail:  d.U64(),
		Files:   d.U64(),
		Ffree:   d.U64(),
		NameLen: d.U64(),
		Frsize:  d.I64(),
	}
}
