// Package proc is the sentry's /proc: a synthetic file system built on
// kernfs whose content comes from the kernel's own tasks, never from the
// host's /proc. A program reading /proc/self/status sees its sandbox PID
// and no tracer.
//
// It keeps no state of its own: every file is generated when opened.
package proc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// HostFacts are the few host facts /proc shows, read before the sandbox
// was confined.
type HostFacts struct {
	CPUInfo []byte
}

// New returns the root inode of a /proc for k.
func New(k *kernel.Kernel, facts HostFacts) vfs.Inode {
	p := &procFS{k: k, facts: facts}
	static := map[string]vfs.Inode{
		"self": kernfs.NewSymlink(func(ctx vfs.Context) string { pid, _ := callerIDs(ctx); return strconv.Itoa(int(pid)) }),
		"thread-self": kernfs.NewSymlink(func(ctx vfs.Context) string {
			pid, tid := callerIDs(ctx)
			return fmt.Sprintf("%d/task/%d", pid, tid)
		}),
		"meminfo": kernfs.NewFile(0o444, p.meminfo),
		"cpuinfo": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return p.facts.CPUInfo, nil }),
		"mounts":  kernfs.NewSymlink(func(vfs.Context) string { return "self/mounts" }),
		"uptime":  kernfs.NewFile(0o444, p.uptime),
		"loadavg": kernfs.NewFile(0o444, p.loadavg),
		"version": kernfs.NewFile(0o444, p.version),
		"stat":    kernfs.NewFile(0o444, p.stat),
		"filesystems": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) {
			return []byte("nodev\tproc\nnodev\ttmpfs\nnodev\tdevpts\n\toverlay\n"), nil
		}),
		"sys": kernfs.NewDir(map[string]vfs.Inode{
			"kernel": kernfs.NewDir(map[string]vfs.Inode{
				"hostname":     p.utsFile(false),
				"domainname":   p.utsFile(true),
				"osrelease":    kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte(k.Release + "\n"), nil }),
				"ostype":       kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte("Linux\n"), nil }),
				"version":      kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte(k.Version + "\n"), nil }),
				"pid_max":      kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte("4194304\n"), nil }),
				"ngroups_max":  kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte("65536\n"), nil }),
				"cap_last_cap": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte("40\n"), nil }),
			}),
			"vm": kernfs.NewDir(map[string]vfs.Inode{
				"overcommit_memory": kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte("0\n"), nil }),
				"mmap_min_addr":     kernfs.NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte("65536\n"), nil }),
			}),
		}),
	}
	return kernfs.NewDynamicDir(func(_ vfs.Context, name string) (vfs.Inode, error) {
		if in, ok := static[name]; ok {
			return in, nil
		}
		tid, err := strconv.Atoi(name)
		if err != nil || tid <= 0 {
			return nil, unix.ENOENT
		}
		// A thread's TID works too, though only processes are listed.
		t := k.TaskByTID(int32(tid))
		if t == nil {
			return nil, unix.ENOENT
		}
		return p.processDir(t), nil
	}, func(vfs.Context) []vfs.Dirent {
		var ents []vfs.Dirent
		for _, tid := range k.TGIDs() {
			ents = append(ents, vfs.Dirent{Name: strconv.Itoa(int(tid)), Ino: uint64(tid) << 16, Type: vfs.TypeDirectory})
		}
		for name, in := range static {
			typ := vfs.TypeRegular
			if a, err := in.Stat(vfs.Background()); err == nil {
				typ = vfs.FileType(a.Mode) & vfs.TypeMask
			}
			ents = append(ents, vfs.Dirent{Name: name, Type: typ})
		}
		return ents
	})
}

type procFS struct {
	k     *kernel.Kernel
	facts HostFacts
}

// callerIDs returns the PID and TID of the task asking, or zeros.
func callerIDs(ctx vfs.Context) (pid, tid int32) {
	// A task, or a view of one (access(2) resolves with its real IDs).
	if t, ok := ctx.(interface {
		TID() int32
		ThreadGroup() *kernel.ThreadGroup
	}); ok {
		return t.ThreadGroup().ID(), t.TID()
	}
	return 0, 0
}

// utsFile is /proc/sys/kernel/hostname or domainname: the name in the
// reader's UTS namespace, and a write sets it as sethostname(2) would (one
// trailing newline dropped).
func (p *procFS) utsFile(domain bool) vfs.Inode {
	get := func(ctx vfs.Context) ([]byte, error) {
		u := p.k.RootUTS()
		if t, ok := ctx.(*kernel.Task); ok {
			u = t.UTS()
		}
		if domain {
			return []byte(u.Domainname() + "\n"), nil
		}
		return []byte(u.Hostname() + "\n"), nil
	}
	set := func(ctx vfs.Context, data []byte) error {
		t, ok := ctx.(*kernel.Task)
		if !ok {
			return unix.EPERM
		}
		return t.SetUTSName(bytes.TrimSuffix(data, []byte("\n")), domain)
	}
	return kernfs.NewWritableFile(0o644, get, set)
}

func (p *procFS) meminfo(vfs.Context) ([]byte, error) {
	var si unix.Sysinfo_t
	unix.Sysinfo(&si)
	total := si.Totalram * uint64(si.Unit) / 1024
	used := p.k.MemoryFile.Used() / 1024
	free := uint64(0)
	if total > used {
		free = total - used
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "MemTotal:       %8d kB\n", total)
	fmt.Fprintf(&b, "MemFree:        %8d kB\n", free)
	fmt.Fprintf(&b, "MemAvailable:   %8d kB\n", free)
	fmt.Fprintf(&b, "Buffers:        %8d kB\n", 0)
	fmt.Fprintf(&b, "Cached:         %8d kB\n", 0)
	fmt.Fprintf(&b, "SwapCached:     %8d kB\n", 0)
	fmt.Fprintf(&b, "Active:         %8d kB\n", used)
	fmt.Fprintf(&b, "Inactive:       %8d kB\n", 0)
	fmt.Fprintf(&b, "SwapTotal:      %8d kB\n", 0)
	fmt.Fprintf(&b, "SwapFree:       %8d kB\n", 0)
	fmt.Fprintf(&b, "Shmem:          %8d kB\n", 0)
	return b.Bytes(), nil
}

func (p *procFS) uptime(vfs.Context) ([]byte, error) {
	up := time.Since(p.k.BootTime()).Seconds()
	return []byte(fmt.Sprintf("%.2f %.2f\n", up, up)), nil
}

func (p *procFS) loadavg(vfs.Context) ([]byte, error) {
	n := len(p.k.TIDs())
	return []byte(fmt.Sprintf("0.00 0.00 0.00 1/%d %d\n", n, n)), nil
}

func (p *procFS) version(vfs.Context) ([]byte, error) {
	return []byte(fmt.Sprintf("Linux version %s (cocoon@cocoon) %s\n", p.k.Release, p.k.Version)), nil
}

func (p *procFS) stat(vfs.Context) ([]byte, error) {
	var b strings.Builder
	b.WriteString("cpu  0 0 0 0 0 0 0 0 0 0\n")
	fmt.Fprintf(&b, "btime %d\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n", p.k.BootTime().Unix(), len(p.k.TIDs()))
	return []byte(b.String()), nil
}
