package boot

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/fsgofer/server"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/proc"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

func TestParseMountOptions(t *testing.T) {
	f, data := parseMountOptions([]string{"nosuid", "ro", "rw", "noexec", "nodev", "dev", "rprivate", "mode=755", "size=65536k", "relatime"})
	if want := (mountFlags{noSuid: true, noExec: true}); f != want {
		t.Errorf("flags = %+v, want %+v (the last of ro/rw and nodev/dev wins)", f, want)
	}
	if want := []string{"mode=755", "size=65536k"}; !reflect.DeepEqual(data, want) {
		t.Errorf("data = %q, want %q", data, want)
	}
	if f, _ := parseMountOptions([]string{"rbind", "ro"}); !f.bind || !f.readOnly {
		t.Errorf("rbind,ro = %+v", f)
	}
}

func TestTmpfsOptions(t *testing.T) {
	o, err := tmpfsOptions([]string{"size=64m", "mode=1777", "uid=1000", "gid=100", "nr_inodes=4k"})
	if want := (tmpfs.Options{MaxBytes: 64 << 20, Mode: 0o1777, UID: 1000, GID: 100}); err != nil || o != want {
		t.Errorf("tmpfsOptions = %+v, %v; want %+v", o, err, want)
	}
	for in, want := range map[string]int64{"4096": 4096, "1k": 1024, "2G": 2 << 30, "50%": 0} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range [][]string{{"size=-1"}, {"size=lots"}, {"mode=9"}, {"mode=17777"}, {"uid=-1"}, {"colour=blue"}, {"size=99999999999g"}} {
		if o, err := tmpfsOptions(bad); err == nil {
			t.Errorf("tmpfsOptions(%q) = %+v, want an error", bad, o)
		}
	}
}

func TestPlanMount(t *testing.T) {
	var host proc.HostFacts
	for _, tc := range []struct {
		m        specs.Mount
		wantErr  bool
		wantSkip bool
		readOnly bool
	}{
		{m: specs.Mount{Destination: "/proc", Type: "proc"}},
		{m: specs.Mount{Destination: "/dev", Type: "tmpfs", Options: []string{"nosuid", "mode=755"}}},
		{m: specs.Mount{Destination: "/sys", Type: "sysfs"}, readOnly: true},
		{m: specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Options: []string{"ro"}}, readOnly: true},
		{m: specs.Mount{Destination: "/dev/mqueue", Type: "mqueue"}},
		{m: specs.Mount{Destination: "/scratch", Type: "tmpfs", Options: []string{"ro", "size=1m"}}, readOnly: true},
		// A bind mount with no gofer connection for it.
		{m: specs.Mount{Destination: "/data", Type: "bind", Source: "/host", Options: []string{"rbind"}}, wantErr: true},
		{m: specs.Mount{Destination: "/x", Type: "nfs"}, wantSkip: true},
		{m: specs.Mount{Destination: "relative", Type: "tmpfs"}, wantErr: true},
		{m: specs.Mount{Destination: "", Type: "tmpfs"}, wantErr: true},
		{m: specs.Mount{Destination: "/t", Type: "tmpfs", Options: []string{"size=huge"}}, wantErr: true},
	} {
		p, skip, err := planMount(nil, host, newDevpts(), &bindSources{}, tc.m)
		switch {
		case (err != nil) != tc.wantErr:
			t.Errorf("%+v: err = %v, want error %t", tc.m, err, tc.wantErr)
		case (skip != "") != tc.wantSkip:
			t.Errorf("%+v: skip = %q, want skip %t", tc.m, skip, tc.wantSkip)
		case err == nil && skip == "" && (p.fs == nil || p.opts.ReadOnly != tc.readOnly || p.opts.FSType != tc.m.Type):
			t.Errorf("%+v: plan %+v, want a file system, read-only %t", tc.m, p, tc.readOnly)
		}
	}
}

// TestPlanBindMount plans bind mounts over gofer connections served in
// process: each takes the next connection, in order, with the mount's
// read-only option, and a file source is mounted as a file.
func TestPlanBindMount(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var binds bindSources
	for _, src := range []string{dir, filepath.Join(dir, "f")} {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		root, err := unix.Open(src, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if src == dir {
				server.ServeFD(fds[1], root, true)
				return
			}
			io, err := unix.Open(src, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Error(err)
				return
			}
			server.ServeFile(fds[1], root, io, true)
		}()
		t.Cleanup(func() {
			unix.Shutdown(fds[0], unix.SHUT_RDWR)
			<-done
			unix.Close(fds[1])
		})
		binds.fds = append(binds.fds, fds[0])
	}
	var host proc.HostFacts
	for i, tc := range []struct {
		m        specs.Mount
		readOnly bool
		ftype    vfs.FileType
	}{
		{specs.Mount{Destination: "/data", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}}, true, vfs.TypeDirectory},
		{specs.Mount{Destination: "/etc/hosts", Source: filepath.Join(dir, "f"), Options: []string{"bind"}}, false, vfs.TypeRegular},
	} {
		p, skip, err := planMount(nil, host, newDevpts(), &binds, tc.m)
		if err != nil || skip != "" {
			t.Fatalf("bind %d: skip %q, err %v", i, skip, err)
		}
		ft, err := vfs.TypeOf(vfs.Background(), p.fs)
		if err != nil || ft != tc.ftype || p.opts.ReadOnly != tc.readOnly || p.dest != tc.m.Destination {
			t.Errorf("bind %d: type %v (%v), plan %+v; want type %v, read-only %t", i, ft, err, p, tc.ftype, tc.readOnly)
		}
	}
	if _, _, err := planMount(nil, host, newDevpts(), &binds, specs.Mount{Destination: "/more", Type: "bind", Source: dir}); err == nil {
		t.Error("a third bind mount over two connections was planned")
	}
}
