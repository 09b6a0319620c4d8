package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// userScript runs as the bundle's process: who it is, then writes where
// only root may write (a root-owned 0644 file and a root-owned 0755
// directory of the rootfs) and where everyone may (/tmp, mode 1777).
const userScript = `id -u; id -g; id -un
echo x >> /etc/passwd; echo "append passwd exit=$?"
echo x > /etc/created; echo "create in etc exit=$?"
rm /bin/true; echo "rm bin/true exit=$?"
chmod 777 /etc/group; echo "chmod group exit=$?"
echo mine > /tmp/mine && cat /tmp/mine && ls -ln /tmp/mine | awk '{print "owner", $3, $4}'
head -1 /etc/passwd | cut -d: -f1
grep -E '^(Uid|Gid):' /proc/self/status | tr -s '\t' ' '
id -u | cat; (id -u) | wc -l`

// userWant is what Linux (runc) prints for userScript as uid/gid 1000.
const userWant = `1000
1000
cocoon
append passwd exit=1
create in etc exit=1
rm bin/true exit=1
chmod group exit=1
mine
owner 1000 1000
root
Uid: 1000 1000 1000 1000
Gid: 1000 1000 1000 1000
1000
1
`

// TestRunBundleNonRoot runs a bundle whose process.user is uid/gid 1000: the
// process has those ids, and the rootfs's root-owned files refuse it
// with EACCES/EPERM as Linux would, while /tmp takes its files.
func TestRunBundleNonRoot(t *testing.T) {
	needSetup(t)
	bundle := t.TempDir()
	opts := testutil.BundleOptions{Args: []string{"/bin/sh", "-c", userScript}}
	if err := testutil.MakeBusyboxBundle(bundle, opts); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	spec := testutil.BundleSpec(opts)
	spec.Process.User = specs.User{UID: 1000, GID: 1000}
	if err := testutil.WriteSpec(bundle, spec); err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(bundle, "rootfs")
	// The rootfs's own /tmp is world-writable too, as in real images (runc
	// gives a tmpfs mount the mode of the directory it covers).
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	passwdBefore, err := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	r := runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1")
	noFilesUnder(t, root)
	wantExit(t, r, 0)
	if r.Stdout != userWant {
		t.Errorf("stdout differs from Linux's\n--- want ---\n%s--- got ---\n%s--- stderr ---\n%s", userWant, r.Stdout, r.Stderr)
	}
	for _, msg := range []string{"can't create /etc/passwd: Permission denied", "can't create /etc/created: Permission denied"} {
		if !strings.Contains(r.Stderr, msg) {
			t.Errorf("stderr lacks %q:\n%s", msg, r.Stderr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(rootfs, "etc/passwd")); string(b) != string(passwdBefore) {
		t.Errorf("the bundle's /etc/passwd changed: %q", b)
	}
	if _, err := os.Lstat(filepath.Join(rootfs, "bin/true")); err != nil {
		t.Errorf("bin/true vanished from the bundle: %v", err)
	}
}
