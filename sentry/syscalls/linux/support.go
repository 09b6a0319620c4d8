package linux

import (
	"fmt"
	"sort"
	"sync"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Support says how completely the sentry implements a system call.
type Support int

// Support levels. Every level but Supported carries a note in the table.
const (
	// Supported: the call behaves as on Linux for everything the sandbox
	// has (a note may still say how, e.g. "nothing to flush").
	Supported Support = iota
	// Partial: implemented, but flags, commands, fields or effects are
	// missing; the note says which.
	Partial
	// Unsupported: the call answers ENOSYS (logged once with --debug);
	// the note says why.
	Unsupported
)

var supportNames = [...]string{Supported: "supported", Partial: "partial", Unsupported: "unsupported"}

// String returns "supported", "partial" or "unsupported".
func (s Support) String() string {
	if s < 0 || int(s) >= len(supportNames) {
		return fmt.Sprintf("Support(%d)", int(s))
	}
	return supportNames[s]
}

// MarshalText implements encoding.TextMarshaler (for JSON output).
func (s Support) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Support) UnmarshalText(b []byte) error {
	for i, n := range supportNames {
		if n == string(b) {
			*s = Support(i)
			return nil
		}
	}
	return fmt.Errorf("unknown support level %q", b)
}

// entry is one row of the system-call table. fn is nil exactly for
// Unsupported rows.
type entry struct {
	name    string
	fn      kernel.SyscallFn
	support Support
	note    string
}

// Entry is what the table says about one system call.
type Entry struct {
	Number  uintptr `json:"number"`
	Name    string  `json:"name"`
	Support Support `json:"support"`
	Note    string  `json:"note,omitempty"`
}

// Entries returns every row of the table, sorted by number: what `runsc
// syscalls` prints. Numbers not in it answer ENOSYS too.
func Entries() []Entry {
	out := make([]Entry, 0, len(syscalls))
	for nr, e := range syscalls {
		out = append(out, Entry{Number: nr, Name: e.name, Support: e.support, Note: e.note})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Table returns the system-call table indexed by number, for the kernel.
func Table() []kernel.Syscall {
	table := make([]kernel.Syscall, maxSyscall)
	for nr, e := range syscalls {
		table[nr] = kernel.Syscall{Name: e.name, Fn: e.fn}
	}
	return table
}

// numbers maps each name in the table to its number.
var numbers = sync.OnceValue(func() map[string]uintptr {
	m := make(map[string]uintptr, len(syscalls))
	for nr, e := range syscalls {
		m[e.name] = nr
	}
	return m
})

// Number returns the x86-64 number of the system call the table names
// name (for seccomp profiles), and whether it is in the table.
func Number(name string) (uintptr, bool) {
	nr, ok := numbers()[name]
	return nr, ok
}
