package boot

import (
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/runsc/control"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/host"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// ctlExec starts a process in a running container (runsc exec): its stdio
// are the FDs the call brought, its root the container's, its working
// directory and user the call's.
func (l *Loader) ctlExec(args json.RawMessage, fds []int) (any, error) {
	defer closeFDs(fds) // stdioTable keeps its own duplicates
	var a control.ExecArgs
	if err := control.DecodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := l.afterBoot(); err != nil {
		return nil, err
	}
	if len(a.Argv) == 0 {
		return nil, control.Errorf(control.CodeInvalid, "exec: no command")
	}
	var stdio [3]int
	switch {
	case len(fds) == 3:
		copy(stdio[:], fds)
	case len(fds) == 1 && a.Terminal:
		stdio = [3]int{fds[0], fds[0], fds[0]}
	default:
		return nil, control.Errorf(control.CodeInvalid, "exec: want 3 stdio FDs or 1 terminal, got %d", len(fds))
	}
	l.mu.Lock()
	root, ok := l.roots[a.ID]
	l.mu.Unlock()
	if !ok {
		return nil, control.Errorf(control.CodeNotFound, "exec: no container %q", a.ID)
	}
	pid, err := l.exec(&a, root, stdio)
	if err != nil {
		return nil, controlError(err)
	}
	return &control.ExecResult{PID: pid}, nil
}

// exec loads and starts the process of a, returning its PID.
func (l *Loader) exec(a *control.ExecArgs, root vfs.VirtualDentry, stdio [3]int) (int32, error) {
	fdTable, tty, err := stdioTable(stdio)
	if err != nil {
		return 0, err
	}
	fsctx := vfs.NewFSContext(root)
	if cwd := a.Cwd; cwd != "" && cwd != "/" {
		vd, err := l.k.VFS().GetDirAt(vfs.Background(), fsctx, fsctx.Root(), cwd)
		if err != nil {
			fsctx.Release()
			fdTable.DecRef()
			return 0, fmt.Errorf("exec: working directory %q: %w", cwd, err)
		}
		fsctx.SetCwd(vd)
		vd.DecRef()
	}
	u := specs.User{UID: a.UID, GID: a.GID, AdditionalGids: a.AdditionalGids}
	o, _, err := l.loadProcess(a.ID, &specs.Process{Args: a.Argv, Env: a.Env, User: u, Rlimits: a.Rlimits,
		Capabilities: a.Capabilities, NoNewPrivileges: a.NoNewPrivileges}, fsctx, fdTable)
	if err != nil {
		fsctx.Release()
		fdTable.DecRef()
		return 0, err
	}
	t, err := l.k.CreateProcess(o)
	if err != nil {
		o.MM.Release()
		fsctx.Release()
		fdTable.DecRef()
		return 0, err
	}
	if a.Terminal && tty != nil {
		tty.SetForegroundPGID(t.TID())
		l.mu.Lock()
		if l.execTTYs == nil {
			l.execTTYs = make(map[execKey]*host.File)
		}
		l.execTTYs[execKey{a.ID, t.TID()}] = tty
		l.mu.Unlock()
	}
	l.logf("container %s: exec %q as PID %d", a.ID, a.Argv, t.TID())
	t.Start()
	return t.TID(), nil
}

// signalForeground sends sig to the foreground process group of the
// terminal of process pid (exec'd with one), or to the process.
func (l *Loader) signalForeground(id string, pid int32, sig linux.Signal) error {
	l.mu.Lock()
	tty := l.execTTYs[execKey{id, pid}]
	l.mu.Unlock()
	if tty != nil {
		if pgid := tty.ForegroundPGID(); pgid > 0 {
			return l.k.SignalProcessGroup(id, pgid, sig)
		}
	}
	return l.k.SignalProcess(id, pid, sig)
}

// ctlWaitPID waits for a process Exec started.
func (l *Loader) ctlWaitPID(args json.RawMessage, fds []int) (any, error) {
	closeFDs(fds)
	var a control.ProcessArgs
	if err := control.DecodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := l.afterBoot(); err != nil {
		return nil, err
	}
	ws, err := l.k.WaitProcess(a.ID, a.PID)
	if err != nil {
		return nil, controlError(err)
	}
	l.mu.Lock()
	delete(l.execTTYs, execKey{a.ID, a.PID})
	l.mu.Unlock()
	return &control.WaitResult{Status: ws.ShellStatus(), WaitStatus: uint32(ws)}, nil
}
