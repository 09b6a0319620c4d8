package boot

import (
	"encoding/json"
	"errors"
	"runtime"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/runsc/control"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// methods returns the control API the sandbox serves (runsc/control). Every
// method but Ready answers only once the root container is built; a
// sandbox that failed to boot answers them with its boot error.
func (l *Loader) methods() map[string]control.HandlerFunc {
	return map[string]control.HandlerFunc{
		control.MethodReady:     l.ctlReady,
		control.MethodStart:     l.withContainer(l.ctlStart),
		control.MethodWait:      l.withContainer(l.ctlWait),
		control.MethodProcesses: l.withContainer(l.ctlProcesses),
		control.MethodSignal:    l.ctlSignal,
		control.MethodExec:      l.ctlExec,
		control.MethodPause:     l.withContainer(func(id string) (any, error) { return nil, l.k.PauseContainer(id) }),
		control.MethodResume:    l.withContainer(func(id string) (any, error) { return nil, l.k.ResumeContainer(id) }),
		control.MethodWaitPID:   l.ctlWaitPID,
		control.MethodStacks:    ctlStacks,
	}
}

// ctlStacks dumps every goroutine's stack. It works before and after the
// boot, and when the sentry is wedged: it takes no kernel lock.
func ctlStacks(_ json.RawMessage, fds []int) (any, error) {
	closeFDs(fds)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true /* all */)
		if n < len(buf) || len(buf) >= 64<<20 {
			return &control.StacksResult{Stacks: string(buf[:n])}, nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// ctlReady waits for the root container to be built.
func (l *Loader) ctlReady(_ json.RawMessage, fds []int) (any, error) {
	closeFDs(fds)
	<-l.ready
	defer l.reportedOnce.Do(func() { close(l.reported) })
	if l.readyErr != nil {
		return &control.ReadyResult{Error: l.readyErr.Error(), Status: l.readyStatus}, nil
	}
	return &control.ReadyResult{}, nil
}

// afterBoot waits for the build and fails if it did not work.
func (l *Loader) afterBoot() error {
	<-l.ready
	if l.readyErr != nil {
		return control.Errorf(control.CodeInternal, "sandbox failed to boot: %v", l.readyErr)
	}
	return nil
}

// withContainer decodes ContainerArgs for fn, once the sandbox is built.
func (l *Loader) withContainer(fn func(id string) (any, error)) control.HandlerFunc {
	return func(args json.RawMessage, fds []int) (any, error) {
		closeFDs(fds)
		var a control.ContainerArgs
		if err := control.DecodeArgs(args, &a); err != nil {
			return nil, err
		}
		if err := l.afterBoot(); err != nil {
			return nil, err
		}
		r, err := fn(a.ID)
		return r, controlError(err)
	}
}

func (l *Loader) ctlStart(id string) (any, error) { return nil, l.start(id) }

func (l *Loader) ctlWait(id string) (any, error) {
	ws, err := l.k.WaitContainer(id)
	if err != nil {
		return nil, err
	}
	return &control.WaitResult{Status: ws.ShellStatus(), WaitStatus: uint32(ws)}, nil
}

func (l *Loader) ctlProcesses(id string) (any, error) {
	ps, err := l.k.ContainerProcesses(id)
	if err != nil {
		return nil, err
	}
	out := make([]control.Process, 0, len(ps))
	for _, p := range ps {
		out = append(out, control.Process{
			PID: p.PID, PPID: p.PPID, UID: p.UID, Cmd: p.Name, State: p.State,
			UserTimeNS: int64(p.UserTime),
		})
	}
	return out, nil
}

func (l *Loader) ctlSignal(args json.RawMessage, fds []int) (any, error) {
	closeFDs(fds)
	var a control.SignalArgs
	if err := control.DecodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := l.afterBoot(); err != nil {
		return nil, err
	}
	if a.PID != 0 {
		if a.All {
			return nil, control.Errorf(control.CodeInvalid, "pid and all are exclusive")
		}
		if a.Foreground {
			return nil, controlError(l.signalForeground(a.ID, a.PID, linux.Signal(a.Signal)))
		}
		return nil, controlError(l.k.SignalProcess(a.ID, a.PID, linux.Signal(a.Signal)))
	}
	return nil, controlError(l.signal(a.ID, linux.Signal(a.Signal), a.All))
}

// controlError gives kernel and loader errors their control code.
func controlError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kernel.ErrNoContainer), errors.Is(err, kernel.ErrNoProcess):
		return control.Errorf(control.CodeNotFound, "%v", err)
	case kernel.ErrInvalidSignal(err), errors.Is(err, errNotCreated):
		return control.Errorf(control.CodeInvalid, "%v", err)
	}
	return err
}
