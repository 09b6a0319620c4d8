package gofer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/fsgofer/gofertest"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"github.com/cocoon-sandbox/cocoon/fsgofer/server"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/gofer"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// fakeCtx is a vfs.Context that is never interrupted.
type fakeCtx struct{ uid, gid uint32 }

func (c fakeCtx) UID() uint32                    { return c.uid }
func (c fakeCtx) GID() uint32                    { return c.gid }
func (c fakeCtx) Block(ch <-chan struct{}) error { <-ch; return nil }
func (c fakeCtx) Interrupted() <-chan struct{}   { return nil }

var ctx = fakeCtx{}

// mount serves dir with the real server and returns the root Inode.
func mount(t *testing.T, dir string, readOnly bool) vfs.Inode {
	t.Helper()
	return mountWith(t, dir, readOnly, gofer.Options{})
}

// mountWith is mount with options.
func mountWith(t *testing.T, dir string, readOnly bool, opts gofer.Options) vfs.Inode {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(fds[0], dir, readOnly)
		unix.Close(fds[0])
	}()
	root, err := gofer.NewFilesystemWithOptions(fds[1], opts)
	if err != nil {
		t.Fatalf("NewFilesystem: %v", err)
	}
	t.Cleanup(func() {
		// The client owns fds[1]; shut the connection down under it so
		// Serve ends.
		unix.Shutdown(fds[1], unix.SHUT_RDWR)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return root
}

func walk(t *testing.T, root vfs.Inode, names ...string) vfs.Inode {
	t.Helper()
	cur := root
	for _, n := range names {
		next, err := cur.Lookup(ctx, n)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", n, err)
		}
		cur = next
	}
	return cur
}

func read(t *testing.T, ino vfs.Inode) string {
	t.Helper()
	f, err := ino.Open(ctx, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Release()
	buf := make([]byte, 4096)
	n, err := f.Read(ctx, buf, 0)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return string(buf[:n])
}

func TestLookupStatOpenRead(t *testing.T) {
	dir := t.TempDir()
	gofertest.Tree(t, dir, "a/b/file", "a/link -> b/file")
	root := mount(t, dir, false)
	f := walk(t, root, "a", "b", "file")
	attr, err := f.Stat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Lstat(filepath.Join(dir, "a/b/file"), &st)
	want := vfs.Attr{
		Mode: st.Mode, Ino: st.Ino, Dev: st.Dev, Nlink: st.Nlink, UID: st.Uid, GID: st.Gid,
		Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atime: vfs.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime: vfs.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime: vfs.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}
	if attr != want {
		t.Errorf("Stat = %+v\nhost   %+v", attr, want)
	}
	if got := read(t, f); got != "file" {
		t.Errorf("read %q", got)
	}
	fl, _ := f.Open(ctx, unix.O_RDONLY)
	defer fl.Release()
	buf := make([]byte, 2)
	if n, err := fl.Read(ctx, buf, 2); err != nil || string(buf[:n]) != "le" {
		t.Errorf("Read at offset 2 = %q, %v", buf[:n], err)
	}
	if n, err := fl.Read(ctx, buf, 100); n != 0 || err != nil {
		t.Errorf("Read past EOF = %d, %v", n, err)
	}
	if !fl.Seekable() || fl.Readiness(unix.POLLIN|unix.POLLPRI) != unix.POLLIN {
		t.Errorf("Seekable/Readiness wrong")
	}
	if _, err := fl.Ioctl(ctx, nil, unix.TCGETS, 0); err != unix.ENOTTY {
		t.Errorf("Ioctl = %v, want ENOTTY", err)
	}
	if hf, ok := fl.(*gofer.File); !ok || hf.HostFD() < 0 {
		t.Errorf("opened file has no host FD")
	}
	if again := walk(t, root, "a", "b", "file"); again != f {
		t.Errorf("second Lookup returned a different Inode")
	}
	if _, err := root.Lookup(ctx, "missing"); err != unix.ENOENT {
		t.Errorf("Lookup(missing) = %v, want ENOENT", err)
	}
	if _, err := f.Lookup(ctx, "x"); err != unix.ENOTDIR {
		t.Errorf("Lookup in a file = %v, want ENOTDIR", err)
	}
	l := walk(t, root, "a", "link")
	if target, err := l.Readlink(ctx); err != nil || target != "b/file" {
		t.Errorf("Readlink = %q, %v", target, err)
	}
	if _, err := l.Open(ctx, unix.O_RDONLY); err != unix.ELOOP {
		t.Errorf("Open(symlink) = %v, want ELOOP", err)
	}
	d := walk(t, root, "a")
	df, err := d.Open(ctx, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open(dir): %v", err)
	}
	if _, err := df.Read(ctx, buf, 0); err != unix.EISDIR {
		t.Errorf("Read(dir) = %v, want EISDIR", err)
	}
	df.Release()
	if _, err := d.Open(ctx, unix.O_WRONLY); err != unix.EISDIR {
		t.Errorf("Open(dir, O_WRONLY) = %v, want EISDIR", err)
	}
	if _, err := root.StatFS(ctx); err != nil {
		t.Errorf("StatFS: %v", err)
	}
}

func TestReaddir(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := 0; i < 2000; i++ {
		name := fmt.Sprintf("entry-%05d-%060d", i, i)
		want = append(want, name)
		gofertest.Tree(t, dir, "d/"+name)
	}
	gofertest.Tree(t, dir, "d/z/", "d/zl -> x")
	want = append(want, "z", "zl")
	root := mount(t, dir, false)
	ents, err := walk(t, root, "d").Readdir(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name)
		wantType := vfs.TypeRegular
		switch e.Name {
		case "z":
			wantType = vfs.TypeDirectory
		case "zl":
			wantType = vfs.TypeSymlink
		}
		if e.Type != wantType {
			t.Errorf("%s: type %#o, want %#o", e.Name, e.Type, wantType)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Readdir listed %d entries, want %d", len(got), len(want))
	}
}

func TestMutations(t *testing.T) {
	dir := t.TempDir()
	gofertest.Tree(t, dir, "d/", "e/")
	root := mount(t, dir, false)
	d := walk(t, root, "d")
	e := walk(t, root, "e")
	uctx := fakeCtx{uid: 1000, gid: 1001}

	f, err := d.Create(uctx, "f", 0o640)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if c, _ := d.Lookup(ctx, "f"); c != f {
		t.Errorf("Lookup after Create returned a different Inode")
	}
	fl, err := f.Open(ctx, unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := fl.Write(ctx, []byte("hello"), 0); n != 5 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	fl.Release()
	if b, _ := os.ReadFile(filepath.Join(dir, "d/f")); string(b) != "hello" {
		t.Errorf("host file holds %q", b)
	}
	a, _ := f.Stat(ctx)
	if a.Mode != unix.S_IFREG|0o640 || a.Size != 5 || (os.Geteuid() == 0 && (a.UID != 1000 || a.GID != 1001)) {
		t.Errorf("created file: mode %#o size %d owner %d:%d", a.Mode, a.Size, a.UID, a.GID)
	}
	if _, err := d.Create(ctx, "f", 0o644); err != unix.EEXIST {
		t.Errorf("Create(existing) = %v, want EEXIST", err)
	}

	sub, err := d.Mkdir(ctx, "sub", 0o755)
	if err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	if a, _ := sub.Stat(ctx); a.Mode != unix.S_IFDIR|0o755 {
		t.Errorf("Mkdir mode %#o", a.Mode)
	}
	if _, err := d.Symlink(ctx, "sl", "f"); err != nil {
		t.Errorf("Symlink: %v", err)
	}
	if _, err := d.Mknod(ctx, "fifo", unix.S_IFIFO|0o600, 0); err != nil {
		t.Errorf("Mknod(FIFO): %v", err)
	}
	if _, err := d.Mknod(ctx, "null", unix.S_IFCHR|0o600, 0x103); err != unix.EPERM {
		t.Errorf("Mknod(char) = %v, want EPERM", err)
	}
	if err := e.Link(ctx, "hard", f); err != nil {
		t.Errorf("Link: %v", err)
	}
	if a, _ := f.Stat(ctx); a.Nlink != 2 {
		t.Errorf("nlink = %d after Link, want 2", a.Nlink)
	}
	if err := e.Link(ctx, "x", sub); err != unix.EPERM {
		t.Errorf("Link(dir) = %v, want EPERM", err)
	}

	// Rename moves the cached Inode; the file stays usable through it.
	if err := d.Rename(ctx, "f", e, "g"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if _, err := d.Lookup(ctx, "f"); err != unix.ENOENT {
		t.Errorf("Lookup(old name) = %v, want ENOENT", err)
	}
	if g, _ := e.Lookup(ctx, "g"); g != f {
		t.Errorf("Lookup(new name) returned a different Inode")
	}
	if got := read(t, f); got != "hello" {
		t.Errorf("renamed file reads %q", got)
	}

	if err := f.SetAttr(ctx, vfs.SetAttr{Mask: vfs.SetSize | vfs.SetMode | vfs.SetMtime, Size: 2, Mode: 0o600, Mtime: vfs.Timespec{Sec: 12345}}); err != nil {
		t.Errorf("SetAttr: %v", err)
	}
	if a, _ := f.Stat(ctx); a.Size != 2 || a.Mode != unix.S_IFREG|0o600 || a.Mtime.Sec != 12345 {
		t.Errorf("after SetAttr: size %d mode %#o mtime %d", a.Size, a.Mode, a.Mtime.Sec)
	}

	if err := e.Unlink(ctx, "hard"); err != nil {
		t.Errorf("Unlink: %v", err)
	}
	if err := d.Rmdir(ctx, "sub"); err != nil {
		t.Errorf("Rmdir: %v", err)
	}
	if _, err := d.Lookup(ctx, "sub"); err != unix.ENOENT {
		t.Errorf("Lookup after Rmdir = %v, want ENOENT", err)
	}
	if err := root.Rmdir(ctx, "e"); err != unix.ENOTEMPTY {
		t.Errorf("Rmdir(non-empty) = %v, want ENOTEMPTY", err)
	}
	if err := d.Rename(ctx, "sl", foreign{}, "x"); err != unix.EXDEV {
		t.Errorf("Rename to a foreign Inode = %v, want EXDEV", err)
	}
	if err := d.Link(ctx, "x", foreign{}); err != unix.EXDEV {
		t.Errorf("Link to a foreign Inode = %v, want EXDEV", err)
	}
}

// foreign is an Inode of another file system.
type foreign struct{ vfs.Inode }

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	gofertest.Tree(t, dir, "f")
	root := mount(t, dir, true)
	if !root.(*gofer.Inode).ReadOnly() {
		t.Errorf("ReadOnly() = false for a read-only gofer")
	}
	if _, err := root.Create(ctx, "new", 0o644); err != unix.EROFS {
		t.Errorf("Create = %v, want EROFS", err)
	}
	f := walk(t, root, "f")
	if _, err := f.Open(ctx, unix.O_WRONLY); err != unix.EROFS {
		t.Errorf("Open(O_WRONLY) = %v, want EROFS", err)
	}
	if got := read(t, f); got != "f" {
		t.Errorf("read %q", got)
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	gofertest.Tree(t, dir, "a", "b", "c")
	root := mount(t, dir, false)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				name := string(rune('a' + i%3))
				ino, err := root.Lookup(ctx, name)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := ino.Stat(ctx); err != nil {
					t.Error(err)
					return
				}
				f, err := ino.Open(ctx, unix.O_RDONLY)
				if err != nil {
					t.Error(err)
					return
				}
				buf := make([]byte, 4)
				if n, _ := f.Read(ctx, buf, 0); string(buf[:n]) != name {
					t.Errorf("read %q from %s", buf[:n], name)
				}
				f.Release()
			}
		}()
	}
	wg.Wait()
}

// TestFIDsReleased checks that collected Inodes have their FIDs closed on
// the gofer, whose O_PATH FDs (in this process) then go away.
func TestFIDsReleased(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 200; i++ {
		gofertest.Tree(t, dir, fmt.Sprintf("f%d", i))
	}
	root := mount(t, dir, false)
	before := gofertest.CountFDs(t)
	func() {
		// Keep the inodes alive until the FDs are counted: a GC in
		// between would already release some (which is the point, but
		// later).
		inodes := make([]vfs.Inode, 0, 200)
		for i := 0; i < 200; i++ {
			in, err := root.Lookup(ctx, fmt.Sprintf("f%d", i))
			if err != nil {
				t.Fatal(err)
			}
			inodes = append(inodes, in)
		}
		if held := gofertest.CountFDs(t); held < before+200 {
			t.Fatalf("gofer holds %d FDs for 200 walked files, want >= %d", held, before+200)
		}
		runtime.KeepAlive(inodes)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		if gofertest.CountFDs(t) <= before+5 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("FDs still open after GC: %d, was %d before lookups", gofertest.CountFDs(t), before)
}

// TestHostileGofer checks that garbage from the gofer becomes EIO, never a
// panic or a hang.
func TestHostileGofer(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	replies := [][]byte{
		attachReply(),
		{byte(proto.OpWalk), 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, // walk: count 65535, no data
	}
	go func() {
		buf := make([]byte, proto.MaxMessageSize)
		oob := make([]byte, proto.OOBSize)
		for _, r := range replies {
			if n, _, err := proto.Recv(fds[0], buf, oob); err != nil || n < proto.HeaderSize {
				return
			}
			copy(r[2:4], buf[2:4]) // the request's tag
			proto.Send(fds[0], r, -1)
		}
	}()
	root, err := gofer.NewFilesystem(fds[1])
	if err != nil {
		t.Fatalf("NewFilesystem: %v", err)
	}
	if _, err := root.Lookup(ctx, "x"); err != unix.EIO {
		t.Errorf("Lookup with a malformed reply = %v, want EIO", err)
	}
	// The client is now broken: later calls fail at once with EIO (Stat
	// would answer from the attribute cache).
	if _, err := root.StatFS(ctx); err != unix.EIO {
		t.Errorf("StatFS after a protocol violation = %v, want EIO", err)
	}
}

func attachReply() []byte {
	var e proto.Encoder
	e.Reset(proto.OpAttach, 0)
	e.U64(1)
	e.PutAttr(&proto.Attr{Mode: unix.S_IFDIR | 0o755})
	e.U32(0)
	return e.Bytes()
}
