package mm

import (
	"fmt"
	"strings"
)

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
		b.WriteString(line)
		if v.name != "" {
			// Linux (show_map_vma) pads to 72 columns, then a space.
			if pad := 72 - len(line); pad > 0 {
				b.WriteString(strings.Repeat(" ", pad))
			}
			b.WriteByte(' ')
			b.WriteString(v.name)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
