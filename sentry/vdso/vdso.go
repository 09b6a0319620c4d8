package vdso

import (
	"debug/elf"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// VDSO is one memory file's copy of the vDSO image and its data page.
type VDSO struct {
	vvar, text *mm.SpecialPages
	// page is the sentry's view of the data page (vvar_unsafe.go).
	page *[vvarWords]uint64
	// boot is the kernel's boot time: CLOCK_MONOTONIC counts from it.
	boot time.Time
	// bootOffset is boot's monotonic reading, in ns since epoch.
	bootOffset int64

	// Guarded by tk.mu (timekeeper.go).
	cur        line
	enabled    bool
	registered bool
	released   atomic.Bool
}

// New copies the image into mf, allocates the data page next to it and
// registers the page with the timekeeper, which starts computing clocks
// from the TSC within tens of milliseconds if the host's TSC is invariant;
// until then the vDSO makes system calls. CLOCK_MONOTONIC counts from
// boot. The pages live as long as mf: its Release unregisters them first.
func New(mf *pgalloc.MemoryFile, boot time.Time) (*VDSO, error) {
	textPages := (len(image) + linux.PageSize - 1) / linux.PageSize
	n := uint64(1+textPages) * linux.PageSize
	off, err := mf.Allocate(n)
	if err != nil {
		return nil, fmt.Errorf("allocating the vDSO: %w", err)
	}
	copy(mf.Slice(off+linux.PageSize, n-linux.PageSize), image)
	v := &VDSO{
		vvar:       mm.NewSpecialPages(mf, off, 1),
		text:       mm.NewSpecialPages(mf, off+linux.PageSize, textPages),
		page:       wordsOf(mf.Slice(off, linux.PageSize)),
		boot:       boot,
		bootOffset: int64(boot.Sub(epoch)),
	}
	if hostNumbersCPUs() {
		v.store(wordCPUMode, cpuHost)
	}
	mf.OnRelease(v.Release)
	tk.register(v)
	return v, nil
}

// hostNumbersCPUs says whether the sandbox's CPU numbers are the host's:
// the sentry may run on CPUs 0 to n-1 and no other, so the n CPUs the
// sandbox shows (kernel.NumCPUs) are those, and the host CPU a thread
// runs on is its CPU in the sandbox too.
func hostNumbersCPUs() bool {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return false
	}
	n := set.Count()
	for c := 0; c < n; c++ {
		if !set.IsSet(c) {
			return false
		}
	}
	return n > 0
}

// Release stops the updates of the data page; the vDSO then keeps
// answering from its last parameters. Idempotent.
func (v *VDSO) Release() {
	if v.released.Swap(true) {
		return
	}
	tk.unregister(v)
}

// Map maps the data page and the image into m, where mmap would put them
// (top-down below the last mapping, as Linux's vdso placement), as [vvar]
// (read-only, never writable) directly followed by [vdso] (read+execute,
// private: a write, after mprotect or a debugger's poke, copies the
// page). It returns the image's address, for AT_SYSINFO_EHDR.
func (v *VDSO) Map(m *mm.MemoryManager) (uintptr, error) {
	total := v.vvar.Len() + v.text.Len()
	base, err := m.MMap(mm.MMapOpts{Length: total, Private: true})
	if err != nil {
		return 0, err
	}
	ro := platform.AccessType{Read: true}
	if _, err := m.MapSpecial(mm.MMapOpts{Addr: base, Length: v.vvar.Len(), Fixed: true, Perms: ro, MaxPerms: ro, Private: true, Name: "[vvar]"}, v.vvar); err != nil {
		return 0, err
	}
	textAddr := base + v.vvar.Len()
	rx := platform.AccessType{Read: true, Execute: true}
	if _, err := m.MapSpecial(mm.MMapOpts{Addr: textAddr, Length: v.text.Len(), Fixed: true, Perms: rx, MaxPerms: platform.AnyAccess, Private: true, Name: "[vdso]"}, v.text); err != nil {
		return 0, err
	}
	return textAddr, nil
}

// Monotonic returns CLOCK_MONOTONIC (also MONOTONIC_COARSE, _RAW and
// BOOTTIME, which the sandbox does not tell apart) in ns since boot: what
// the vDSO computes at this instant.
func (v *VDSO) Monotonic() int64 { return v.now(false) }

// Realtime returns CLOCK_REALTIME in ns since the epoch, as the vDSO does.
func (v *VDSO) Realtime() int64 { return v.now(true) }

// now reads the data page as vdso.c's read_ns does, or, when the page
// says so, the host clocks that the system call would.
func (v *VDSO) now(realtime bool) int64 {
	for {
		seq := v.load(wordSeq)
		if seq&1 != 0 {
			runtime.Gosched() // a write is a few stores long
			continue
		}
		if v.load(wordMode) != modeTSC {
			if realtime {
				return time.Now().UnixNano()
			}
			return int64(time.Since(v.boot))
		}
		tsc := rdtsc()
		l := line{tscBase: v.load(wordTSCBase), mult: v.load(wordMult), monoBase: int64(v.load(wordMonoBase))}
		ns := l.at(tsc)
		if realtime {
			ns += int64(v.load(wordRealOffset))
		}
		if v.load(wordSeq) == seq {
			return ns
		}
	}
}

// Symbols returns the dynamic symbols of the image with their versions,
// as a dynamic loader resolves them (for tests and diagnostics).
func Symbols() ([]elf.Symbol, error) {
	f, err := elf.NewFile(readerAt(image))
	if err != nil {
		return nil, err
	}
	return f.DynamicSymbols()
}

type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(r)) {
		return 0, fmt.Errorf("offset %d out of range", off)
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, fmt.Errorf("short read at %d", off)
	}
	return n, nil
}
