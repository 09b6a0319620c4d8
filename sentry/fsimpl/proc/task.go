package proc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// processDir is /proc/[pid]: the files of t, the thread named, and its
// process's threads in task/.
func (p *procFS) processDir(t *kernel.Task) vfs.Inode {
	entries := p.taskEntries(t)
	tg := t.ThreadGroup()
	entries["task"] = kernfs.NewDynamicDir(func(_ vfs.Context, name string) (vfs.Inode, error) {
		for _, th := range threadsOf(tg) {
			if name == strconv.Itoa(int(th.TID())) {
				return kernfs.NewDir(p.taskEntries(th)), nil
			}
		}
		return nil, unix.ENOENT
	}, func(vfs.Context) []vfs.Dirent {
		var ents []vfs.Dirent
		for _, th := range threadsOf(tg) {
			ents = append(ents, vfs.Dirent{Name: strconv.Itoa(int(th.TID())), Type: vfs.TypeDirectory})
		}
		return ents
	})
	return kernfs.NewDir(entries)
}

// threadsOf returns the threads /proc/[pid]/task lists: the live ones,
// and a zombie leader while others live, as Linux shows it.
func threadsOf(tg *kernel.ThreadGroup) []*kernel.Task {
	ts := tg.Threads()
	if l := tg.Leader(); len(ts) > 0 && ts[0] != l {
		ts = append([]*kernel.Task{l}, ts...)
	}
	return ts
}

// taskEntries are the files of /proc/[pid] and /proc/[pid]/task/[tid].
func (p *procFS) taskEntries(t *kernel.Task) map[string]vfs.Inode {
	return map[string]vfs.Inode{
		"status":  kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return p.status(t), nil }),
		"stat":    kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return p.taskStat(t), nil }),
		"statm":   kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return p.statm(t), nil }),
		"comm":    kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte(t.Name() + "\n"), nil }),
		"cmdline": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return p.argvEnv(t, false) }),
		"environ": kernfs.NewFile(0o400, func(vfs.Context) ([]byte, error) { return p.argvEnv(t, true) }),
		"maps":    kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return withMM(t, func(m mmView) []byte { return m.Maps() }), nil }),
		"mounts":  kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return p.mounts(t), nil }),
		"mountinfo": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) {
			return p.mountinfo(t), nil
		}),
		"exe":  kernfs.NewSymlink(func(vfs.Context) string { return t.Image() }),
		"cwd":  kernfs.NewSymlink(func(vfs.Context) string { return p.cwd(t) }),
		"root": kernfs.NewSymlink(func(vfs.Context) string { return "/" }),
		"fd":   p.fdDir(t),
		"mem":  memFile(t),
		"oom_score_adj": kernfs.NewWritableFile(0o644, func(vfs.Context) ([]byte, error) {
			return []byte(strconv.Itoa(int(t.ThreadGroup().OOMScoreAdj())) + "\n"), nil
		}, func(ctx vfs.Context, data []byte) error {
			v, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil {
				return unix.EINVAL
			}
			caller, ok := ctx.(*kernel.Task)
			if !ok {
				return unix.EPERM
			}
			return caller.SetOOMScoreAdj(t, int32(v))
		}),
		"oom_score": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) {
			// No badness of its own: the sentry's OOM handling is
			// the host's, over the whole sandbox.
			return []byte(strconv.Itoa(max(0, int(t.ThreadGroup().OOMScoreAdj()))) + "\n"), nil
		}),
		"smaps": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) {
			return withMM(t, func(m mmView) []byte { return m.Smaps() }), nil
		}),
		"smaps_rollup": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) {
			return withMM(t, func(m mmView) []byte { return m.SmapsRollup() }), nil
		}),
		"auxv": kernfs.NewFile(0o400, func(vfs.Context) ([]byte, error) {
			return withMM(t, func(m mmView) []byte { return m.Auxv() }), nil
		}),
	}
}

type mmView interface {
	Maps() []byte
	Smaps() []byte
	SmapsRollup() []byte
	Auxv() []byte
	VirtualSize() uint64
	ResidentSize() uint64
	LockedSize() uint64
}

// withMM runs fn on the task's memory manager if it has one (zombies do
// not) and returns its result.
func withMM(t *kernel.Task, fn func(m mmView) []byte) []byte {
	m := t.MemoryManager()
	if m == nil || t.IsZombie() {
		return nil
	}
	return fn(m)
}

func (p *procFS) status(t *kernel.Task) []byte {
	state := t.StateString()
	c := t.Credentials()
	var vsize, rss, locked uint64
	withMM(t, func(m mmView) []byte {
		vsize, rss, locked = m.VirtualSize(), m.ResidentSize(), m.LockedSize()
		return nil
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "Name:\t%s\n", t.Name())
	fmt.Fprintf(&b, "Umask:\t0022\n")
	fmt.Fprintf(&b, "State:\t%s\n", state)
	fmt.Fprintf(&b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n", t.ThreadGroup().ID(), t.TID(), t.PPID(), t.TracerPID())
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\n", c.RUID, c.EUID, c.SUID, c.FSUID)
	fmt.Fprintf(&b, "Gid:\t%d\t%d\t%d\t%d\n", c.RGID, c.EGID, c.SGID, c.FSGID)
	fmt.Fprintf(&b, "FDSize:\t%d\n", 64)
	fmt.Fprintf(&b, "VmSize:\t%8d kB\nVmLck:\t%8d kB\nVmRSS:\t%8d kB\n", vsize/1024, locked/1024, rss/1024)
	fmt.Fprintf(&b, "Threads:\t%d\n", len(t.ThreadGroup().Threads()))
	mask := t.SignalMask()
	thread, shared := t.PendingSignalSets()
	fmt.Fprintf(&b, "SigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\n", uint64(thread), uint64(shared), uint64(mask))
	fmt.Fprintf(&b, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n",
		uint64(c.InheritableCaps), uint64(c.PermittedCaps), uint64(c.EffectiveCaps), uint64(c.BoundingCaps), uint64(c.AmbientCaps))
	nnp := 0
	if t.NoNewPrivs() {
		nnp = 1
	}
	fmt.Fprintf(&b, "NoNewPrivs:\t%d\n", nnp)
	fmt.Fprintf(&b, "Seccomp:\t%d\nSeccomp_filters:\t%d\n", t.SeccompMode(), t.SeccompFilters())
	fmt.Fprintf(&b, "Cpus_allowed_list:\t0-1\n")
	return b.Bytes()
}

func (p *procFS) taskStat(t *kernel.Task) []byte {
	state := t.StateString()[:1]
	pgid, sid := t.ProcessGroup()
	var vsize, rss uint64
	withMM(t, func(m mmView) []byte {
		vsize, rss = m.VirtualSize(), m.ResidentSize()
		return nil
	})
	start := 0
	threads := len(t.ThreadGroup().Threads())
	return []byte(fmt.Sprintf("%d (%s) %s %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 %d %d %d 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		t.TID(), t.Name(), state, t.PPID(), pgid, sid, threads, start, vsize, rss/4096))
}

func (p *procFS) statm(t *kernel.Task) []byte {
	var vsize, rss uint64
	withMM(t, func(m mmView) []byte {
		vsize, rss = m.VirtualSize(), m.ResidentSize()
		return nil
	})
	return []byte(fmt.Sprintf("%d %d 0 0 0 0 0\n", vsize/4096, rss/4096))
}

// argvEnv reads the argument or environment block from the task's memory.
func (p *procFS) argvEnv(t *kernel.Task, env bool) ([]byte, error) {
	m := t.MemoryManager()
	if m == nil || t.IsZombie() {
		return nil, nil
	}
	as, ae, es, ee := m.ArgvEnv()
	start, end := as, ae
	if env {
		start, end = es, ee
	}
	if end <= start || end-start > 1<<20 {
		return nil, nil
	}
	b := make([]byte, end-start)
	n, _ := m.CopyIn(start, b)
	return b[:n], nil
}

// mounts is /proc/[pid]/mounts: "SOURCE MOUNTPOINT FSTYPE OPTIONS 0 0" per
// mount, in mount order.
func (p *procFS) mounts(t *kernel.Task) []byte {
	fsctx := t.FSContext()
	if fsctx == nil {
		return nil
	}
	var b strings.Builder
	for _, mi := range p.k.VFS().Mounts(fsctx) {
		src, typ := mountSourceType(mi)
		fmt.Fprintf(&b, "%s %s %s %s 0 0\n", escapeMountField(src), escapeMountField(mi.Path), escapeMountField(typ), mountOptions(mi))
	}
	return []byte(b.String())
}

func (p *procFS) cwd(t *kernel.Task) string {
	fsctx := t.FSContext()
	if fsctx == nil {
		return ""
	}
	s, err := p.k.VFS().GetcwdPath(fsctx)
	if err != nil {
		return ""
	}
	return s
}

// fdDir is /proc/[pid]/fd: one symlink per open descriptor.
func (p *procFS) fdDir(t *kernel.Task) vfs.Inode {
	return kernfs.NewDynamicDir(func(_ vfs.Context, name string) (vfs.Inode, error) {
		n, err := strconv.Atoi(name)
		if err != nil || n < 0 {
			return nil, unix.ENOENT
		}
		fd := int32(n)
		get := func(vfs.Context) (*vfs.FileDescription, error) {
			table := t.FDTable()
			if table == nil {
				return nil, unix.ENOENT
			}
			f, err := table.Get(fd)
			if err != nil {
				return nil, unix.ENOENT
			}
			return f, nil
		}
		f, err := get(nil)
		if err != nil {
			return nil, err
		}
		f.DecRef()
		return kernfs.NewMagicLink(func(vfs.Context) string {
			f, err := get(nil)
			if err != nil {
				return ""
			}
			defer f.DecRef()
			return p.fileName(t, f)
		}, get), nil
	}, func(vfs.Context) []vfs.Dirent {
		var ents []vfs.Dirent
		if table := t.FDTable(); table != nil {
			table.ForEach(func(fd int32, _ *vfs.FileDescription, _ bool) {
				ents = append(ents, vfs.Dirent{Name: strconv.Itoa(int(fd)), Type: vfs.TypeSymlink})
			})
		}
		return ents
	})
}

// fileName is what readlink of /proc/[pid]/fd/N shows.
func (p *procFS) fileName(t *kernel.Task, f *vfs.FileDescription) string {
	if vd := f.VirtualDentry(); vd != nil && t.FSContext() != nil {
		return p.k.VFS().PathOf(t.FSContext(), *vd)
	}
	if n, ok := f.Impl().(vfs.FileNamer); ok {
		return n.Name()
	}
	return "anon_inode:[file]"
}
