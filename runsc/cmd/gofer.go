package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/fsgofer/filter"
	"github.com/cocoon-sandbox/cocoon/fsgofer/server"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
)

// Gofer implements subcommands.Command for "gofer", the file server process
// that runsc starts (internal): it makes the served directory its root,
// drops the capabilities a file server does not need, and serves the
// directory on the socket until the sandbox closes it.
type Gofer struct {
	rootDir  string
	ioFD     int
	readOnly bool
	binds    string
}

// Name implements subcommands.Command.
func (*Gofer) Name() string { return "gofer" }

// Synopsis implements subcommands.Command.
func (*Gofer) Synopsis() string { return "launch a gofer process (internal use only)" }

// Usage implements subcommands.Command.
func (*Gofer) Usage() string {
	return "gofer --root-dir=DIR --io-fd=N [--read-only] - serves DIR to a sandbox (started by runsc)\n\n"
}

// SetFlags implements subcommands.Command.
func (g *Gofer) SetFlags(f *flag.FlagSet) {
	f.StringVar(&g.rootDir, "root-dir", "", "absolute host directory to serve as the container's root.")
	f.IntVar(&g.ioFD, "io-fd", -1, "connected SOCK_SEQPACKET socket to serve the file protocol on.")
	f.BoolVar(&g.readOnly, "read-only", false, "refuse every change to the served tree.")
	f.StringVar(&g.binds, "binds", "", "JSON list of the bind mounts to serve besides the root: {source, fd, readOnly}.")
}

// Execute implements subcommands.Command.
func (g *Gofer) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_ = confFrom(args)
	if f.NArg() != 0 || g.rootDir == "" || g.ioFD < 0 {
		return usageError("gofer: --root-dir and --io-fd are required, and no arguments")
	}
	var binds []sandbox.GoferBind
	if g.binds != "" {
		if err := json.Unmarshal([]byte(g.binds), &binds); err != nil {
			return usageError("gofer: --binds: %v", err)
		}
	}
	// The bind sources are opened while their host paths are reachable;
	// the descriptors keep their trees (and only those) afterwards.
	roots := make([]bindRoot, 0, len(binds))
	defer func() {
		for _, r := range roots {
			r.close()
		}
	}()
	for _, b := range binds {
		r, err := openBindRoot(b)
		if err != nil {
			return Failure(fmt.Errorf("gofer: bind mount of %q: %w", b.Source, err))
		}
		roots = append(roots, r)
	}
	// The served directory becomes the root; then only the capabilities
	// a file server acting as root needs remain (sandbox.GoferCapabilities).
	if err := sandbox.ConfineGofer(g.rootDir, g.readOnly); err != nil {
		return Failure(fmt.Errorf("gofer: %w", err))
	}
	// From here on only the file server's system calls are allowed
	// (fsgofer/filter), on every thread.
	socks := []int{g.ioFD}
	for _, b := range binds {
		socks = append(socks, b.FD)
	}
	if err := filter.Install(socks...); err != nil {
		return Failure(fmt.Errorf("gofer: %w", err))
	}
	log.Debugf("serving %s (read-only %t) on fd %d, and %d bind mounts", g.rootDir, g.readOnly, g.ioFD, len(roots))
	// One connection per tree, each served until the sandbox closes it.
	errs := make(chan error, len(roots)+1)
	for _, r := range roots {
		go func() { errs <- r.serve() }()
	}
	roots = nil // the servers own the descriptors now
	go func() { errs <- server.Serve(g.ioFD, "/", g.readOnly) }()
	var first error
	for range cap(errs) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return Failure(fmt.Errorf("gofer: %w", first))
	}
	return subcommands.ExitSuccess
}

// bindRoot is an opened bind mount source: an O_PATH descriptor and, for a
// file, the file opened for I/O (fsgofer/server.ServeFile).
type bindRoot struct {
	bind         sandbox.GoferBind
	pathFD, ioFD int
}

// openBindRoot opens b's source, following symlinks as mount(8) does.
func openBindRoot(b sandbox.GoferBind) (bindRoot, error) {
	r := bindRoot{bind: b, pathFD: -1, ioFD: -1}
	fd, err := unix.Open(b.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return r, err
	}
	r.pathFD = fd
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		r.close()
		return r, err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return r, nil
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		r.close()
		return r, fmt.Errorf("not a directory or regular file")
	}
	acc := unix.O_RDWR
	if b.ReadOnly {
		acc = unix.O_RDONLY
	}
	r.ioFD, err = unix.Open(b.Source, acc|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err == unix.EROFS || err == unix.EACCES {
		// Not writable on the host: opens for writing get EACCES.
		r.ioFD, err = unix.Open(b.Source, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	}
	if err != nil {
		r.close()
		return r, err
	}
	return r, nil
}

// serve serves the tree on its socket; it takes over the descriptors.
func (r bindRoot) serve() error {
	if r.ioFD >= 0 {
		return server.ServeFile(r.bind.FD, r.pathFD, r.ioFD, r.bind.ReadOnly)
	}
	return server.ServeFD(r.bind.FD, r.pathFD, r.bind.ReadOnly)
}

func (r bindRoot) close() {
	for _, fd := range []int{r.pathFD, r.ioFD} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}
