package mm

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// vsyscallPerms are the permissions of the host's legacy vsyscall page,
// nil if it has none (SetVsyscallPage).
var vsyscallPerms atomic.Pointer[string]

// SetVsyscallPage makes Maps end with the vsyscall page line, as Linux
// shows its gate area in every process, with perms ("--xp", "r-xp").
func SetVsyscallPage(perms string) { vsyscallPerms.Store(&perms) }

// Maps returns the text of /proc/pid/maps, in Linux's format (file names
// start at column 73, anonymous lines end with a space). Device and inode
// numbers are shown as 00:00 0.
func (m *MemoryManager) Maps() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	m.writeVMAsLocked(&b, nil)
	if p := vsyscallPerms.Load(); p != nil {
		writeMapsLine(&b, fmt.Sprintf("ffffffffff600000-ffffffffff601000 %s 00000000 00:00 0 ", *p), "[vsyscall]")
	}
	return []byte(b.String())
}

// writeVMAsLocked writes each VMA's line of /proc/pid/maps and, after it,
// what detail (if set) writes for that VMA. Preconditions: m.mu is held.
func (m *MemoryManager) writeVMAsLocked(b *strings.Builder, detail func(v *vma)) {
	for i := range m.vmas {
		v := &m.vmas[i]
		writeMapsLine(b, mapsLine(v), v.name)
		if detail != nil {
			detail(v)
		}
	}
}

// mapsLine returns the start of v's line of /proc/pid/maps, up to the
// name.
func mapsLine(v *vma) string {
	flag := func(ok bool, c byte) byte {
		if ok {
			return c
		}
		return '-'
	}
	sp := byte('s')
	if v.private {
		sp = 'p'
	}
	var off uint64
	if v.file != nil {
		off = v.off
	}
	return fmt.Sprintf("%08x-%08x %c%c%c%c %08x 00:00 0 ", v.start, v.end,
		flag(v.perms.Read, 'r'), flag(v.perms.Write, 'w'), flag(v.perms.Execute, 'x'), sp, off)
}

// writeMapsLine writes line and, if any, name, padded as Linux's
// show_map_vma does (to 72 columns, then a space).
func writeMapsLine(b *strings.Builder, line, name string) {
	b.WriteString(line)
	if name != "" {
		if pad := 72 - len(line); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteByte(' ')
		b.WriteString(name)
	}
	b.WriteByte('\n')
}

// smapsCounts are one VMA's (or, summed, the process's) figures in
// /proc/pid/smaps, in bytes; Pss is kept in bytes times pssShift to sum
// fractions of shared pages exactly.
type smapsCounts struct {
	rss, pss, pssAnon, pssFile, pssDirty                         uint64
	sharedClean, sharedDirty, privateClean, privateDirty, anonym uint64
	locked                                                       uint64
}

// pssShift is the fixed-point scale of Pss sums (as Linux's PSS_SHIFT).
const pssShift = 12

func (c *smapsCounts) add(o smapsCounts) {
	c.rss += o.rss
	c.pss += o.pss
	c.pssAnon += o.pssAnon
	c.pssFile += o.pssFile
	c.pssDirty += o.pssDirty
	c.sharedClean += o.sharedClean
	c.sharedDirty += o.sharedDirty
	c.privateClean += o.privateClean
	c.privateDirty += o.privateDirty
	c.anonym += o.anonym
	c.locked += o.locked
}

// countsLocked measures v's populated pages. A page whose frame has more
// than one holder (fork, MAP_SHARED, a tmpfs file's cache) is shared and
// its Pss is its share; pages of writable mappings count as dirty (the
// sentry does not track dirtiness). Preconditions: m.mu is held.
func (m *MemoryManager) countsLocked(v *vma) smapsCounts {
	var c smapsCounts
	anon := v.file == nil && v.special == nil
	for _, a := range m.pageAddrsLocked(v.start, v.end) {
		refs := uint64(max(m.pages[a].fr.Refs.Load(), 1))
		pss := (linux.PageSize << pssShift) / refs
		c.rss += linux.PageSize
		c.pss += pss
		if v.locked {
			c.locked += linux.PageSize
		}
		if anon {
			c.pssAnon += pss
			c.anonym += linux.PageSize
		} else {
			c.pssFile += pss
		}
		if v.perms.Write {
			c.pssDirty += pss
		}
		switch {
		case refs > 1 && v.perms.Write:
			c.sharedDirty += linux.PageSize
		case refs > 1:
			c.sharedClean += linux.PageSize
		case v.perms.Write:
			c.privateDirty += linux.PageSize
		default:
			c.privateClean += linux.PageSize
		}
	}
	return c
}

// writeCounts writes the figures of smaps and smaps_rollup (rollup
// adds the Pss breakdown), each as "Name:" padded to 16 columns and the
// value in kB right-aligned in 8.
func writeCounts(b *strings.Builder, size uint64, c smapsCounts, rollup bool) {
	kb := func(name string, bytes uint64) { fmt.Fprintf(b, "%-16s%8d kB\n", name+":", bytes>>10) }
	if !rollup {
		kb("Size", size)
		kb("KernelPageSize", linux.PageSize)
		kb("MMUPageSize", linux.PageSize)
	}
	kb("Rss", c.rss)
	kb("Pss", c.pss>>pssShift)
	kb("Pss_Dirty", c.pssDirty>>pssShift)
	if rollup {
		kb("Pss_Anon", c.pssAnon>>pssShift)
		kb("Pss_File", c.pssFile>>pssShift)
		kb("Pss_Shmem", 0)
	}
	kb("Shared_Clean", c.sharedClean)
	kb("Shared_Dirty", c.sharedDirty)
	kb("Private_Clean", c.privateClean)
	kb("Private_Dirty", c.privateDirty)
	kb("Referenced", c.rss)
	kb("Anonymous", c.anonym)
	for _, zero := range []string{"KSM", "LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped",
		"Shared_Hugetlb", "Private_Hugetlb", "Swap", "SwapPss"} {
		kb(zero, 0)
	}
	kb("Locked", c.locked)
}

// vmFlags returns a VMA's VmFlags line of smaps (the flags this manager
// has: rd wr ex sh mr mw me ms gd).
func vmFlags(v *vma) string {
	var f []string
	for _, x := range []struct {
		on   bool
		name string
	}{
		{v.perms.Read, "rd"}, {v.perms.Write, "wr"}, {v.perms.Execute, "ex"}, {!v.private, "sh"},
		{v.maxPerms.Read, "mr"}, {v.maxPerms.Write, "mw"}, {v.maxPerms.Execute, "me"}, {!v.private, "ms"},
		{v.growsDown, "gd"},
	} {
		if x.on {
			f = append(f, x.name)
		}
	}
	return "VmFlags: " + strings.Join(f, " ") + " \n"
}

// Smaps returns the text of /proc/pid/smaps: each line of Maps followed
// by the VMA's memory figures and flags, as Linux prints them.
func (m *MemoryManager) Smaps() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	m.writeVMAsLocked(&b, func(v *vma) {
		writeCounts(&b, uint64(v.end-v.start), m.countsLocked(v), false)
		b.WriteString("THPeligible:    0\n")
		b.WriteString(vmFlags(v))
	})
	return []byte(b.String())
}

// SmapsRollup returns the text of /proc/pid/smaps_rollup: the figures of
// Smaps summed over the address space, under one line spanning it.
func (m *MemoryManager) SmapsRollup() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	var total smapsCounts
	var lo, hi uintptr
	for i := range m.vmas {
		v := &m.vmas[i]
		total.add(m.countsLocked(v))
	}
	if len(m.vmas) > 0 {
		lo, hi = m.vmas[0].start, m.vmas[len(m.vmas)-1].end
	}
	writeMapsLine(&b, fmt.Sprintf("%08x-%08x ---p 00000000 00:00 0 ", lo, hi), "[rollup]")
	writeCounts(&b, 0, total, true)
	return []byte(b.String())
}
