// Package container owns a container's lifecycle and its state directory
// under --root: creating it (refusing a taken ID), recording the sandbox's
// PIDs and status in state.json as the container moves through the OCI
// states, and removing the directory when the container is gone. Run ties
// this to the sandbox package for `runsc run` and `runsc do`.
//
// A Container is used by one goroutine; two runsc processes never work on
// the same ID at once because creation is an exclusive mkdir.
package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Container is a container with a state directory.
type Container struct {
	State
	// dir is --root/<id>.
	dir string
}

// New creates the state directory of a new container, in the Creating
// state. It fails with ErrExist if the ID is taken.
func New(rootDir, id, bundle string, spec *specs.Spec) (*Container, error) {
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
			Created:    time.Now().UTC(),
		},
		dir: dir,
	}
	if spec != nil {
		c.Annotations = spec.Annotations
	}
	if err := c.save(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// Load reads the state of an existing container.
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
	return &Container{State: *s, dir: dir}, nil
}

// Dir returns the container's state directory.
func (c *Container) Dir() string { return c.dir }

// SetRunning records the sandbox and gofer PIDs and moves to Running.
func (c *Container) SetRunning(pid, goferPid int) error {
	if err := c.move(Running); err != nil {
		return err
	}
	c.Pid, c.GoferPid = pid, goferPid
	return c.save(c.dir)
}

// SetStopped moves to Stopped.
func (c *Container) SetStopped() error {
	if err := c.move(Stopped); err != nil {
		return err
	}
	return c.save(c.dir)
}

func (c *Container) move(to Status) error {
	if !canMove(c.Status, to) {
		return &InvalidTransitionError{ID: c.ID, From: c.Status, To: to}
	}
	c.Status = to
	return nil
}

// Destroy removes the container's state directory.
func (c *Container) Destroy() error {
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("removing state of container %q: %w", c.ID, err)
	}
	return nil
}
