package kernfs_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// TestProcLike builds a small /proc and reads it through the VFS.
func TestProcLike(t *testing.T) {
	ctx := vfstest.NewCtx(1000, 1000)
	pids := map[string]bool{"1": true, "7": true}
	opens := 0
	pidDir := func(pid string) vfs.Inode {
		return kernfs.NewDir(map[string]vfs.Inode{
			"status": kernfs.NewFile(0o444, func(c vfs.Context) ([]byte, error) {
				opens++
				return []byte(fmt.Sprintf("Pid:\t%s\nUid:\t%d\n", pid, c.UID())), nil
			}),
			"cwd": kernfs.NewStaticSymlink("/"),
		})
	}
	var written []string
	proc := kernfs.NewDynamicDir(
		func(c vfs.Context, name string) (vfs.Inode, error) {
			if pids[name] {
				return pidDir(name), nil
			}
			return nil, unix.ENOENT
		},
		func(c vfs.Context) []vfs.Dirent {
			var out []vfs.Dirent
			for _, p := range []string{"1", "7"} {
				if pids[p] {
					out = append(out, vfs.Dirent{Name: p, Type: vfs.TypeDirectory})
				}
			}
			return out
		})
	proc.Add("self", kernfs.NewSymlink(func(c vfs.Context) string { return strconv.Itoa(int(c.UID()) % 10) }))
	proc.Add("meminfo", kernfs.NewStaticFile("MemTotal: 1 kB\n"))
	proc.Add("oom", kernfs.NewWritableFile(0o644, nil, func(c vfs.Context, d []byte) error {
		written = append(written, string(d))
		return nil
	}))

	v := vfs.New()
	root := v.MountRoot(tmpfs.New(0o755))
	fsctx := vfs.NewFSContext(root)
	none := vfs.VirtualDentry{}
	if err := v.MkdirAt(vfstest.Root(), fsctx, none, "/proc", 0o555); err != nil {
		t.Fatal(err)
	}
	if err := v.Mount(vfstest.Root(), fsctx, "/proc", proc, false); err != nil {
		t.Fatal(err)
	}
	read := func(path string) (string, error) {
		fd, err := v.OpenAt(ctx, fsctx, none, path, unix.O_RDONLY, 0)
		if err != nil {
			return "", err
		}
		defer fd.DecRef()
		b := make([]byte, 100)
		n, err := fd.Read(ctx, b)
		return string(b[:n]), err
	}
	// /proc/self -> "0" for uid 1000; missing pid.
	if _, err := read("/proc/self/status"); err != unix.ENOENT {
		t.Fatalf("self -> 0: %v", err)
	}
	if s, err := read("/proc/7/status"); err != nil || s != "Pid:\t7\nUid:\t1000\n" {
		t.Fatalf("status = %q, %v", s, err)
	}
	if s, _ := read("/proc/meminfo"); s != "MemTotal: 1 kB\n" {
		t.Fatalf("meminfo %q", s)
	}
	// Dynamic children are not cached: a pid that goes away vanishes.
	pids["7"] = false
	if _, err := read("/proc/7/status"); err != unix.ENOENT {
		t.Fatalf("exited pid still visible: %v", err)
	}
	fd, err := v.OpenAt(ctx, fsctx, none, "/proc", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fd.ReadDirents(ctx, func(d vfs.Dirent, _ int64) bool { names = append(names, d.Name); return true })
	fd.DecRef()
	if got := strings.Join(names, ","); got != ".,..,meminfo,oom,self,1" {
		t.Fatalf("readdir /proc = %s", got)
	}
	// Writes reach the write func; read-only files refuse writers.
	fd, err = v.OpenAt(vfstest.Root(), fsctx, none, "/proc/oom", unix.O_WRONLY|unix.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fd.Write(ctx, []byte("-17"))
	fd.DecRef()
	if strings.Join(written, "") != "-17" {
		t.Fatalf("written %q", written)
	}
	if _, err := v.OpenAt(vfstest.Root(), fsctx, none, "/proc/meminfo", unix.O_WRONLY, 0); err != unix.EACCES {
		t.Fatalf("write-open of read-only file: %v", err)
	}
	if err := v.MkdirAt(vfstest.Root(), fsctx, none, "/proc/x", 0o755); err != unix.EACCES {
		t.Fatalf("mkdir in kernfs: %v", err)
	}
	// Paths print through the mount.
	fd, _ = v.OpenAt(ctx, fsctx, none, "/proc/1/status", unix.O_RDONLY, 0)
	if p := v.PathOf(fsctx, *fd.VirtualDentry()); p != "/proc/1/status" {
		t.Fatalf("PathOf = %q", p)
	}
	fd.DecRef()
	if s, err := v.ReadlinkAt(ctx, fsctx, none, "/proc/1/cwd"); err != nil || s != "/" {
		t.Fatalf("readlink = %q %v", s, err)
	}
}

func TestMagicLinks(t *testing.T) {
	ctx := vfstest.Root()
	v := vfs.New()
	root := v.MountRoot(tmpfs.New(0o755))
	fsctx := vfs.NewFSContext(root)
	none := vfs.VirtualDentry{}
	if err := v.MkdirAt(ctx, fsctx, none, "/d", 0o755); err != nil {
		t.Fatal(err)
	}
	file, err := v.OpenAt(ctx, fsctx, none, "/d/f", unix.O_RDWR|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer file.DecRef()
	released := 0
	pipe := vfs.NewFileDescription(fakePipe{&released}, unix.O_RDONLY, nil)
	fdDir := kernfs.NewDir(map[string]vfs.Inode{
		"3": kernfs.NewMagicLink(func(vfs.Context) string { return "/d/f" },
			func(vfs.Context) (*vfs.FileDescription, error) { file.IncRef(); return file, nil }),
		"4": kernfs.NewMagicLink(func(vfs.Context) string { return "pipe:[7]" },
			func(vfs.Context) (*vfs.FileDescription, error) { pipe.IncRef(); return pipe, nil }),
		"dir": kernfs.NewMagicLink(func(vfs.Context) string { return "/d" },
			func(vfs.Context) (*vfs.FileDescription, error) {
				return v.OpenAt(ctx, fsctx, none, "/d", unix.O_RDONLY, 0)
			}),
	})
	if err := v.MkdirAt(ctx, fsctx, none, "/fd", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := v.Mount(ctx, fsctx, "/fd", fdDir, false); err != nil {
		t.Fatal(err)
	}
	// A link to a file with a dentry: its real inode.
	fa, _ := file.Stat(ctx)
	if a, err := v.StatAt(ctx, fsctx, none, "/fd/3", true); err != nil || a.Ino != fa.Ino {
		t.Fatalf("stat /fd/3: %+v %v", a, err)
	}
	// Through a directory link, mid-path.
	if a, err := v.StatAt(ctx, fsctx, none, "/fd/dir/f", true); err != nil || a.Ino != fa.Ino {
		t.Fatalf("stat /fd/dir/f: %+v %v", a, err)
	}
	// A link to a pipe: open gives the same description.
	got, err := v.OpenAt(ctx, fsctx, none, "/fd/4", unix.O_RDONLY, 0)
	if err != nil || got != pipe {
		t.Fatalf("open /fd/4 = %p, %v; want the pipe %p", got, err, pipe)
	}
	got.DecRef()
	if a, err := v.StatAt(ctx, fsctx, none, "/fd/4", true); err != nil || vfs.FileType(a.Mode)&vfs.TypeMask != vfs.TypeFIFO {
		t.Fatalf("stat /fd/4: %+v %v", a, err)
	}
	if s, _ := v.ReadlinkAt(ctx, fsctx, none, "/fd/4"); s != "pipe:[7]" {
		t.Fatalf("readlink /fd/4 = %q", s)
	}
	if _, err := v.StatAt(ctx, fsctx, none, "/fd/4/x", true); err != unix.ENOTDIR {
		t.Fatalf("pipe link as directory: %v", err)
	}
	pipe.DecRef()
	if released != 1 {
		t.Fatalf("pipe released %d times (reference leak or double release)", released)
	}
}

type fakePipe struct{ released *int }

func (fakePipe) Read(vfs.Context, []byte, int64) (int, error)  { return 0, nil }
func (fakePipe) Write(vfs.Context, []byte, int64) (int, error) { return 0, nil }
func (fakePipe) Seekable() bool                                { return false }
func (fakePipe) Ioctl(vfs.Context, vfs.IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}
func (fakePipe) Readiness(m uint32) uint32 { return m }
func (p fakePipe) Release()                { *p.released++ }
