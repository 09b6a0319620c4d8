package container

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// hookKind names a lifecycle hook list of the spec.
type hookKind string

// The hook lists, in the order the lifecycle runs them. All of them run in
// runsc's (the host's) namespaces: the container's namespaces are the
// sentry's own, not the host kernel's, so createContainer and
// startContainer cannot be entered either (gVisor runs them the same way).
const (
	hookPrestart        hookKind = "prestart"
	hookCreateRuntime   hookKind = "createRuntime"
	hookCreateContainer hookKind = "createContainer"
	hookStartContainer  hookKind = "startContainer"
	hookPoststart       hookKind = "poststart"
	hookPoststop        hookKind = "poststop"
)

// hooksOf returns the spec's hooks of kind k.
func hooksOf(h *specs.Hooks, k hookKind) []specs.Hook {
	if h == nil {
		return nil
	}
	switch k {
	case hookPrestart:
		return h.Prestart //nolint:staticcheck // deprecated, still run as runc does
	case hookCreateRuntime:
		return h.CreateRuntime
	case hookCreateContainer:
		return h.CreateContainer
	case hookStartContainer:
		return h.StartContainer
	case hookPoststart:
		return h.Poststart
	case hookPoststop:
		return h.Poststop
	}
	return nil
}

// defaultHookTimeout bounds a hook that names no timeout, so that a hung
// hook cannot wedge a container operation for ever.
const defaultHookTimeout = 2 * time.Minute

// runHooks runs the hooks of kind k in order, each given the state as JSON
// on stdin. It stops at the first failure and returns it, naming the hook.
func runHooks(h *specs.Hooks, k hookKind, st State) error {
	hooks := hooksOf(h, k)
	if len(hooks) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding state for hooks: %w", err)
	}
	for i, hook := range hooks {
		if err := runHook(hook, state); err != nil {
			return fmt.Errorf("%s hook %d (%s): %w", k, i, hook.Path, err)
		}
	}
	return nil
}

// runHooksWarn runs hooks whose failure must not stop the lifecycle
// (poststart, poststop): a failure is logged and the rest still run.
func runHooksWarn(h *specs.Hooks, k hookKind, st State) {
	hooks := hooksOf(h, k)
	state, err := json.Marshal(st)
	if err != nil {
		log.Warningf("encoding state for %s hooks: %v", k, err)
		return
	}
	for i, hook := range hooks {
		if err := runHook(hook, state); err != nil {
			log.Warningf("%s hook %d (%s): %v", k, i, hook.Path, err)
		}
	}
}

// runHook runs one hook with state on stdin, within its timeout; its
// whole process group is killed when the time is up.
func runHook(h specs.Hook, state []byte) error {
	timeout := defaultHookTimeout
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("timeout %d: must be positive", *h.Timeout)
		}
		timeout = time.Duration(*h.Timeout) * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = bytes.NewReader(state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("timed out after %v", timeout)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && out.Len() > 0 {
			return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out.Bytes()))
		}
		return err
	}
	return nil
}
