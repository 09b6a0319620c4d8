package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
)

// stateFile is the name of the state file inside a container's directory.
const stateFile = "state.json"

// State is what runsc records about a container in --root/<id>/state.json.
// Its first fields are those of the OCI runtime state (what `runsc state`
// prints, as runc does); the rest are runsc's own.
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Status      Status            `json:"status"`
	Pid         int               `json:"pid,omitempty"`
	Bundle      string            `json:"bundle"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Rootfs is the host directory served as the container's root.
	Rootfs string `json:"rootfs"`
	// Created is when the container was created.
	Created time.Time `json:"created"`
	// Owner is the owner of the container, as runc shows it ("" for the
	// user runsc runs as).
	Owner string `json:"owner"`
	// Sandbox is the handle of the sandbox running the container.
	Sandbox *sandbox.Sandbox `json:"sandbox,omitempty"`
	// Hooks are the spec's lifecycle hooks, kept for start and delete.
	Hooks *specs.Hooks `json:"hooks,omitempty"`
	// Process is the spec's process: what exec starts from (env, cwd,
	// user) unless told otherwise.
	Process *specs.Process `json:"process,omitempty"`
}

// save writes s to dir/state.json atomically (temporary file, fsync,
// rename), so a reader never sees a partial file.
func (s *State) save(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, stateFile+".tmp*")
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFile)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// loadState reads dir/state.json.
func loadState(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotExist
		}
		return nil, fmt.Errorf("reading state: %w", err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt: %w", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}
