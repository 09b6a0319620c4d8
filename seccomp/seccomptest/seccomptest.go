// Package seccomptest holds what the tests of every allowlist share:
// building system-call data and checking a filter's verdicts on it through
// seccomp.Eval. It owns no state.
package seccomptest

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// Call returns the data of system call nr with args, from x86-64.
func Call(nr uintptr, args ...uint64) seccomp.Data {
	d := seccomp.Data{Nr: int32(nr), Arch: unix.AUDIT_ARCH_X86_64}
	copy(d.Args[:], args)
	return d
}

// Case is one named system call to evaluate.
type Case struct {
	Name string
	Data seccomp.Data
}

// ExpectAction checks, one subtest per case, that prog answers want.
func ExpectAction(t *testing.T, prog []unix.SockFilter, want seccomp.Action, cases []Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := seccomp.Eval(prog, tc.Data)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got %#x, want %#x", got, want)
			}
		})
	}
}

// ExpectRulesAllowed checks that prog allows every rule in the form the
// rule itself accepts.
func ExpectRulesAllowed(t *testing.T, prog []unix.SockFilter, rules []seccomp.SyscallRule) {
	t.Helper()
	for _, r := range rules {
		d := Call(r.Nr)
		for i, m := range r.Args {
			d.Args[i] = m.Example()
		}
		if got, err := seccomp.Eval(prog, d); err != nil || got != seccomp.ActionAllow {
			t.Errorf("nr %d args %#x: got %#x, %v; want allow", r.Nr, d.Args, got, err)
		}
	}
}
