// Package e2e runs the first sandbox's acceptance checks against a real
// runsc binary: `runsc do` with busybox, Debian's dash and coreutils and
// gcc-built programs; `runsc run` with an OCI bundle built from
// busybox-static; stdio offsets; the in-memory root overlay; the host-side
// shape of a running sandbox (empty root, seccomp on every stub); clean
// errors for bad input; and no process left behind after any command.
//
// The tests run one at a time (the leftover check looks at every process
// started from this package's private copy of runsc). $RUNSC names the
// binary to test; otherwise bin/runsc is used, built if missing.
//
// Locking: none; the package-level state is set once in TestMain.
package e2e
