package gofertest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// Run runs the whole conformance suite against serve.
func Run(t *testing.T, serve ServeFunc) {
	tests := []struct {
		name string
		fn   func(*testing.T, ServeFunc)
	}{
		{"WalkStatOpenRead", testWalkStatOpenRead},
		{"WalkStops", testWalkStops},
		{"GetdentsPagination", testGetdentsPagination},
		{"ReadlinkNotFollowed", testReadlinkNotFollowed},
		{"EscapeNames", testEscapeNames},
		{"EscapeSymlinks", testEscapeSymlinks},
		{"EscapeSwappedFile", testEscapeSwappedFile},
		{"ReadOnly", testReadOnly},
		{"CreateMkdirMknodSymlink", testCreateEntries},
		{"LinkUnlinkRename", testLinkUnlinkRename},
		{"SetAttr", testSetAttr},
		{"Statfs", testStatfs},
		{"BadFIDs", testBadFIDs},
		{"Malformed", testMalformed},
		{"Concurrent", testConcurrent},
		{"Tags", testTags},
		{"NoFDLeak", testNoFDLeak},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, serve) })
	}
}

func typeOf(a proto.Attr) uint32 { return a.Mode & unix.S_IFMT }

func testWalkStatOpenRead(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "a/b/", "a/b/file")
	c := Start(t, serve, dir, false)
	res := c.Walk(t, "a", "b", "file")
	if len(res) != 3 {
		t.Fatalf("Walk found %d components, want 3", len(res))
	}
	for i, want := range []uint32{unix.S_IFDIR, unix.S_IFDIR, unix.S_IFREG} {
		if typeOf(res[i].Attr) != want {
			t.Errorf("component %d type %#o, want %#o", i, typeOf(res[i].Attr), want)
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "a/b/file"), &st); err != nil {
		t.Fatal(err)
	}
	a, err := c.C.Stat(res[2].FID)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if a.Ino != st.Ino || a.Dev != st.Dev || a.Size != 4 || a.Nlink != 1 || a.Mode != st.Mode || a.Mtime.Sec != st.Mtim.Sec {
		t.Errorf("Stat = %+v, host says ino %d dev %d mode %#o", a, st.Ino, st.Dev, st.Mode)
	}
	fd, err := c.C.Open(res[2].FID, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&(unix.O_NONBLOCK|unix.O_APPEND) != 0 || fl&unix.O_ACCMODE != unix.O_RDONLY {
		t.Errorf("donated FD has flags %#x, want O_RDONLY without O_NONBLOCK", fl)
	}
	if got := ReadFD(t, fd); got != "file" {
		t.Errorf("read %q through donated FD, want %q", got, "file")
	}
	fd, err = c.C.Open(res[2].FID, unix.O_WRONLY|unix.O_APPEND)
	if err != nil {
		t.Fatalf("Open(O_APPEND): %v", err)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_APPEND == 0 || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("O_APPEND donated FD has flags %#x", fl)
	}
	unix.Close(fd)
	// Directories open read-only, not for writing.
	fd, err = c.C.Open(res[1].FID, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open(dir): %v", err)
	}
	unix.Close(fd)
	if _, err := c.C.Open(res[1].FID, unix.O_RDWR); err != unix.EISDIR {
		t.Errorf("Open(dir, O_RDWR) = %v, want EISDIR", err)
	}
	// A write through a donated O_RDWR FD lands in the host file.
	fd, err = c.C.Open(res[2].FID, unix.O_RDWR)
	if err != nil {
		t.Fatalf("Open(O_RDWR): %v", err)
	}
	if _, err := unix.Pwrite(fd, []byte("FI"), 0); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	if b, _ := os.ReadFile(filepath.Join(dir, "a/b/file")); string(b) != "FIle" {
		t.Errorf("host file holds %q after write, want %q", b, "FIle")
	}
	if err := c.C.CloseFIDs(res[0].FID, res[1].FID, res[2].FID); err != nil {
		t.Errorf("CloseFIDs: %v", err)
	}
	if _, err := c.C.Stat(res[2].FID); err != unix.EBADF {
		t.Errorf("Stat of closed FID = %v, want EBADF", err)
	}
}

func testWalkStops(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "a/", "a/file")
	c := Start(t, serve, dir, false)
	tests := []struct {
		names []string
		found int
		err   error
	}{
		{[]string{"missing"}, 0, unix.ENOENT},
		{[]string{"a", "missing", "x"}, 1, unix.ENOENT},
		{[]string{"a", "file", "x"}, 2, unix.ENOTDIR},
		{[]string{"a", "file"}, 2, nil},
	}
	for _, tc := range tests {
		res, err := c.C.Walk(c.Root, tc.names)
		if len(res) != tc.found || err != tc.err {
			t.Errorf("Walk(%q) = %d results, %v; want %d, %v", tc.names, len(res), err, tc.found, tc.err)
		}
	}
}

func testGetdentsPagination(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	const n = 1500
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%04d-%s", i, strings.Repeat("x", 100))
		want[name] = true
		Tree(t, dir, "d/"+name)
	}
	Tree(t, dir, "d/sub/")
	want["sub"] = true
	c := Start(t, serve, dir, false)
	d := c.Last(t, "d")
	got := map[string]bool{}
	var cookie uint64
	pages := 0
	for {
		ents, err := c.C.Getdents(d, cookie)
		if err != nil {
			t.Fatalf("Getdents(cookie %d): %v", cookie, err)
		}
		if len(ents) == 0 {
			break
		}
		pages++
		for _, e := range ents {
			if got[e.Name] {
				t.Fatalf("entry %q listed twice", e.Name)
			}
			got[e.Name] = true
			wantType := uint8(unix.DT_REG)
			if e.Name == "sub" {
				wantType = unix.DT_DIR
			}
			if e.Type != wantType || e.Ino == 0 {
				t.Errorf("entry %q type %d ino %d", e.Name, e.Type, e.Ino)
			}
		}
		cookie = ents[len(ents)-1].Off
	}
	if pages < 2 {
		t.Errorf("listing took %d pages; want several for %d long names", pages, n)
	}
	if len(got) != len(want) {
		t.Errorf("listed %d entries, want %d", len(got), len(want))
	}
	for name := range want {
		if !got[name] {
			t.Errorf("entry %q missing", name)
			break
		}
	}
	// Restarting at cookie 0 lists from the start again.
	if ents, err := c.C.Getdents(d, 0); err != nil || len(ents) == 0 {
		t.Errorf("Getdents restart = %d entries, %v", len(ents), err)
	}
	if _, err := c.C.Getdents(c.Last(t, "d", "sub"), 0); err != nil {
		t.Errorf("Getdents(empty dir): %v", err)
	}
	f := c.Last(t, "d", "sub")
	if ents, _ := c.C.Getdents(f, 0); len(ents) != 0 {
		t.Errorf("empty directory lists %d entries (\".\" and \"..\" must be skipped)", len(ents))
	}
	file := c.Last(t, "d", "0000-"+strings.Repeat("x", 100))
	if _, err := c.C.Getdents(file, 0); err != unix.ENOTDIR {
		t.Errorf("Getdents(file) = %v, want ENOTDIR", err)
	}
}

func testReadlinkNotFollowed(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "d/", "d/file", "link -> d/file", "dirlink -> d")
	c := Start(t, serve, dir, false)
	res := c.Walk(t, "link")
	if typeOf(res[0].Attr) != unix.S_IFLNK {
		t.Fatalf("walked symlink has type %#o, want S_IFLNK", typeOf(res[0].Attr))
	}
	target, err := c.C.Readlink(res[0].FID)
	if err != nil || target != "d/file" {
		t.Errorf("Readlink = %q, %v; want %q", target, err, "d/file")
	}
	if _, err := c.C.Open(res[0].FID, unix.O_RDONLY); err != unix.ELOOP {
		t.Errorf("Open(symlink) = %v, want ELOOP", err)
	}
	// Walking through a symlink to a directory stops at the symlink.
	res, err = c.C.Walk(c.Root, []string{"dirlink", "file"})
	if len(res) != 1 || err != unix.ENOTDIR || typeOf(res[0].Attr) != unix.S_IFLNK {
		t.Errorf("Walk through dir symlink = %d results, %v; want 1 (the link), ENOTDIR", len(res), err)
	}
	if _, err := c.C.Readlink(c.Last(t, "d", "file")); err != unix.EINVAL {
		t.Errorf("Readlink(file) = %v, want EINVAL", err)
	}
}

// escapeSetup makes outside/secret next to root/ and returns both paths.
func escapeSetup(t *testing.T) (root, secret string) {
	base := t.TempDir()
	Tree(t, base, "outside/", "outside/secret", "root/", "root/d/", "root/d/file", "root/d/g")
	return filepath.Join(base, "root"), filepath.Join(base, "outside", "secret")
}

func testEscapeNames(t *testing.T, serve ServeFunc) {
	root, _ := escapeSetup(t)
	c := Start(t, serve, root, false)
	d := c.Last(t, "d")
	bad := []string{"..", ".", "", "../outside", "d/file", "x\x00y", "/", strings.Repeat("n", 256)}
	for _, name := range bad {
		var e proto.Encoder
		// Walk, bypassing the client's own checks.
		e.Reset(proto.OpWalk, 0)
		e.U64(uint64(d))
		e.U16(1)
		e.Str(name)
		if op, errno := c.RawCall(t, e.Bytes(), -1); op != proto.OpError || errno != unix.EINVAL {
			t.Errorf("raw Walk(%q) = %v %v, want EINVAL", name, op, errno)
		}
		// Mkdir, Create and Rename with the same names.
		e.Reset(proto.OpMkdir, 0)
		e.U64(uint64(d))
		e.Str(name)
		e.U32(0o755)
		e.U32(0)
		e.U32(0)
		if op, errno := c.RawCall(t, e.Bytes(), -1); op != proto.OpError || errno != unix.EINVAL {
			t.Errorf("raw Mkdir(%q) = %v %v, want EINVAL", name, op, errno)
		}
		e.Reset(proto.OpCreate, 0)
		e.U64(uint64(d))
		e.Str(name)
		for range 4 {
			e.U32(0)
		}
		if op, errno := c.RawCall(t, e.Bytes(), -1); op != proto.OpError || errno != unix.EINVAL {
			t.Errorf("raw Create(%q) = %v %v, want EINVAL", name, op, errno)
		}
		e.Reset(proto.OpRename, 0)
		e.U64(uint64(d))
		e.Str("file")
		e.U64(uint64(c.Root))
		e.Str(name)
		if op, errno := c.RawCall(t, e.Bytes(), -1); op != proto.OpError || errno != unix.EINVAL {
			t.Errorf("raw Rename(file, %q) = %v %v, want EINVAL", name, op, errno)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "d", "file")); err != nil {
		t.Errorf("d/file disappeared: %v", err)
	}
}

func testEscapeSymlinks(t *testing.T, serve ServeFunc) {
	root, secret := escapeSetup(t)
	Tree(t, root, "abs -> /", "up -> ../outside", "dd -> ../../etc", "sec -> ../outside/secret", "d/up -> ../..")
	c := Start(t, serve, root, false)
	walks := [][]string{
		{"abs", "etc", "passwd"},
		{"up", "secret"},
		{"dd", "passwd"},
		{"d", "up", "outside", "secret"},
	}
	for _, names := range walks {
		res, err := c.C.Walk(c.Root, names)
		if err != unix.ENOTDIR {
			t.Errorf("Walk(%q) = %v, want ENOTDIR at the symlink", names, err)
		}
		if len(res) == 0 {
			continue
		}
		last := res[len(res)-1]
		if typeOf(last.Attr) != unix.S_IFLNK {
			t.Errorf("Walk(%q) ended on type %#o, want the symlink", names, typeOf(last.Attr))
		}
	}
	sec := c.Last(t, "sec")
	if _, err := c.C.Open(sec, unix.O_RDONLY); err != unix.ELOOP {
		t.Errorf("Open(symlink to outside) = %v, want ELOOP", err)
	}
	if _, err := c.C.Open(sec, unix.O_WRONLY|unix.O_TRUNC); err == nil {
		t.Errorf("Open(symlink to outside, O_TRUNC) succeeded")
	}
	if _, err := c.C.SetAttr(sec, proto.SetAttr{Mask: proto.SetAttrSize}); err == nil {
		t.Errorf("SetAttr(size) on a symlink succeeded")
	}
	// chmod of a symlink must not reach the target.
	c.C.SetAttr(sec, proto.SetAttr{Mask: proto.SetAttrMode, Mode: 0o600})
	// Creating through a symlink must not create outside.
	if _, _, _, err := c.C.Create(sec, "x", unix.O_RDWR, 0o644, 0, 0); err != unix.ENOTDIR {
		t.Errorf("Create in a symlink = %v, want ENOTDIR", err)
	}
	if _, _, _, err := c.C.Create(c.Root, "sec", unix.O_RDWR, 0o644, 0, 0); err != unix.EEXIST {
		t.Errorf("Create over a symlink = %v, want EEXIST", err)
	}
	if err := c.C.Link(c.Root, "hl", sec); err != nil {
		t.Logf("Link of a symlink: %v", err)
	}
	checkSecret(t, secret)
}

func checkSecret(t *testing.T, secret string) {
	t.Helper()
	st, err := os.Stat(secret)
	if err != nil {
		t.Fatalf("outside file: %v", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "secret" || st.Mode().Perm() != 0o644 {
		t.Errorf("outside file changed: %q mode %v", b, st.Mode())
	}
	if ents, _ := os.ReadDir(filepath.Dir(secret)); len(ents) != 1 {
		t.Errorf("outside directory has %d entries, want 1", len(ents))
	}
}

// testEscapeSwappedFile walks a regular file, then replaces it on the host
// with a symlink to a file outside the root: every later operation on the
// FID must fail or act on the original, never on the outside file.
func testEscapeSwappedFile(t *testing.T, serve ServeFunc) {
	root, secret := escapeSetup(t)
	c := Start(t, serve, root, false)
	f := c.Last(t, "d", "file")
	p := filepath.Join(root, "d", "file")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, p); err != nil {
		t.Fatal(err)
	}
	// A regular file swapped for a FIFO: Open must not hang.
	g := c.Last(t, "d", "g")
	gp := filepath.Join(root, "d", "g")
	os.Remove(gp)
	if err := unix.Mkfifo(gp, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.C.Open(g, unix.O_RDONLY); err != unix.ESTALE {
		t.Errorf("Open(file swapped for a FIFO) = %v, want ESTALE", err)
	}
	for _, flags := range []uint32{unix.O_RDONLY, unix.O_RDWR | unix.O_TRUNC} {
		if fd, err := c.C.Open(f, flags); err == nil {
			got := ReadFD(t, fd)
			t.Errorf("Open(swapped file, %#x) succeeded, reads %q", flags, got)
		}
	}
	c.C.SetAttr(f, proto.SetAttr{Mask: proto.SetAttrSize | proto.SetAttrMode, Size: 0, Mode: 0o600})
	c.C.SetAttr(f, proto.SetAttr{Mask: proto.SetAttrMtime, Mtime: proto.Timespec{Sec: 1}})
	checkSecret(t, secret)
	var st unix.Stat_t
	unix.Stat(secret, &st)
	if st.Mtim.Sec == 1 {
		t.Errorf("mtime of outside file changed")
	}
}

func testStatfs(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	c := Start(t, serve, dir, false)
	st, err := c.C.Statfs(c.Root)
	var host unix.Statfs_t
	unix.Statfs(dir, &host)
	if err != nil || st.Type != uint64(host.Type) || st.Bsize != host.Bsize || st.NameLen != uint64(host.Namelen) {
		t.Errorf("Statfs = %+v, %v; host %+v", st, err, host)
	}
}

func testBadFIDs(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "file")
	c := Start(t, serve, dir, false)
	if _, err := c.C.Stat(12345); err != unix.EBADF {
		t.Errorf("Stat(unknown FID) = %v, want EBADF", err)
	}
	if _, err := c.C.Walk(c.Last(t, "file"), []string{"x"}); err != unix.ENOTDIR {
		t.Errorf("Walk from a file = %v, want ENOTDIR", err)
	}
	if err := c.C.CloseFIDs(999); err != unix.EBADF {
		t.Errorf("CloseFIDs(unknown) = %v, want EBADF", err)
	}
	if _, err := c.C.Stat(c.Root); err != nil {
		t.Errorf("Stat(root) after errors: %v", err)
	}
}

func testConcurrent(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "a/", "a/f1", "a/f2", "a/f3")
	c := Start(t, serve, dir, false)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				name := fmt.Sprintf("f%d", 1+i%3)
				res, err := c.C.Walk(c.Root, []string{"a", name})
				if err != nil {
					errs <- err
					return
				}
				fd, err := c.C.Open(res[1].FID, unix.O_RDONLY)
				if err != nil {
					errs <- err
					return
				}
				buf := make([]byte, 8)
				n, _ := unix.Pread(fd, buf, 0)
				unix.Close(fd)
				if string(buf[:n]) != name {
					errs <- fmt.Errorf("read %q from %s", buf[:n], name)
					return
				}
				if err := c.C.CloseFIDs(res[0].FID, res[1].FID); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func sortedNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// testTags checks that each response carries its request's tag, with
// several requests in flight.
func testTags(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	c := Start(t, serve, dir, false)
	want := map[proto.Tag]proto.Op{0x1234: proto.OpStat, 0xfffe: proto.OpStatfs, 7: proto.OpReadlink}
	var e proto.Encoder
	for tag, op := range want {
		e.Reset(op, tag)
		e.U64(uint64(c.Root))
		if err := proto.Send(c.Raw, e.Bytes(), -1); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, proto.MaxMessageSize)
	for range want {
		n, fds, err := proto.Recv(c.Raw, buf, make([]byte, proto.OOBSize))
		if err != nil || n == 0 {
			t.Fatalf("receive: n=%d err=%v", n, err)
		}
		proto.CloseAll(fds)
		op, tag := proto.NewDecoder(buf[:n]).Header()
		switch wantOp, ok := want[tag]; {
		case !ok:
			t.Errorf("response with tag %#x, not a request's", tag)
		case op != wantOp && op != proto.OpError: // Readlink of a directory fails
			t.Errorf("response to tag %#x is %v, want %v", tag, op, wantOp)
		}
		delete(want, tag)
	}
}
