package ocivalidation

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Status is the outcome of one assertion under one runtime.
type Status int

// The outcomes. Missing means the program did not print the assertion at
// all (it died or hung before it): it counts as not ok. NotApplicable is
// Missing for a program that exited 0 without printing any assertion: the
// *_fail programs do that when the runtime rightly refuses the bundle, so
// what the other runtime's runtimetest printed does not apply.
const (
	Missing Status = iota
	OK
	NotOK
	Skip
	NotApplicable
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case NotOK:
		return "not ok"
	case Skip:
		return "skip"
	case NotApplicable:
		return "n/a"
	}
	return "missing"
}

// Assertion is one TAP test line.
type Assertion struct {
	// Key names the assertion within its program: its description (for a
	// skip, the reason), with " #N" appended to the Nth repetition of a
	// description, so that the same key means the same assertion under
	// both runtimes even when their numbering differs.
	Key    string
	Status Status
}

// ParseTAP reads the TAP version 13 output of a validation program. It
// keeps the "ok" / "not ok" lines and drops everything else: the version
// and plan lines, "Refer to:" lines and the indented diagnostic blocks
// between "---" and "...", whose JSON may hold anything (even the nested
// TAP of runtimetest).
func ParseTAP(out string) []Assertion {
	var as []Assertion
	seen := map[string]int{}
	inBlock := false
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(line)
		if inBlock {
			if trimmed == "..." {
				inBlock = false
			}
			continue
		}
		if trimmed == "---" && line != trimmed {
			inBlock = true
			continue
		}
		var st Status
		var rest string
		switch {
		case strings.HasPrefix(line, "ok "):
			st, rest = OK, line[len("ok "):]
		case strings.HasPrefix(line, "not ok "):
			st, rest = NotOK, line[len("not ok "):]
		default:
			continue
		}
		// Drop the number, then the separator.
		rest = strings.TrimLeft(rest, "0123456789")
		desc, directive, _ := strings.Cut(rest, " # ")
		if strings.HasPrefix(rest, " # ") || rest == " #" {
			desc, directive = "", strings.TrimPrefix(rest, " # ")
		}
		desc = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(desc), "- "))
		if d := strings.ToUpper(directive); strings.HasPrefix(d, "SKIP") {
			st = Skip
			if desc == "" {
				desc = strings.TrimSpace(directive[len("SKIP"):])
			}
		}
		key := desc
		seen[desc]++
		if n := seen[desc]; n > 1 {
			key = fmt.Sprintf("%s #%d", desc, n)
		}
		as = append(as, Assertion{Key: key, Status: st})
	}
	return as
}

func TestParseTAP(t *testing.T) {
	out := `TAP version 13
ok 1 - has expected hostname
  ---
  {
    "stdout": "ok 1 - nested\nnot ok 2 - nested\n"
  }
  ...
not ok 2 - mounts[0] (/proc) found in order
Refer to: https://example.org
  ---
  {
  "error": "x"
  }
  ...
ok 3 # SKIP cgroup v2 is not mounted
ok 4 - has expected hostname
not ok 5 - bad # TODO later
1..5
`
	got := ParseTAP(out)
	want := []Assertion{
		{"has expected hostname", OK},
		{"mounts[0] (/proc) found in order", NotOK},
		{"cgroup v2 is not mounted", Skip},
		{"has expected hostname #2", OK},
		{"bad", NotOK},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseTAP:\n got %v\nwant %v", got, want)
	}
}
