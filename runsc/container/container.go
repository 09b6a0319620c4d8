// Package container owns a container's lifecycle and its state directory
// under --root: creating it (refusing a taken ID) with its sandbox,
// recording the sandbox handle and the status in state.json as the
// container moves through the OCI states (creating, created, running,
// stopped), and the verbs that later runsc calls apply to it: start,
// kill, wait, ps, delete. Run ties them together for `runsc run` and
// `runsc do`.
//
// Locking: a Container is used by one goroutine. runsc processes working
// on the same ID are serialised by an exclusive flock on the state
// directory, held while state.json is read, changed and written (never
// while waiting for the container); creation is an exclusive mkdir.
package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/cgroup"
	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/console"
	"github.com/cocoon-sandbox/cocoon/runsc/control"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Container is a container with a state directory.
type Container struct {
	State
	// dir is --root/<id>.
	dir string
}

// newState creates the state directory of a new container, in the
// Creating state. It fails with ErrExist if the ID is taken.
func newState(rootDir, id, bundle, rootfs string, spec *specs.Spec) (*Container, error) {
	if err := specutils.ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(rootDir, 0o711); err != nil {
		return nil, fmt.Errorf("creating root directory: %w", err)
	}
	dir := filepath.Join(rootDir, id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrExist)
		}
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	c := &Container{
		State: State{
			OCIVersion: specs.Version,
			ID:         id,
			Status:     Creating,
			Bundle:     bundle,
			Rootfs:     rootfs,
			Created:    time.Now().UTC(),
		},
		dir: dir,
	}
	if spec != nil {
		c.Annotations = spec.Annotations
		c.Hooks = spec.Hooks
		c.Process = spec.Process
	}
	if err := c.save(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// CreateArgs describes a container to create.
type CreateArgs struct {
	// Conf is the global configuration; Conf.RootDir holds the state.
	Conf *config.Config
	// ID is the container ID.
	ID string
	// Bundle is the absolute bundle directory ("" for `runsc do`).
	Bundle string
	// Spec is the validated spec.
	Spec *specs.Spec
	// RootFS is the absolute host directory served as the root.
	RootFS string
	// PidFile, if set, receives the sandbox's host PID.
	PidFile string
	// Foreground ties the sandbox to this runsc process (run and do
	// without --detach).
	Foreground bool
	// Exe is the binary to re-execute as boot and gofer; empty means
	// runsc itself. Tests set it.
	Exe string
	// ConsoleSocket is --console-socket: for a spec with
	// process.terminal, the unix socket the pty master is sent to.
	ConsoleSocket string
}

// Create creates the container: its state directory, then its gofer and
// sandbox, which builds the container up to its loaded init. It returns
// once the container is created (runc's "created"). On error nothing is
// left: no process, no state.
func Create(a *CreateArgs) (_ *Container, err error) {
	c, err := newState(a.Conf.RootDir, a.ID, a.Bundle, a.RootFS, a.Spec)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.removeDir()
		}
	}()
	unlock, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	master, replica, err := terminal(a)
	if err != nil {
		return nil, err
	}
	if master != nil {
		defer master.Close()
		defer replica.Close()
	}
	s, err := sandbox.Create(&sandbox.Args{
		ID:       a.ID,
		Spec:     a.Spec,
		Conf:     a.Conf,
		StateDir: c.dir,
		RootDir:  a.RootFS,
		// `runsc do` (no bundle) serves the host's "/": never writable
		// through the gofer, though its root overlay takes writes.
		ReadOnly:   a.Bundle == "" || a.Spec.Root != nil && a.Spec.Root.Readonly,
		Binds:      specutils.BindMounts(a.Bundle, a.Spec),
		Foreground: a.Foreground,
		Exe:        a.Exe,
		Console:    replica,
	})
	if err != nil {
		return nil, err
	}
	if master != nil {
		if err := console.SendMaster(a.ConsoleSocket, master); err != nil {
			s.Destroy()
			return nil, err
		}
	}
	c.Sandbox = s
	c.Pid = s.Sandbox.PID
	// The sandbox's environment exists, its init not yet started.
	for _, k := range []hookKind{hookPrestart, hookCreateRuntime, hookCreateContainer} {
		if err := runHooks(c.Hooks, k, c.OCIState()); err != nil {
			s.Destroy()
			return nil, err
		}
	}
	if err := c.move(Created); err != nil {
		s.Destroy()
		return nil, err
	}
	if err := c.save(c.dir); err != nil {
		s.Destroy()
		return nil, err
	}
	if a.PidFile != "" {
		if err := WritePidFile(a.PidFile, c.Pid); err != nil {
			s.Destroy()
			return nil, err
		}
	}
	return c, nil
}

// terminal makes the container's host terminal if the spec asks for one
// and the caller gave a console socket (master and replica are nil
// otherwise). Without a socket, a foreground run keeps runsc's own stdio
// (a terminal already, if runsc runs in one); a detached container with
// a terminal cannot work without one, and is refused as runc refuses it.
func terminal(a *CreateArgs) (master, replica *os.File, err error) {
	if !a.Spec.Process.Terminal {
		if a.ConsoleSocket != "" {
			return nil, nil, errors.New("--console-socket given, but process.terminal is false")
		}
		return nil, nil, nil
	}
	if a.ConsoleSocket == "" {
		if !a.Foreground {
			return nil, nil, errors.New("process.terminal is true: --console-socket is required to create a container that runsc does not wait for")
		}
		return nil, nil, nil
	}
	if master, replica, err = console.NewPty(); err != nil {
		return nil, nil, err
	}
	if err := console.SetSize(master, a.Spec.Process.ConsoleSize); err != nil {
		master.Close()
		replica.Close()
		return nil, nil, err
	}
	return master, replica, nil
}

// Load reads the state of an existing container and brings its status up
// to date: a created or running container whose sandbox is gone, or whose
// init has ended, is stopped.
func Load(rootDir, id string) (*Container, error) {
	if err := specutils.ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(rootDir, id)
	s, err := loadState(dir)
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, err
	}
	c := &Container{State: *s, dir: dir}
	c.refresh()
	return c, nil
}

// refresh marks the container stopped if its sandbox has ended it.
func (c *Container) refresh() {
	if !c.Status.alive() {
		return
	}
	if c.Sandbox == nil || !c.Sandbox.IsRunning() {
		c.Status = Stopped
		return
	}
	if rec, err := c.Sandbox.ExitRecord(); err == nil && rec != nil {
		c.Status = Stopped
	}
}

// Dir returns the container's state directory.
func (c *Container) Dir() string { return c.dir }

// OCIState returns the container's state as `runsc state` prints it
// (runc's fields): the pid is 0 once the container stopped.
func (c *Container) OCIState() State {
	s := c.State
	s.Sandbox, s.Hooks, s.Process = nil, nil, nil
	if s.Status == Stopped {
		s.Pid = 0
	}
	return s
}

func (c *Container) move(to Status) error {
	if !canMove(c.Status, to) {
		return &InvalidTransitionError{ID: c.ID, From: c.Status, To: to}
	}
	c.Status = to
	return nil
}

// lock takes the exclusive lock on the state directory and reloads the
// state under it; the returned function releases it.
func (c *Container) lock() (func(), error) {
	fd, err := unix.Open(c.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("container %q: %w", c.ID, ErrNotExist)
		}
		return nil, fmt.Errorf("locking container %q: %w", c.ID, err)
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("locking container %q: %w", c.ID, err)
	}
	if s, err := loadState(c.dir); err == nil {
		children := c.Sandbox
		c.State = *s
		if children != nil && c.Sandbox != nil {
			// Keep this process's own handle (it reaps the children).
			c.Sandbox = children
		}
		c.refresh()
	}
	return func() { unix.Close(fd) }, nil
}

// Start starts a created container's init.
func (c *Container) Start() error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if c.Status != Created {
		return &InvalidTransitionError{ID: c.ID, From: c.Status, To: Running}
	}
	if err := runHooks(c.Hooks, hookStartContainer, c.OCIState()); err != nil {
		// The spec: the container is stopped, its init never runs.
		c.Sandbox.Destroy()
		return err
	}
	if err := c.Sandbox.StartContainer(c.ID); err != nil {
		return fmt.Errorf("starting container %q: %w", c.ID, err)
	}
	c.Status = Running
	if err := c.save(c.dir); err != nil {
		return err
	}
	runHooksWarn(c.Hooks, hookPoststart, c.OCIState())
	return nil
}

// Signal sends sig to the container's init, or with all to every process
// of the container.
func (c *Container) Signal(sig int, all bool) error {
	return c.signal(func(s *sandbox.Sandbox) error { return s.SignalContainer(c.ID, sig, all) })
}

// SignalProcess sends sig to the container's process pid (as the
// container sees it).
func (c *Container) SignalProcess(pid int32, sig int) error {
	return c.signal(func(s *sandbox.Sandbox) error { return s.SignalProcess(c.ID, pid, sig) })
}

// SignalForeground sends sig to the foreground process group of the
// terminal of the process whose PID in the container is pid (exec --tty).
func (c *Container) SignalForeground(pid int32, sig int) error {
	return c.signal(func(s *sandbox.Sandbox) error { return s.SignalForeground(c.ID, pid, sig) })
}

// signal runs send on a running container's sandbox.
func (c *Container) signal(send func(*sandbox.Sandbox) error) error {
	c.refresh()
	if !c.Status.alive() {
		return fmt.Errorf("container %q: %w", c.ID, ErrNotRunning)
	}
	if err := send(c.Sandbox); err != nil {
		if errors.Is(err, control.ErrConnection) {
			return fmt.Errorf("container %q: %w", c.ID, ErrNotRunning)
		}
		return fmt.Errorf("signalling container %q: %w", c.ID, err)
	}
	return nil
}

// Wait waits for the container's init to exit and returns its status as a
// shell reports it (128+N for signal N).
func (c *Container) Wait() (int, error) {
	if c.Sandbox == nil {
		return 0, fmt.Errorf("container %q has no sandbox", c.ID)
	}
	status, err := c.Sandbox.WaitContainer(c.ID)
	if err != nil {
		return status, fmt.Errorf("waiting for container %q: %w", c.ID, err)
	}
	return status, nil
}

// Processes lists the container's processes.
func (c *Container) Processes() ([]control.Process, error) {
	c.refresh()
	if !c.Status.alive() {
		return nil, fmt.Errorf("container %q: %w", c.ID, ErrNotRunning)
	}
	return c.Sandbox.Processes(c.ID)
}

// Stacks returns the goroutine stacks of the container's sandbox process.
func (c *Container) Stacks() (string, error) {
	c.refresh()
	if !c.Status.alive() {
		return "", fmt.Errorf("container %q: %w", c.ID, ErrNotRunning)
	}
	return c.Sandbox.Stacks()
}

// ErrNotStopped is returned by Delete without force for a running
// container.
var ErrNotStopped = errors.New("is not stopped")

// Delete destroys the container: it kills its sandbox and gofer if they
// are still there, waits until they are gone, and removes the state
// directory. A running container is deleted only with force (runc's
// rule); a created one (never started) always.
func (c *Container) Delete(force bool) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if (c.Status == Running || c.Status == Paused) && !force {
		return fmt.Errorf("cannot delete container %q that %w: %s", c.ID, ErrNotStopped, c.Status)
	}
	if c.Sandbox != nil {
		if err := c.Sandbox.Destroy(); err != nil {
			return fmt.Errorf("deleting container %q: %w", c.ID, err)
		}
	}
	if err := c.removeDir(); err != nil {
		return err
	}
	last := c.OCIState()
	last.Status = Stopped
	runHooksWarn(c.Hooks, hookPoststop, last)
	return nil
}

// removeDir removes the container's state directory.
func (c *Container) removeDir() error {
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("removing state of container %q: %w", c.ID, err)
	}
	log.Debugf("container %s: state removed", c.ID)
	return nil
}

// List returns the IDs of the containers under rootDir, sorted; a missing
// rootDir holds none.
func List(rootDir string) ([]string, error) {
	ents, err := os.ReadDir(rootDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing %s: %w", rootDir, err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && specutils.ValidateID(e.Name()) == nil {
			if _, err := os.Stat(filepath.Join(rootDir, e.Name(), stateFile)); err == nil {
				ids = append(ids, e.Name())
			}
		}
	}
	return ids, nil // ReadDir sorts by name
}

// Stats returns the figures of the container's cgroup.
func (c *Container) Stats() (cgroup.Stats, error) {
	c.refresh()
	if !c.Status.alive() {
		return cgroup.Stats{}, fmt.Errorf("container %q: %w", c.ID, ErrNotRunning)
	}
	return c.Sandbox.Stats()
}

// Exec starts a process in the running container with stdio (three
// files, or one terminal) and returns its PID in the container.
func (c *Container) Exec(a *control.ExecArgs, stdio []*os.File) (int32, error) {
	c.refresh()
	if c.Status != Running {
		return 0, fmt.Errorf("cannot exec in container %q: %w (%s)", c.ID, ErrNotRunning, c.Status)
	}
	pid, err := c.Sandbox.Exec(c.ID, a, stdio)
	if err != nil {
		return 0, fmt.Errorf("exec in container %q: %w", c.ID, err)
	}
	return pid, nil
}

// WaitProcess waits for process pid that Exec started and returns its
// status as a shell reports it.
func (c *Container) WaitProcess(pid int32) (int, error) {
	status, err := c.Sandbox.WaitPID(c.ID, pid)
	if err != nil {
		return status, fmt.Errorf("waiting for process %d of container %q: %w", pid, c.ID, err)
	}
	return status, nil
}

// Pause freezes the running container's processes (runc's pause).
func (c *Container) Pause() error {
	return c.freeze(Running, Paused, (*sandbox.Sandbox).PauseContainer)
}

// Resume thaws the paused container's processes.
func (c *Container) Resume() error {
	return c.freeze(Paused, Running, (*sandbox.Sandbox).ResumeContainer)
}

// freeze moves the container from one status to the other with call, under
// the state lock.
func (c *Container) freeze(from, to Status, call func(s *sandbox.Sandbox, id string) error) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if c.Status != from {
		return &InvalidTransitionError{ID: c.ID, From: c.Status, To: to}
	}
	if err := call(c.Sandbox, c.ID); err != nil {
		return fmt.Errorf("container %q: %w", c.ID, err)
	}
	c.Status = to
	return c.save(c.dir)
}

// Update writes new resource limits into the container's cgroup (runc's
// update). Permission errors come back as warnings.
func (c *Container) Update(r *specs.LinuxResources) (warnings []error, err error) {
	c.refresh()
	if !c.Status.alive() {
		return nil, fmt.Errorf("container %q: %w", c.ID, ErrNotRunning)
	}
	if c.Sandbox.Cgroup == nil {
		return nil, fmt.Errorf("container %q has no cgroup (no linux.cgroupsPath)", c.ID)
	}
	return c.Sandbox.Cgroup.Apply(r)
}
