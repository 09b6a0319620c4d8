package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// recordingHooks returns hooks of every kind that append "KIND STATUS
// ID" (read from the state on stdin) to log.
func recordingHooks(t *testing.T, log string) *specs.Hooks {
	t.Helper()
	hook := func(kind string) []specs.Hook {
		return []specs.Hook{{
			Path: "/bin/sh",
			Args: []string{"sh", "-c", `state=$(cat); status=${state#*\"status\":\"}; id=${state#*\"id\":\"}; echo "` + kind + ` ${status%%\"*} ${id%%\"*} $HOOKVAR" >> ` + log},
			Env:  []string{"HOOKVAR=env-ok"},
		}}
	}
	return &specs.Hooks{
		Prestart:        hook("prestart"),
		CreateRuntime:   hook("createRuntime"),
		CreateContainer: hook("createContainer"),
		StartContainer:  hook("startContainer"),
		Poststart:       hook("poststart"),
		Poststop:        hook("poststop"),
	}
}

// TestHooksLifecycle runs a container with a hook of every kind: each runs
// once, in order, with the state of its moment on stdin and its env.
func TestHooksLifecycle(t *testing.T) {
	requireRoot(t)
	log := filepath.Join(t.TempDir(), "hooks.log")
	a := testArgs(t, "c1", "report", filepath.Join(t.TempDir(), "report"), "0")
	a.Spec.Hooks = recordingHooks(t, log)
	status, err := Run(&RunArgs{CreateArgs: *a})
	if err != nil || status != 0 {
		t.Fatalf("Run = %d, %v", status, err)
	}
	got, _ := os.ReadFile(log)
	want := strings.Join([]string{
		"prestart creating c1 env-ok",
		"createRuntime creating c1 env-ok",
		"createContainer creating c1 env-ok",
		"startContainer created c1 env-ok",
		"poststart running c1 env-ok",
		"poststop stopped c1 env-ok",
	}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("hooks ran:\n%s\nwant:\n%s", got, want)
	}
}

// TestFailingHooks checks the spec's failure rules: a failing
// createRuntime hook fails create and leaves nothing; a failing
// poststart hook does not fail start.
func TestFailingHooks(t *testing.T) {
	requireRoot(t)
	fail := []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook says no >&2; exit 3"}}}
	a := testArgs(t, "c1", "wait-signal")
	a.Spec.Hooks = &specs.Hooks{CreateRuntime: fail}
	if _, err := Create(a); err == nil || !strings.Contains(err.Error(), "createRuntime hook 0") || !strings.Contains(err.Error(), "hook says no") {
		t.Fatalf("Create with a failing createRuntime hook = %v", err)
	}
	if _, err := Load(a.Conf.RootDir, "c1"); !errors.Is(err, ErrNotExist) {
		t.Errorf("state after a failed create: %v", err)
	}

	a.Spec.Hooks = &specs.Hooks{Poststart: fail}
	c, err := Create(a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Delete(true)
	if err := c.Start(); err != nil {
		t.Errorf("Start with a failing poststart hook = %v, want success", err)
	}
}

func TestHookTimeout(t *testing.T) {
	one := 1
	start := time.Now()
	err := runHook(specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "sleep 30 & sleep 30"}, Timeout: &one}, []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("runHook of a hung hook = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timeout took %v", d)
	}
	zero := 0
	if err := runHook(specs.Hook{Path: "/bin/true", Timeout: &zero}, nil); err == nil {
		t.Error("a zero timeout was accepted")
	}
	if err := runHook(specs.Hook{Path: "/nonexistent/hook"}, nil); err == nil {
		t.Error("a missing hook binary succeeded")
	}
}
