package container

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNewStateSaveLoad(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state") // created on demand
	spec := &specs.Spec{Annotations: map[string]string{"a": "b"}}
	c, err := newState(root, "c1", "/bundle", "/bundle/rootfs", spec)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir() != filepath.Join(root, "c1") {
		t.Errorf("Dir = %q", c.Dir())
	}
	l, err := Load(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != Creating || l.Bundle != "/bundle" || l.Rootfs != "/bundle/rootfs" || l.ID != "c1" || l.Annotations["a"] != "b" || l.Created.IsZero() {
		t.Errorf("loaded state = %+v", l.State)
	}
	// The file on disk has the OCI state field names.
	data, err := os.ReadFile(filepath.Join(root, "c1", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"ociVersion": specs.Version, "id": "c1", "status": "creating", "bundle": "/bundle"} {
		if raw[k] != want {
			t.Errorf("state.json %s = %v, want %v", k, raw[k], want)
		}
	}
	if _, ok := raw["created"]; !ok {
		t.Error("state.json has no created")
	}
	if err := c.removeDir(); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(root, "c1"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load after removeDir = %v, want ErrNotExist", err)
	}
}

func TestNewStateRefusesTakenID(t *testing.T) {
	root := t.TempDir()
	if _, err := newState(root, "c1", "", "/", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := newState(root, "c1", "", "/", nil); !errors.Is(err, ErrExist) {
		t.Errorf("second newState = %v, want ErrExist", err)
	}
	// The first container's state is untouched.
	if _, err := Load(root, "c1"); err != nil {
		t.Errorf("Load = %v", err)
	}
}

func TestBadIDs(t *testing.T) {
	root := t.TempDir()
	for _, id := range []string{"", "..", "a/b", "../escape"} {
		if _, err := newState(root, id, "", "/", nil); err == nil {
			t.Errorf("newState(%q) succeeded", id)
		}
		if _, err := Load(root, id); err == nil || errors.Is(err, ErrNotExist) {
			t.Errorf("Load(%q) = %v, want an invalid-ID error", id, err)
		}
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("bad IDs left %d entries under root", len(ents))
	}
}

func TestCorruptState(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "c1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "c1", stateFile), []byte("{ not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(root, "c1"); err == nil || errors.Is(err, ErrNotExist) {
		t.Errorf("Load of a corrupt state = %v, want a corrupt-state error", err)
	}
}

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		from, to Status
		ok       bool
	}{
		{Creating, Created, true},
		{Creating, Stopped, true},
		{Creating, Running, false},
		{Created, Running, true},
		{Created, Stopped, true},
		{Running, Stopped, true},
		{Running, Created, false},
		{Stopped, Running, false},
		{Stopped, Stopped, false},
	} {
		if got := canMove(tc.from, tc.to); got != tc.ok {
			t.Errorf("canMove(%s, %s) = %t, want %t", tc.from, tc.to, got, tc.ok)
		}
	}
	c := &Container{State: State{ID: "c", Status: Stopped}}
	var ite *InvalidTransitionError
	if err := c.move(Running); !errors.As(err, &ite) || ite.From != Stopped || ite.To != Running {
		t.Errorf("stopped -> running = %v, want InvalidTransitionError", err)
	}
}

func TestWritePidFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pid")
	if err := WritePidFile(p, 4321); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(p); string(data) != "4321" {
		t.Errorf("pid file = %q", data)
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
		t.Errorf("temporary file left behind: %d entries", len(ents))
	}
}
