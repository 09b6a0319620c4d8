// Package boot is the sandbox process (`runsc boot`): the Loader turns an
// OCI spec into a running sentry — memory file, platform, confinement, the
// kernel and its file systems (the gofer's root under an in-memory
// overlay, /proc, /dev, tmpfs mounts) — and the controller serves the
// control API (runsc/control) on the socket runsc handed it, so that later
// runsc calls can start the container, signal it, wait for it and list its
// processes. The process lives as long as its first (root) container: it
// exits with that container's status once its init is gone.
//
// Locking: Loader.mu guards the containers not started yet; the kernel
// has its own locks. The controller's methods run on the control server's
// goroutines and reach the kernel only after the Loader is ready.
package boot

import (
	"github.com/cocoon-sandbox/cocoon/platform"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Args is everything the sandbox process needs to boot.
type Args struct {
	// ContainerID is the ID of the sandbox's first container.
	ContainerID string

	// Spec is the container's OCI spec. Root.Path is ignored: the root
	// file system is served by the gofer at GoferFD.
	Spec *specs.Spec

	// GoferFD is a connected socket to the gofer serving the root.
	GoferFD int

	// BindFDs are connected sockets to the gofer, one per bind mount of
	// the spec in spec order (specutils.BindMounts), each serving that
	// mount's source.
	BindFDs []int

	// Stdio are the host FDs that become the container's stdin, stdout
	// and stderr.
	Stdio [3]int

	// ControllerFD is the listening control socket (control.Listen)
	// that the controller serves.
	ControllerFD int

	// ExitStatusFD, if not -1, is a file (in the container's state
	// directory) that receives the root container's control.ExitRecord as
	// JSON
	// when it ends or fails to boot, for runsc calls made after this
	// process is gone.
	ExitStatusFD int

	// Platform is the platform to run the application on, from the
	// registry (--platform), and PlatformName its name. Its devices are
	// opened before Confine.
	Platform     platform.Constructor
	PlatformName string

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

	// OCISeccomp says to enforce the spec's linux.seccomp on the
	// container's processes (--oci-seccomp).
	OCISeccomp bool
}

// Run boots the sandbox, serves the control API, and returns once the root
// container has ended: with its init's exit status as a shell reports it,
// or the status of a failure to boot (which is reported through the
// control API's Ready and ExitStatusFD, not printed).
func Run(args *Args) int {
	return newLoader(args).run()
}
