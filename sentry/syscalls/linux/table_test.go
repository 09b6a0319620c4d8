package linux

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestTable checks the table's shape: names are unique and present, every
// number fits, and the calls every program makes are implemented.
func TestTable(t *testing.T) {
	table := Table()
	seen := make(map[string]uintptr)
	for nr, s := range syscalls {
		if nr >= maxSyscall {
			t.Errorf("syscall %d (%s) is past the table's end", nr, s.Name)
		}
		if s.Name == "" {
			t.Errorf("syscall %d has no name", nr)
		}
		if other, ok := seen[s.Name]; ok {
			t.Errorf("name %q used by %d and %d", s.Name, other, nr)
		}
		seen[s.Name] = nr
	}
	for _, nr := range []uintptr{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_OPENAT, unix.SYS_MMAP, unix.SYS_EXECVE, unix.SYS_CLONE, unix.SYS_WAIT4, unix.SYS_EXIT_GROUP, unix.SYS_RT_SIGACTION, unix.SYS_RT_SIGRETURN} {
		if table[nr].Fn == nil {
			t.Errorf("syscall %d (%s) has no handler", nr, table[nr].Name)
		}
	}
}
