package linux

import (
	"encoding/json"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTable checks the table's shape: names are unique and present, every
// number fits, support levels agree with the handlers and carry their
// notes, and the calls every program makes are implemented.
func TestTable(t *testing.T) {
	table := Table()
	seen := make(map[string]uintptr)
	for nr, e := range syscalls {
		if nr >= maxSyscall {
			t.Errorf("syscall %d (%s) is past the table's end", nr, e.name)
		}
		if e.name == "" {
			t.Errorf("syscall %d has no name", nr)
		}
		if other, ok := seen[e.name]; ok {
			t.Errorf("name %q used by %d and %d", e.name, other, nr)
		}
		seen[e.name] = nr
		if (e.fn == nil) != (e.support == Unsupported) {
			t.Errorf("%s: support %v with handler %v", e.name, e.support, e.fn != nil)
		}
		if e.support != Supported && e.note == "" {
			t.Errorf("%s: %v without a note saying what is missing or why", e.name, e.support)
		}
		if e.support < Supported || e.support > Unsupported {
			t.Errorf("%s: support level %d", e.name, e.support)
		}
	}
	for _, nr := range []uintptr{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_OPENAT, unix.SYS_MMAP, unix.SYS_EXECVE, unix.SYS_CLONE, unix.SYS_WAIT4, unix.SYS_EXIT_GROUP, unix.SYS_RT_SIGACTION, unix.SYS_RT_SIGRETURN} {
		if table[nr].Fn == nil {
			t.Errorf("syscall %d (%s) has no handler", nr, table[nr].Name)
		}
	}
}

func TestEntries(t *testing.T) {
	es := Entries()
	if len(es) != len(syscalls) {
		t.Fatalf("%d entries for %d rows", len(es), len(syscalls))
	}
	for i := 1; i < len(es); i++ {
		if es[i-1].Number >= es[i].Number {
			t.Fatalf("not sorted by number: %d (%s) before %d (%s)", es[i-1].Number, es[i-1].Name, es[i].Number, es[i].Name)
		}
	}
	if es[0].Number != unix.SYS_READ || es[0].Name != "read" || es[0].Support != Supported {
		t.Errorf("first entry %+v, want read", es[0])
	}
	b, err := json.Marshal(Entry{Number: 334, Name: "rseq", Support: Unsupported, Note: "why"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"number":334,"name":"rseq","support":"unsupported","note":"why"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Entry
	if err := json.Unmarshal(b, &back); err != nil || back.Support != Unsupported {
		t.Errorf("JSON back: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"support":"most"}`), &back); err == nil {
		t.Error("unknown support level accepted")
	}
	if got := Support(7).String(); got != "Support(7)" {
		t.Errorf("unknown level prints %q", got)
	}
}
