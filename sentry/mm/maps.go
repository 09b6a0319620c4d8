package mm

import (
	"fmt"
	"strings"
	"sync/atomic"
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
	for i := range m.vmas {
		v := &m.vmas[i]
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
		line := fmt.Sprintf("%08x-%08x %c%c%c%c %08x 00:00 0 ", v.start, v.end,
			flag(v.perms.Read, 'r'), flag(v.perms.Write, 'w'), flag(v.perms.Execute, 'x'), sp, off)
		writeMapsLine(&b, line, v.name)
	}
	if p := vsyscallPerms.Load(); p != nil {
		writeMapsLine(&b, fmt.Sprintf("ffffffffff600000-ffffffffff601000 %s 00000000 00:00 0 ", *p), "[vsyscall]")
	}
	return []byte(b.String())
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
