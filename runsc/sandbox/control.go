package sandbox

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/control"
)

// call dials the sandbox's control socket and runs fn on the connection.
func (s *Sandbox) call(fn func(*control.Client) error) error {
	cl, err := control.Dial(s.ControlSocket)
	if err != nil {
		return err
	}
	defer cl.Close()
	return fn(cl)
}

// StartContainer starts container id's init.
func (s *Sandbox) StartContainer(id string) error {
	return s.call(func(cl *control.Client) error { return cl.Start(id) })
}

// PauseContainer freezes container id's processes.
func (s *Sandbox) PauseContainer(id string) error {
	return s.call(func(cl *control.Client) error { return cl.Pause(id) })
}

// ResumeContainer thaws container id's processes.
func (s *Sandbox) ResumeContainer(id string) error {
	return s.call(func(cl *control.Client) error { return cl.Resume(id) })
}

// Stacks returns the goroutine stacks of the sandbox process.
func (s *Sandbox) Stacks() (stacks string, err error) {
	err = s.call(func(cl *control.Client) error {
		stacks, err = cl.Stacks()
		return err
	})
	return stacks, err
}

// Exec starts a process in container id with stdio (three files, or one
// terminal) and returns its PID in the container.
func (s *Sandbox) Exec(id string, a *control.ExecArgs, stdio []*os.File) (int32, error) {
	fds := make([]int, len(stdio))
	for i, f := range stdio {
		fds[i] = int(f.Fd())
	}
	a.ID = id
	var pid int32
	err := s.call(func(cl *control.Client) (err error) {
		pid, err = cl.Exec(a, fds...)
		return err
	})
	return pid, err
}

// WaitPID waits for process pid of container id, started by Exec, and
// returns its status as a shell reports it.
func (s *Sandbox) WaitPID(id string, pid int32) (int, error) {
	var r control.WaitResult
	err := s.call(func(cl *control.Client) (err error) {
		r, err = cl.WaitPID(id, pid)
		return err
	})
	return r.Status, err
}

// SignalProcess sends sig to the process pid (as the container sees it)
// of container id.
func (s *Sandbox) SignalProcess(id string, pid int32, sig int) error {
	return s.call(func(cl *control.Client) error { return cl.SignalProcess(id, pid, sig) })
}

// SignalForeground sends sig to the foreground process group of the
// terminal of process pid of container id, or to the process.
func (s *Sandbox) SignalForeground(id string, pid int32, sig int) error {
	return s.call(func(cl *control.Client) error { return cl.SignalForeground(id, pid, sig) })
}

// SignalContainer sends sig to container id's init, or with all to every
// process of it.
func (s *Sandbox) SignalContainer(id string, sig int, all bool) error {
	return s.call(func(cl *control.Client) error { return cl.Signal(id, sig, all) })
}

// SignalSandbox sends sig to the sandbox process itself, as a terminal
// would: the sandbox hands what a terminal raises (SIGINT, SIGQUIT,
// SIGTSTP, SIGWINCH, SIGHUP) to its container's foreground process group,
// and other signals to its init.
func (s *Sandbox) SignalSandbox(sig unix.Signal) error {
	return s.Sandbox.signal(sig)
}

// Processes lists container id's processes.
func (s *Sandbox) Processes(id string) ([]control.Process, error) {
	var ps []control.Process
	err := s.call(func(cl *control.Client) (err error) {
		ps, err = cl.Processes(id)
		return err
	})
	return ps, err
}

// ErrNoStatus is returned by WaitContainer when the sandbox ended without
// recording its container's status (it was killed).
var ErrNoStatus = errors.New("the sandbox ended without recording the container's exit status")

// WaitContainer waits for container id's init to exit and returns its
// status as a shell reports it. For the root container it also answers
// after the sandbox is gone, from the exit record (or, in the runsc call
// that started the sandbox, from the sandbox's own wait status).
func (s *Sandbox) WaitContainer(id string) (int, error) {
	var r control.WaitResult
	err := s.call(func(cl *control.Client) (err error) {
		r, err = cl.Wait(id)
		return err
	})
	if err == nil {
		return r.Status, nil
	}
	if id != s.ID || control.IsCode(err, control.CodeNotFound) {
		return 0, err
	}
	// The sandbox is gone, or went while we waited.
	if s.children != nil {
		<-s.children.bootDone
	}
	if rec, rerr := s.ExitRecord(); rerr != nil {
		return 0, rerr
	} else if rec != nil {
		if rec.Error != "" {
			return rec.Status, &BootError{Status: rec.Status, Msg: rec.Error}
		}
		return rec.Status, nil
	}
	if ws, ok := s.ChildStatus(); ok {
		return 0, fmt.Errorf("%w (sandbox %s)", ErrNoStatus, describeStatus(ws))
	}
	return 0, ErrNoStatus
}
