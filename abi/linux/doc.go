// Package linux is the one home of the Linux x86-64 ABI constants and
// layouts that Cocoon needs as data and that golang.org/x/sys/unix does not
// give in a usable form: signal numbers and masks, default signal actions,
// wait statuses and siginfo codes (signal.go), page geometry (page.go), the
// end of the user address space (mm.go), poll events (poll.go) and path and
// argument limits (limits.go). It imports nothing of Cocoon's.
package linux
