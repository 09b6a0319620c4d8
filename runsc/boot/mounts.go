package boot

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/dev"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/host"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/proc"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// File system magic numbers statfs(2) reports (linux/magic.h).
const (
	devptsMagic  = 0x1cd1
	mqueueMagic  = 0x19800202
	cgroup2Magic = 0x63677270
	cgroupMagic  = 0x27e0eb
)

// mountPlan is one spec mount, parsed: what to mount and how.
type mountPlan struct {
	dest string
	fs   vfs.Inode
	opts vfs.MountOptions
}

// planMount turns a spec mount into what the sentry mounts. skip says the
// mount is not provided yet (logged, not fatal); an error is a mount the
// spec gets wrong.
func planMount(k *kernel.Kernel, facts proc.HostFacts, pts *kernfs.Dir, binds *bindSources, m specs.Mount) (p mountPlan, skip string, err error) {
	if m.Destination == "" || !path.IsAbs(m.Destination) {
		return p, "", fmt.Errorf("mounts: destination %q must be an absolute path", m.Destination)
	}
	p.dest = path.Clean(m.Destination)
	flags, data := parseMountOptions(m.Options)
	p.opts = vfs.MountOptions{
		ReadOnly: flags.readOnly, NoDev: flags.noDev, NoExec: flags.noExec, NoSuid: flags.noSuid,
		FSType: m.Type, Source: m.Source,
	}
	if specutils.IsBind(m) {
		// Served by the gofer on a connection of its own, straight
		// to the host: no overlay, so writes reach the source unless
		// the mount is read-only.
		if p.fs, err = binds.next(); err != nil {
			return p, "", fmt.Errorf("mounts: bind mount of %q at %q: %w", m.Source, m.Destination, err)
		}
		if path.IsAbs(m.Source) {
			p.opts.Root = path.Clean(m.Source)
		}
		return p, "", nil
	}
	switch m.Type {
	case "proc":
		p.fs = proc.New(k, facts)
	case "tmpfs":
		if p.dest == "/dev" {
			// runc fills a tmpfs /dev with the default devices;
			// dev.New is that tmpfs.
			p.fs, err = dev.New()
			break
		}
		var o tmpfs.Options
		if o, err = tmpfsOptions(data); err == nil {
			p.fs = tmpfs.NewWithOptions(o)
		}
	case "devtmpfs":
		p.fs, err = dev.New()
	case "sysfs":
		p.fs = newSysfs()
		p.opts.ReadOnly = true
	case "devpts":
		p.fs = pts
	case "mqueue":
		p.fs = emptyDir(mqueueMagic)
	case "cgroup":
		p.fs = emptyDir(cgroupMagic)
		p.opts.ReadOnly = true
	case "cgroup2":
		p.fs = emptyDir(cgroup2Magic)
		p.opts.ReadOnly = true
	default:
		return p, fmt.Sprintf("mount type %q at %q is not supported yet; skipped", m.Type, m.Destination), nil
	}
	if err != nil {
		return p, "", fmt.Errorf("mounts: %s at %q: %w", m.Type, m.Destination, err)
	}
	return p, "", nil
}

// newDevpts is the sandbox's devpts: ptmx (no driver yet, so opening it
// fails with ENXIO) and, once the container has a terminal, its console
// as entry 0 (addConsole).
func newDevpts() *kernfs.Dir {
	d := kernfs.NewDir(map[string]vfs.Inode{
		"ptmx": kernfs.NewDeviceNode(uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(5, 2)),
	})
	d.SetFSMagic(devptsMagic)
	return d
}

// consoleRdev is the device number of /dev/pts/0 (UNIX98_PTY_SLAVE_MAJOR).
var consoleRdev = unix.Mkdev(136, 0)

// addConsole makes the container's terminal (a host pty replica) its
// /dev/pts/0: the entry exists, ttyname(3) of the stdio names it, and
// opening it opens the same terminal.
func addConsole(v *vfs.VFS, pts *kernfs.Dir, tty *host.File) {
	node := kernfs.NewDeviceNode(uint32(vfs.TypeCharDev)|0o620, consoleRdev)
	attr, _ := node.Stat(vfs.Background())
	tty.Terminal().SetName("/dev/pts/0", attr)
	pts.Add("0", node)
	v.RegisterDevice(vfs.TypeCharDev, consoleRdev, func(vfs.Context, uint32) (vfs.FileImpl, error) {
		return tty.Reopen()
	})
}

// newSysfs is the sandbox's /sys: the directories programs and runtimes
// expect, with /sys/fs/cgroup to mount a cgroup tree on.
func newSysfs() vfs.Inode {
	return kernfs.NewDir(map[string]vfs.Inode{
		"fs":      kernfs.NewDir(map[string]vfs.Inode{"cgroup": kernfs.NewDir(nil)}),
		"kernel":  kernfs.NewDir(nil),
		"devices": kernfs.NewDir(nil),
		"class":   kernfs.NewDir(nil),
		"bus":     kernfs.NewDir(nil),
	})
}

// emptyDir is a file system not provided yet: an empty directory with the
// real one's magic number, so that its path exists and statfs names it.
func emptyDir(magic uint64) vfs.Inode {
	d := kernfs.NewDir(nil)
	d.SetFSMagic(magic)
	return d
}

// mountFlags are the generic mount(8) options of a spec mount.
type mountFlags struct {
	readOnly, noDev, noExec, noSuid, bind bool
}

// flagOptions are the generic mount options and what each sets; the
// order is mount(8)'s.
var flagOptions = []struct {
	name string
	set  func(f *mountFlags)
}{
	{"ro", func(f *mountFlags) { f.readOnly = true }},
	{"rw", func(f *mountFlags) { f.readOnly = false }},
	{"nodev", func(f *mountFlags) { f.noDev = true }},
	{"dev", func(f *mountFlags) { f.noDev = false }},
	{"noexec", func(f *mountFlags) { f.noExec = true }},
	{"exec", func(f *mountFlags) { f.noExec = false }},
	{"nosuid", func(f *mountFlags) { f.noSuid = true }},
	{"suid", func(f *mountFlags) { f.noSuid = false }},
	{"bind", func(f *mountFlags) { f.bind = true }},
	{"rbind", func(f *mountFlags) { f.bind = true }},
}

// acceptedOptions are the options that change nothing in the sentry:
// propagation (one mount namespace) and timestamp policy (atime is not
// tracked).
var acceptedOptions = []string{
	"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
	"relatime", "norelatime", "strictatime", "nostrictatime", "noatime", "atime",
	"nodiratime", "diratime", "sync", "async", "dirsync", "remount", "mand", "nomand",
	"lazytime", "nolazytime", "silent", "loud", "defaults",
}

// MountOptionNames lists the generic mount options runsc recognises, for
// the OCI features document.
func MountOptionNames() []string {
	names := make([]string, 0, len(flagOptions)+len(acceptedOptions))
	for _, o := range flagOptions {
		names = append(names, o.name)
	}
	return append(names, acceptedOptions...)
}

// parseMountOptions splits a spec mount's options into the generic flags
// (the last of ro/rw and the like wins, as mount(8) reads them) and the
// file system's own options.
func parseMountOptions(options []string) (f mountFlags, data []string) {
next:
	for _, o := range options {
		for _, fo := range flagOptions {
			if fo.name == o {
				fo.set(&f)
				continue next
			}
		}
		for _, a := range acceptedOptions {
			if a == o {
				continue next
			}
		}
		data = append(data, o)
	}
	return f, data
}

// tmpfsOptions parses tmpfs's own options: size (bytes, with k/m/g or
// a % of memory), mode (octal), uid, gid; nr_inodes and nr_blocks are
// accepted. Anything else is an error, as mount(2) answers EINVAL.
func tmpfsOptions(data []string) (tmpfs.Options, error) {
	o := tmpfs.Options{Mode: 0o1777}
	for _, kv := range data {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "size":
			o.MaxBytes, err = parseSize(v)
		case "mode":
			var m uint64
			m, err = strconv.ParseUint(v, 8, 32)
			if err == nil && m > 0o7777 {
				err = fmt.Errorf("out of range")
			}
			o.Mode = uint32(m)
		case "uid", "gid":
			var id uint64
			id, err = strconv.ParseUint(v, 10, 32)
			if k == "uid" {
				o.UID = uint32(id)
			} else {
				o.GID = uint32(id)
			}
		case "nr_inodes", "nr_blocks", "huge", "mpol", "inode64", "inode32", "noswap":
		default:
			return o, fmt.Errorf("unknown option %q", kv)
		}
		if err != nil {
			return o, fmt.Errorf("option %q: %v", kv, err)
		}
	}
	return o, nil
}

// parseSize parses a tmpfs size: bytes with an optional k, m, g (or K,
// M, G) suffix. A percentage of memory is taken as no limit beyond the
// default.
func parseSize(s string) (int64, error) {
	if strings.HasSuffix(s, "%") {
		return 0, nil
	}
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size")
	}
	return n * mult, nil
}
