package container

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// ForwardedSignals are the signals a foreground runsc passes on to the
// container's init while it waits. A second SIGINT or SIGTERM kills the
// container.
var ForwardedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGWINCH}

// RunArgs describes a container to run.
type RunArgs struct {
	CreateArgs
	// Detach returns once the container started, leaving it running
	// (`runsc run --detach`); otherwise Run waits for it and deletes it.
	Detach bool
}

// Run is create, start, wait and delete in one: the container runs in a
// new sandbox; runsc forwards ForwardedSignals to it while waiting, and
// removes it when it exits. It returns the init's exit status as a shell
// reports it. On every path but Detach's success the state directory is
// removed and every process reaped.
func Run(a *RunArgs) (status int, err error) {
	a.Foreground = !a.Detach
	// Catch the signals before the sandbox exists, so that one arriving
	// while it starts is forwarded rather than killing runsc.
	sigs := make(chan os.Signal, 8)
	if !a.Detach {
		signal.Notify(sigs, ForwardedSignals...)
		defer signal.Stop(sigs)
	}
	c, err := Create(&a.CreateArgs)
	if err != nil {
		return 0, err
	}
	cleanup := true
	defer func() {
		if !cleanup {
			return
		}
		if derr := c.Delete(true /* force */); derr != nil && err == nil {
			err = derr
		}
	}()
	if err := c.Start(); err != nil {
		return 0, err
	}
	if a.Detach {
		cleanup = false
		return 0, nil
	}
	done := make(chan struct{})
	defer close(done)
	go forward(c, sigs, done, a.Spec.Process.Terminal)
	status, err = c.Wait()
	if err != nil {
		return status, err
	}
	// The sandbox ends with its container; reap it and its gofer before
	// the state goes.
	if err := c.Sandbox.WaitGone(); err != nil {
		log.Warningf("%v", err)
	}
	log.Debugf("container %s exited with status %d", a.ID, status)
	return status, nil
}

// forward passes signals to the container until done: the first SIGINT or
// SIGTERM as it is (an init without a handler ignores it, as PID 1 does),
// a second one as SIGKILL. With a terminal (runsc's own), what the
// terminal raised goes to the sandbox process, which hands it to the
// container's foreground process group as the terminal would.
func forward(c *Container, sigs <-chan os.Signal, done <-chan struct{}, tty bool) {
	stops := 0
	for {
		select {
		case sig := <-sigs:
			s := sig.(unix.Signal)
			if s == unix.SIGINT || s == unix.SIGTERM {
				stops++
				if stops > 1 {
					log.Warningf("second %v: killing container %s", s, c.ID)
					s = unix.SIGKILL
				}
			}
			log.Debugf("forwarding %v to container %s", s, c.ID)
			if tty && s != unix.SIGKILL {
				if err := c.Sandbox.SignalSandbox(s); err != nil {
					log.Debugf("forwarding %v: %v", s, err)
				}
				continue
			}
			if err := c.Sandbox.SignalContainer(c.ID, int(s), s == unix.SIGKILL); err != nil {
				log.Debugf("forwarding %v: %v", s, err)
			}
		case <-done:
			return
		}
	}
}

// WritePidFile writes pid to path atomically, as runc does.
func WritePidFile(path string, pid int) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing pid file: %w", err)
	}
	return nil
}
