package e2e

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// runBundleDir runs the bundle in bundle with `runsc run`, and requires
// exit 0, stdout want and nothing left under --root.
func runBundleDir(t *testing.T, bundle, want string) {
	t.Helper()
	root := t.TempDir()
	r := runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1")
	noFilesUnder(t, root)
	wantExit(t, r, 0)
	if r.Stdout != want {
		t.Errorf("stdout %q, want %q", r.Stdout, want)
	}
}

// TestBindMounts runs a bundle with the bind mounts Docker makes: a
// read-write volume, a read-only one, and single files (resolv.conf,
// one with a source relative to the bundle). Writes reach the host
// through the gofer, a read-only mount refuses them, and nothing else
// of the host shows.
func TestBindMounts(t *testing.T) {
	needSetup(t)
	host := t.TempDir()
	vol, roVol := filepath.Join(host, "vol"), filepath.Join(host, "ro")
	for _, d := range []string{vol, roVol} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, data string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(vol, "in.txt"), "from the host\n")
	write(filepath.Join(roVol, "keep.txt"), "read only\n")
	resolv := filepath.Join(host, "resolv.conf")
	write(resolv, "nameserver 192.0.2.1\n")

	bundle := t.TempDir()
	write(filepath.Join(bundle, "hostname"), "from-the-bundle\n")
	opts := testutil.BundleOptions{
		Args: []string{"/bin/sh", "-c", `
cat /data/in.txt
echo from the container > /data/out.txt && mkdir /data/sub && echo ok > /data/sub/f
echo x > /ro/new 2>/dev/null && echo WROTE-RO || echo ro refused
cat /ro/keep.txt
cat /etc/resolv.conf
echo "search example.test" >> /etc/resolv.conf
cat /etc/hostname
ls /data`},
		Mounts: []specs.Mount{
			{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "rw"}},
			{Destination: "/ro", Type: "bind", Source: roVol, Options: []string{"rbind", "ro"}},
			{Destination: "/etc/resolv.conf", Type: "bind", Source: resolv, Options: []string{"rbind"}},
			{Destination: "/etc/hostname", Source: "hostname", Options: []string{"bind", "ro"}},
		},
	}
	if err := testutil.MakeBusyboxBundle(bundle, opts); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	runBundleDir(t, bundle, "from the host\nro refused\nread only\nnameserver 192.0.2.1\nfrom-the-bundle\nin.txt\nout.txt\nsub\n")
	for p, want := range map[string]string{
		filepath.Join(vol, "out.txt"):    "from the container\n",
		filepath.Join(vol, "sub", "f"):   "ok\n",
		resolv:                           "nameserver 192.0.2.1\nsearch example.test\n",
		filepath.Join(roVol, "keep.txt"): "read only\n",
	} {
		if got, err := os.ReadFile(p); err != nil || string(got) != want {
			t.Errorf("host %s = %q (%v), want %q", p, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(roVol, "new")); !os.IsNotExist(err) {
		t.Errorf("a write to the read-only mount reached the host (%v)", err)
	}
	// Mount points the image lacks are made in the sandbox's overlay,
	// not in the bundle's rootfs on the host.
	for _, p := range []string{"data", "ro", "etc/resolv.conf", "etc/hostname"} {
		if _, err := os.Lstat(filepath.Join(bundle, "rootfs", p)); !os.IsNotExist(err) {
			t.Errorf("mount point %s was made in the host rootfs (%v)", p, err)
		}
	}
}

// TestMaskedAndReadonlyPaths applies linux.maskedPaths (a file reads as
// /dev/null, a directory as empty) and linux.readonlyPaths (EROFS, under
// /proc too), and skips paths that do not exist, as runc does.
func TestMaskedAndReadonlyPaths(t *testing.T) {
	needSetup(t)
	bundle := t.TempDir()
	opts := testutil.BundleOptions{Args: []string{"/bin/sh", "-c", `
echo "meminfo: $(wc -c < /proc/meminfo)"
echo "etc: $(ls /etc | wc -l)"
touch /tmp/x 2>/dev/null && echo WROTE-TMP || echo tmp refused
mkdir /proc/sys/y 2>/dev/null && echo WROTE-SYS || echo sys refused
echo "passwd-readable: $(test -r /bin/busybox && echo yes)"`}}
	if err := testutil.MakeBusyboxBundle(bundle, opts); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	spec, err := testutil.ReadSpec(bundle)
	if err != nil {
		t.Fatal(err)
	}
	spec.Linux.MaskedPaths = []string{"/proc/meminfo", "/etc", "/proc/no-such-file"}
	spec.Linux.ReadonlyPaths = []string{"/tmp", "/proc/sys", "/no/such/dir"}
	if err := testutil.WriteSpec(bundle, spec); err != nil {
		t.Fatal(err)
	}
	runBundleDir(t, bundle, "meminfo: 0\netc: 0\ntmp refused\nsys refused\npasswd-readable: yes\n")
}

// TestSpecCapabilities runs a bundle whose process keeps CAP_CHOWN only,
// as `docker run --cap-drop ALL --cap-add CHOWN` asks: the container's
// sets show it, an operation that needs another capability (sethostname:
// CAP_SYS_ADMIN) gets EPERM, and the one it kept works.
func TestSpecCapabilities(t *testing.T) {
	needSetup(t)
	bundle := t.TempDir()
	opts := testutil.BundleOptions{Args: []string{"/bin/sh", "-c", `
grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
hostname other 2>/dev/null && echo HOSTNAME-CHANGED || echo sethostname refused
touch /tmp/f && chown 1000 /tmp/f && echo chown ok`}}
	if err := testutil.MakeBusyboxBundle(bundle, opts); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	spec, err := testutil.ReadSpec(bundle)
	if err != nil {
		t.Fatal(err)
	}
	only := []string{"CAP_CHOWN"}
	spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: only, Effective: only, Permitted: only}
	if err := testutil.WriteSpec(bundle, spec); err != nil {
		t.Fatal(err)
	}
	runBundleDir(t, bundle, "CapPrm:\t0000000000000001\nCapEff:\t0000000000000001\nCapBnd:\t0000000000000001\nsethostname refused\nchown ok\n")
}
