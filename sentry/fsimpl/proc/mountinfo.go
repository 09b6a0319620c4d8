package proc

import (
	"fmt"
	"strings"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// firstMountID is the ID /proc/[pid]/mountinfo gives the first mount it
// lists; the rest follow in mount order. The root's parent is the one
// before it, which is not listed, as with a container's root on Linux.
const firstMountID = 21

// mountinfo is /proc/[pid]/mountinfo (proc(5)): for each mount, "ID
// PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS - FSTYPE SOURCE SUPEROPTIONS",
// in mount order. A mount's parent is the latest earlier mount whose
// mount point holds it; ROOT is "/" but for a bind mount, which shows its
// source's path; each mount gets its own anonymous device 0:N.
// Analogous to fs/proc_namespace.c:show_mountinfo().
func (p *procFS) mountinfo(t *kernel.Task) []byte {
	fsctx := t.FSContext()
	if fsctx == nil {
		return nil
	}
	ms := p.k.VFS().Mounts(fsctx)
	var b strings.Builder
	for i, mi := range ms {
		parent := firstMountID - 1
		for j := i - 1; j >= 0; j-- {
			if mi.Path != ms[j].Path && pathWithin(mi.Path, ms[j].Path) {
				parent = firstMountID + j
				break
			}
		}
		src, typ := mountSourceType(mi)
		opts := mountOptions(mi)
		root := mi.Root
		if root == "" {
			root = "/"
		}
		fmt.Fprintf(&b, "%d %d 0:%d %s %s %s - %s %s %s\n", firstMountID+i, parent, firstMountID+i, escapeMountField(root),
			escapeMountField(mi.Path), opts, escapeMountField(typ), escapeMountField(src), opts[:2])
	}
	return []byte(b.String())
}

// pathWithin says whether path is dir or below it.
func pathWithin(path, dir string) bool {
	return dir == "/" || path == dir || strings.HasPrefix(path, dir+"/")
}

// mountOptions is the per-mount options field of /proc/[pid]/mounts and
// mountinfo: "rw" or "ro", then nosuid, nodev, noexec as set.
func mountOptions(mi vfs.MountInfo) string {
	opts := "rw"
	if mi.ReadOnly {
		opts = "ro"
	}
	for _, f := range []struct {
		set  bool
		name string
	}{{mi.NoSuid, ",nosuid"}, {mi.NoDev, ",nodev"}, {mi.NoExec, ",noexec"}} {
		if f.set {
			opts += f.name
		}
	}
	return opts
}

// mountSourceType is a mount's source and type, "none" where unset.
func mountSourceType(mi vfs.MountInfo) (src, typ string) {
	src, typ = mi.Source, mi.FSType
	if src == "" {
		src = "none"
	}
	if typ == "" {
		typ = "none"
	}
	return src, typ
}

// escapeMountField escapes space, tab, newline and backslash as octal, as
// Linux's mangle() does, so that a field never splits a line.
func escapeMountField(s string) string {
	if !strings.ContainsAny(s, " \t\n\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
