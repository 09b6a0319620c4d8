// Package syscalls is Cocoon's system-call test suite: small C programs in
// c/, each compiled with gcc statically and dynamically, run natively and
// under `runsc do`. A test passes only if both runs exit 0 with identical
// stdout, so every expectation is Linux's own.
//
// Run it with `go test ./test/syscalls` (or `make syscall-tests`); $RUNSC
// names the runsc binary to test, else bin/runsc is used (and built if
// missing). Subtests are named TestSyscalls/<test>/<static|dynamic>/<native|runsc>,
// so `-run 'TestSyscalls/pipe/.*/native'` selects one half.
//
// Locking: none; subtests share only read-only data.
package syscalls
