package boot

import (
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/dev"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/host"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/overlay"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/proc"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// readHostFacts reads what /proc shows of the host, before confinement.
func readHostFacts() proc.HostFacts {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		cpuinfo = []byte("processor\t: 0\nvendor_id\t: unknown\n\n")
	}
	return proc.HostFacts{CPUInfo: cpuinfo}
}

// buildFilesystems mounts the root (the gofer's tree under an in-memory
// overlay, so writes never reach the host) and the spec's mounts, and
// returns the init's FS context with its working directory set.
func buildFilesystems(k *kernel.Kernel, v *vfs.VFS, lower vfs.Inode, spec *specs.Spec, host proc.HostFacts, logf func(string, ...any)) (*vfs.FSContext, error) {
	dev.Register(v)
	root := overlay.New(tmpfs.New(0o755), lower)
	rootVD := v.MountRootWithOptions(root, vfs.MountOptions{FSType: "overlay", Source: "none"})
	fsctx := vfs.NewFSContext(rootVD)
	ctx := vfs.Background()
	for _, m := range spec.Mounts {
		p, skip, err := planMount(k, host, m)
		if err != nil {
			return nil, err
		}
		if skip != "" {
			logf("%s", skip)
			continue
		}
		if err := mkdirAll(ctx, v, fsctx, p.dest); err != nil {
			return nil, fmt.Errorf("mounts: creating mount point %q: %w", p.dest, err)
		}
		if err := v.MountWithOptions(ctx, fsctx, p.dest, p.fs, p.opts); err != nil {
			return nil, fmt.Errorf("mounts: %s at %q: %w", m.Type, p.dest, err)
		}
	}
	if cwd := spec.Process.Cwd; cwd != "" && cwd != "/" {
		vd, err := v.GetDirAt(ctx, fsctx, fsctx.Root(), cwd)
		if err != nil {
			return nil, fmt.Errorf("working directory %q: %w", cwd, err)
		}
		fsctx.SetCwd(vd)
		vd.DecRef()
	}
	return fsctx, nil
}

// mkdirAll makes p and its parents in the (overlay) root, as runc does for
// mount points that the image lacks.
func mkdirAll(ctx vfs.Context, v *vfs.VFS, fsctx *vfs.FSContext, p string) error {
	if p == "/" {
		return nil
	}
	if err := mkdirAll(ctx, v, fsctx, path.Dir(p)); err != nil {
		return err
	}
	err := v.MkdirAt(ctx, fsctx, fsctx.Root(), p, 0o755)
	if err == unix.EEXIST {
		return nil
	}
	return err
}

// newHostFile wraps a host FD given to the sandbox (the container's
// stdio). The sentry gets its own duplicate: the container closing its
// stdout must not close the sandbox process's own, which still reports
// errors after the container is gone.
func newHostFile(fd int) (*vfs.FileDescription, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, err
	}
	f, err := host.NewDescription(dup)
	if err != nil {
		unix.Close(dup)
		return nil, err
	}
	return f, nil
}

// closeFDs closes FDs a control call brought that the method does not use.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
