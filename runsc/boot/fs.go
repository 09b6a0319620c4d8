package boot

import (
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/dev"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/gofer"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/host"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
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
// overlay, so writes never reach the host; read-only once the mount points
// are made if root.readonly says so), the spec's mounts and
// linux.devices, and returns the init's FS context with its working
// directory set.
func buildFilesystems(k *kernel.Kernel, v *vfs.VFS, lower vfs.Inode, binds *bindSources, spec *specs.Spec, facts proc.HostFacts, pts *kernfs.Dir, logf func(string, ...any)) (*vfs.FSContext, error) {
	dev.Register(v)
	root := overlay.New(tmpfs.New(0o755), lower)
	rootVD := v.MountRootWithOptions(root, vfs.MountOptions{FSType: "overlay", Source: "none"})
	fsctx := vfs.NewFSContext(rootVD)
	ctx := vfs.Background()
	for _, m := range spec.Mounts {
		p, skip, err := planMount(k, facts, pts, binds, m)
		if err != nil {
			return nil, err
		}
		if skip != "" {
			logf("%s", skip)
			continue
		}
		if err := makeMountPoint(ctx, v, fsctx, p); err != nil {
			return nil, fmt.Errorf("mounts: creating mount point %q: %w", p.dest, err)
		}
		if err := v.MountWithOptions(ctx, fsctx, p.dest, p.fs, p.opts); err != nil {
			return nil, fmt.Errorf("mounts: %s at %q: %w", m.Type, p.dest, err)
		}
	}
	if spec.Linux != nil {
		if err := createDevices(ctx, v, fsctx, spec.Linux.Devices); err != nil {
			return nil, err
		}
		if err := maskPaths(ctx, v, fsctx, spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths); err != nil {
			return nil, err
		}
	}
	if spec.Root != nil && spec.Root.Readonly {
		// Last, as runc remounts it: the mount points are made by now.
		rootVD.Mount.SetReadOnly()
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

// maskPaths applies linux.maskedPaths and linux.readonlyPaths as runc
// does: a masked directory is covered by an empty read-only directory, a
// masked file by /dev/null; a read-only path is mounted again over itself,
// read-only. Paths that do not exist are skipped.
func maskPaths(ctx vfs.Context, v *vfs.VFS, fsctx *vfs.FSContext, masked, readOnly []string) error {
	each := func(field string, paths []string, fn func(p string, vd vfs.VirtualDentry) error) error {
		for i, p := range paths {
			if !path.IsAbs(p) {
				return fmt.Errorf("linux.%s[%d]: %q is not an absolute path", field, i, p)
			}
			vd, err := v.GetAt(ctx, fsctx, fsctx.Root(), p, true)
			if err == unix.ENOENT {
				continue
			}
			if err != nil {
				return fmt.Errorf("linux.%s[%d] %q: %w", field, i, p, err)
			}
			err = fn(p, vd)
			vd.DecRef()
			if err != nil {
				return fmt.Errorf("linux.%s[%d] %q: %w", field, i, p, err)
			}
		}
		return nil
	}
	err := each("maskedPaths", masked, func(p string, vd vfs.VirtualDentry) error {
		if vd.Dentry.IsDir() {
			return v.MountWithOptions(ctx, fsctx, p, kernfs.NewDir(nil), vfs.MountOptions{ReadOnly: true, FSType: "tmpfs", Source: "tmpfs"})
		}
		null := kernfs.NewDeviceNode(uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(1, 3))
		return v.MountWithOptions(ctx, fsctx, p, null, vfs.MountOptions{FSType: "devtmpfs", Source: "/dev/null"})
	})
	if err != nil {
		return err
	}
	return each("readonlyPaths", readOnly, func(p string, vd vfs.VirtualDentry) error {
		return v.MountWithOptions(ctx, fsctx, p, vd.Inode(), vfs.MountOptions{ReadOnly: true, FSType: "bind", Source: p})
	})
}

// bindSources hands out the gofer connections of the spec's bind mounts,
// one per bind mount in spec order (Args.BindFDs).
type bindSources struct {
	fds    []int
	shared bool // --file-access=shared
}

// next attaches to the next bind mount's gofer connection and returns
// its root: a directory, or a file for a file bind mount.
func (b *bindSources) next() (vfs.Inode, error) {
	if len(b.fds) == 0 {
		return nil, fmt.Errorf("no gofer connection for it (runsc passed none)")
	}
	fd := b.fds[0]
	b.fds = b.fds[1:]
	return gofer.NewFilesystemWithOptions(fd, gofer.Options{Shared: b.shared})
}

// makeMountPoint makes p's mount point in the (overlay) root as runc does
// for those the image lacks: the directory and its parents, or for a file
// mounted on a file, its parents and an empty file.
func makeMountPoint(ctx vfs.Context, v *vfs.VFS, fsctx *vfs.FSContext, p mountPlan) error {
	ft, err := vfs.TypeOf(ctx, p.fs)
	if err != nil {
		return err
	}
	if ft == vfs.TypeDirectory {
		return mkdirAll(ctx, v, fsctx, p.dest)
	}
	if err := mkdirAll(ctx, v, fsctx, path.Dir(p.dest)); err != nil {
		return err
	}
	f, err := v.OpenAt(ctx, fsctx, fsctx.Root(), p.dest, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	f.DecRef()
	return nil
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

// stdioTable makes the init's FD table from the host FDs of its stdin,
// stdout and stderr. FDs that are one terminal share one description, as
// the dup'd FDs of a shell's terminal do, so that its foreground process
// group is one; that terminal is returned too (nil if none).
func stdioTable(stdio [3]int) (*vfs.FDTable, *host.File, error) {
	table := vfs.NewFDTable()
	var tty *host.File
	var ttyDesc *vfs.FileDescription
	var ttyRdev uint64
	for i, hfd := range stdio {
		var st unix.Stat_t
		if err := unix.Fstat(hfd, &st); err != nil {
			return nil, nil, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		if ttyDesc != nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == ttyRdev {
			table.SetFD(int32(i), ttyDesc, false)
			continue
		}
		f, err := newHostFile(hfd)
		if err != nil {
			return nil, nil, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		if hf, ok := f.Impl().(*host.File); ok && hf.IsTTY() && ttyDesc == nil {
			tty, ttyDesc, ttyRdev = hf, f, st.Rdev
		}
		table.SetFD(int32(i), f, false)
		if f != ttyDesc {
			f.DecRef()
		}
	}
	if ttyDesc != nil {
		ttyDesc.DecRef()
	}
	return table, tty, nil
}

// closeFDs closes FDs a control call brought that the method does not use.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
