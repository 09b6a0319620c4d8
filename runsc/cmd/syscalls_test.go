package cmd

import (
	"bytes"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

// syscallsOutput runs `runsc syscalls` with args and returns what it prints.
func syscallsOutput(t *testing.T, args ...string) string {
	t.Helper()
	s := new(Syscalls)
	f := flag.NewFlagSet("syscalls", flag.ContinueOnError)
	s.SetFlags(f)
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSyscallsTable(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"default", nil, []string{"NUM  NAME", "0    read", "59   execve", "supported", "partial", "MAP_SHARED"}, []string{"rseq", "unsupported"}},
		{"all", []string{"--all"}, []string{"0    read", "334  rseq", "unsupported", "glibc runs without them"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := syscallsOutput(t, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasSuffix(line, " ") {
					t.Errorf("line ends in blanks: %q", line)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q", n)
				}
			}
		})
	}
}

func TestSyscallsJSON(t *testing.T) {
	var entries []linuxsys.Entry
	out := syscallsOutput(t, "--format=json", "--all")
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(entries) != len(linuxsys.Entries()) {
		t.Fatalf("%d entries, want %d", len(entries), len(linuxsys.Entries()))
	}
	for i := 1; i < len(entries); i++ {
		if entries[i-1].Number >= entries[i].Number {
			t.Fatalf("not sorted by number at %d", i)
		}
	}
	if !strings.Contains(out, `"support": "partial"`) {
		t.Errorf("support levels are not named in the JSON:\n%.400s", out)
	}
}

func TestSyscallsBadFormat(t *testing.T) {
	s := &Syscalls{format: "csv"}
	if st := s.Execute(nil, nil); st == 0 {
		t.Fatalf("--format=csv accepted")
	}
}
