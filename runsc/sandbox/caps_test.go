package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
)

// procStatus returns the "Key:\tvalue" lines of a /proc status file.
func procStatus(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	m := make(map[string]string)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// checkStatus reports every field of want that st has otherwise.
func checkStatus(t *testing.T, who string, st, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s: %s %q, want %q", who, k, st[k], v)
		}
	}
}

func capMask(caps []uintptr) string {
	var m uint64
	for _, c := range caps {
		m |= 1 << c
	}
	return fmt.Sprintf("%016x", m)
}

const noCaps = "0000000000000000"

// checkThreads checks that every thread of pid has exactly the capabilities
// keep (effective and permitted), nothing inheritable, ambient or in the
// bounding set, and no_new_privs. Capabilities are per thread: one thread
// left behind is a thread an attacker can use.
func checkThreads(t *testing.T, who string, pid int, keep []uintptr) {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) < 2 {
		t.Fatalf("%s %d: thread status files %v (%v), want several (a Go process)", who, pid, tasks, err)
	}
	want := map[string]string{
		"CapEff": capMask(keep), "CapPrm": capMask(keep),
		"CapInh": noCaps, "CapBnd": noCaps, "CapAmb": noCaps,
		"NoNewPrivs": "1",
	}
	for _, path := range tasks {
		checkStatus(t, fmt.Sprintf("%s %d thread %s", who, pid, filepath.Base(filepath.Dir(path))), procStatus(t, path), want)
	}
}

// childrenOf returns the host PIDs of pid's children.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var kids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(field)
			kids = append(kids, n)
		}
	}
	return kids
}

// TestPrivilegesDropped starts a sandbox process that brings up the ptrace
// platform and confines itself as `runsc boot` does, and a real gofer, and
// checks from the host what each process may still do: the sandbox keeps
// only the ptrace platform's capabilities on every thread, and with them still seizes,
// runs, interrupts and kills its stubs; the stubs run as nobody with no
// capabilities under their seccomp filter; the gofer keeps only
// GoferCapabilities and still serves.
func TestPrivilegesDropped(t *testing.T) {
	requireRoot(t)
	if !allThreadsWork() {
		t.Skip("a test binary that links cgo (-race) cannot drop privileges on every thread")
	}
	t.Setenv(realGoferEnv, "1")
	s, _, r := startReporting(t, []string{"stubs"}, true /* readOnly */, nil)

	// A sandbox that cannot interrupt or kill its stubs hangs: fail
	// instead (Destroy then kills it).
	if err := r.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	out, br := readUntilReady(t, r)
	wantOut := []string{
		"pid=1 stdio=0,1,2 gofer=[read=served-root] root-entries=0 root-writable=false\n",
		"stubs: <nil>\n",
		"ready\n",
	}
	if strings.Join(out, "") != strings.Join(wantOut, "") {
		t.Errorf("sandbox reported\n  %q\nwant\n  %q", out, wantOut)
	}

	checkThreads(t, "sandbox", s.Sandbox.PID, ptraceCapabilities())
	checkThreads(t, "gofer", s.Gofer.PID, GoferCapabilities)

	stubs := childrenOf(t, s.Sandbox.PID)
	if len(stubs) != 3 {
		t.Errorf("sandbox children %v, want the template and 2 stubs", stubs)
	}
	nobody := "65534\t65534\t65534\t65534"
	for _, pid := range stubs {
		checkStatus(t, fmt.Sprintf("stub %d", pid), procStatus(t, fmt.Sprintf("/proc/%d/status", pid)), map[string]string{
			"Uid": nobody, "Gid": nobody, "Groups": "",
			"CapEff": noCaps, "CapPrm": noCaps, "CapInh": noCaps, "CapBnd": noCaps, "CapAmb": noCaps,
			"NoNewPrivs": "1", "Seccomp": "2",
		})
	}

	if err := s.SignalContainer("test", int(unix.SIGTERM), false); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "released\n" {
		t.Errorf("after SIGTERM the sandbox reported %q, want the stubs released", rest)
	}
	status, err := waitAndReap(s)
	if err != nil || status != 128+int(unix.SIGTERM) {
		t.Errorf("Wait = %d, %v; want %d", status, err, 128+int(unix.SIGTERM))
	}
}

// Owner and layout of the tree TestGoferActsAsRoot serves: nothing in it
// belongs to the gofer (root), and nothing lets root in by its mode bits.
const (
	treeUID      = 1000
	treeGID      = 1000
	treePrivate  = "private" // 0700, holds treeSecret
	treeSecret   = "secret"  // 0000
	treeReadOnly = "ro"      // 0555
)

// makeForeignTree fills root with the tree above.
func makeForeignTree(t *testing.T, root string) {
	t.Helper()
	priv := filepath.Join(root, treePrivate)
	ro := filepath.Join(root, treeReadOnly)
	for _, step := range []error{
		os.Mkdir(priv, 0o700),
		os.WriteFile(filepath.Join(priv, treeSecret), []byte("s3cret"), 0o600),
		os.Chmod(filepath.Join(priv, treeSecret), 0),
		os.Mkdir(ro, 0o555),
		os.Chmod(ro, 0o555),
		os.Lchown(filepath.Join(priv, treeSecret), treeUID, treeGID),
		os.Lchown(priv, treeUID, treeGID),
		os.Lchown(ro, treeUID, treeGID),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
}

// goferOps runs, through the gofer on sockFD, the operations the sentry
// asks of it as "root over the tree" on makeForeignTree's files, and
// reports each as "name=ok" or "name=error".
func goferOps(sockFD int) string {
	c, err := client.New(sockFD)
	if err != nil {
		return "client: " + err.Error()
	}
	root, _, _, err := c.Attach()
	if err != nil {
		return "attach: " + err.Error()
	}
	var report []string
	note := func(name string, err error) bool {
		if err != nil {
			report = append(report, name+"="+err.Error())
			return false
		}
		report = append(report, name+"=ok")
		return true
	}
	// Search a directory and read a file that root may not by their modes
	// (CAP_DAC_OVERRIDE).
	res, err := c.Walk(root, []string{treePrivate, treeSecret})
	if !note("walk", err) {
		return strings.Join(report, " ")
	}
	secret := res[1].FID
	for _, o := range []struct {
		name  string
		flags uint32
	}{{"read", unix.O_RDONLY}, {"write", unix.O_WRONLY}} {
		fd, err := c.Open(secret, o.flags)
		if note(o.name, err) {
			unix.Close(fd)
		}
	}
	// Change mode and times of a file root does not own (CAP_FOWNER),
	// keeping set-group-ID for a group root is not in (CAP_FSETID).
	_, err = c.SetAttr(secret, proto.SetAttr{Mask: proto.SetAttrMode, Mode: unix.S_ISGID | 0o750})
	note("chmod", err)
	_, err = c.SetAttr(secret, proto.SetAttr{
		Mask:  proto.SetAttrAtime | proto.SetAttrMtime,
		Atime: proto.Timespec{Sec: 1}, Mtime: proto.Timespec{Sec: 2},
	})
	note("utimes", err)
	// Create entries for the application's user in a directory root may
	// not write to (CAP_DAC_OVERRIDE), owned by that user (CAP_CHOWN).
	res, err = c.Walk(root, []string{treeReadOnly})
	if !note("walk-ro", err) {
		return strings.Join(report, " ")
	}
	ro := res[0].FID
	_, _, fd, err := c.Create(ro, "file", unix.O_RDWR, 0o644, treeUID, treeGID)
	if note("create", err) {
		unix.Close(fd)
	}
	_, _, err = c.Mkdir(ro, "dir", 0o755, treeUID, treeGID)
	note("mkdir", err)
	_, _, err = c.Mknod(ro, "fifo", unix.S_IFIFO|0o644, 0, treeUID, treeGID)
	note("mkfifo", err)
	_, err = c.SetAttr(ro, proto.SetAttr{Mask: proto.SetAttrUID | proto.SetAttrGID, UID: treeUID + 1, GID: treeGID + 1})
	note("chown", err)
	note("link", c.Link(ro, "link", secret))
	note("unlink", c.Unlink(ro, "link", 0))
	return strings.Join(report, " ")
}

// TestGoferActsAsRoot checks that the gofer, with GoferCapabilities only,
// still does everything the sentry asks of it as root over a tree that
// belongs to another user and whose modes keep root out.
func TestGoferActsAsRoot(t *testing.T) {
	requireRoot(t)
	if !allThreadsWork() {
		t.Skip("a test binary that links cgo (-race) cannot drop privileges on every thread")
	}
	t.Setenv(realGoferEnv, "1")
	s, root, r := startReporting(t, []string{"gofer-ops"}, false /* readOnly */, func(root string) { makeForeignTree(t, root) })
	out, _ := io.ReadAll(r)
	status, err := waitAndReap(s)
	if err != nil || status != 0 {
		t.Fatalf("Wait = %d, %v; output %q", status, err, out)
	}
	const want = "gofer-ops: walk=ok read=ok write=ok chmod=ok utimes=ok walk-ro=ok create=ok mkdir=ok mkfifo=ok chown=ok link=ok unlink=ok\n"
	lines := strings.SplitAfter(string(out), "\n")
	if len(lines) < 2 || lines[1] != want {
		t.Fatalf("sandbox reported\n  %q\nwant second line\n  %q", out, want)
	}

	// On the host: what root would have made.
	for _, c := range []struct {
		path     string
		uid, gid int
		mode     os.FileMode
	}{
		{filepath.Join(treePrivate, treeSecret), treeUID, treeGID, os.ModeSetgid | 0o750},
		{treeReadOnly, treeUID + 1, treeGID + 1, os.ModeDir | 0o555},
		{filepath.Join(treeReadOnly, "file"), treeUID, treeGID, 0o644},
		{filepath.Join(treeReadOnly, "dir"), treeUID, treeGID, os.ModeDir | 0o755},
		{filepath.Join(treeReadOnly, "fifo"), treeUID, treeGID, os.ModeNamedPipe | 0o644},
	} {
		fi, err := os.Lstat(filepath.Join(root, c.path))
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if int(st.Uid) != c.uid || int(st.Gid) != c.gid || fi.Mode() != c.mode {
			t.Errorf("%s: owner %d:%d mode %v, want %d:%d %v", c.path, st.Uid, st.Gid, fi.Mode(), c.uid, c.gid, c.mode)
		}
	}
}
