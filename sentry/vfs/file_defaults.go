package vfs

import "golang.org/x/sys/unix"

// FileDefaults answers the FileImpl methods a file has no use for as Linux
// answers them for a file whose file_operations leave them out: it is
// seekable, has no ioctls (ENOTTY), is always ready for reading and
// writing (DEFAULT_POLLMASK) and holds nothing to release. Embed it in a
// FileImpl and define only what differs.
type FileDefaults struct{}

// Seekable implements FileImpl.Seekable.
func (FileDefaults) Seekable() bool { return true }

// Ioctl implements FileImpl.Ioctl: ENOTTY, as for any file without ioctls.
func (FileDefaults) Ioctl(Context, IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}

// Readiness implements FileImpl.Readiness: always readable and writable.
func (FileDefaults) Readiness(mask uint32) uint32 {
	return mask & (EventReadable | EventWritable)
}

// Release implements FileImpl.Release: nothing to release.
func (FileDefaults) Release() {}

// DirectoryFile is the open file of a directory whose entries the VFS
// lists through Inode.Readdir: read and write fail with EISDIR (Linux's
// generic_read_dir()), the rest is FileDefaults. File systems return it
// from Inode.Open for their directories.
type DirectoryFile struct{ FileDefaults }

var _ FileImpl = DirectoryFile{}

// Read implements FileImpl.Read.
func (DirectoryFile) Read(Context, []byte, int64) (int, error) { return 0, unix.EISDIR }

// Write implements FileImpl.Write.
func (DirectoryFile) Write(Context, []byte, int64) (int, error) { return 0, unix.EISDIR }
