package vfs

import "golang.org/x/sys/unix"

// AttrFromStat converts a host stat(2) result, for file systems backed by
// host files (host FDs, the gofer).
func AttrFromStat(st *unix.Stat_t) Attr {
	return Attr{
		Mode: st.Mode, Ino: st.Ino, Dev: st.Dev, Nlink: st.Nlink,
		UID: st.Uid, GID: st.Gid, Rdev: st.Rdev, Size: st.Size,
		Blksize: st.Blksize, Blocks: st.Blocks,
		Atime: Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime: Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime: Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}
}

// StatfsFromHost converts a host statfs(2) result.
func StatfsFromHost(s *unix.Statfs_t) Statfs {
	return Statfs{
		Type: uint64(s.Type), Bsize: s.Bsize, Blocks: s.Blocks, Bfree: s.Bfree,
		Bavail: s.Bavail, Files: s.Files, Ffree: s.Ffree, NameLen: uint64(s.Namelen),
		Frsize: s.Frsize,
	}
}
