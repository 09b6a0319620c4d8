// Package boot turns an OCI spec into a running sentry inside the sandbox
// process: it creates the memory file and the platform, confines the process
// to an empty root, builds the kernel and its file systems (gofer root under
// an in-memory overlay, /proc, /dev, tmpfs mounts), starts the container's
// init and waits for it.
package boot

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Args is everything the sandbox process needs to boot.
type Args struct {
	// Spec is the container's OCI spec. Root.Path is ignored: the root
	// file system is served by the gofer at GoferFD.
	Spec *specs.Spec

	// GoferFD is a connected socket to the gofer serving the root.
	GoferFD int

	// Stdio are the host FDs that become the container's stdin, stdout
	// and stderr.
	Stdio [3]int

	// Confine moves the process into an empty root (pivot_root, old root
	// unmounted) and drops its privileges once the platform is set up;
	// after it no host path is reachable.
	Confine func() error

	// Debug enables debug logging (to where runsc pointed the log).
	Debug bool

	// SharedFileAccess says the root file system may change on the host
	// while the sandbox runs (--file-access=shared): its attributes are
	// not cached.
	SharedFileAccess bool
}

// Run boots the sandbox and runs the container's init to completion. It
// returns the exit status to report: the init's exit code, or 128+signal if
// a signal killed it. Errors are printed as one line on stderr and give a
// non-zero status.
func Run(args *Args) int {
	return run(args)
}
