package container

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/sandbox"
)

// ForwardedSignals are the signals runsc passes on to the sandbox (which
// passes them to the container's init) while it waits.
var ForwardedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT}

// RunArgs describes a container to run to completion.
type RunArgs struct {
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
	// Exe is the binary to re-execute as boot and gofer; empty means
	// runsc itself. Tests set it.
	Exe string
}

// Run creates the container, starts its gofer and sandbox, forwards
// ForwardedSignals to the sandbox while waiting for it, and removes the
// container's state when it is gone. It returns the init's exit status as a
// shell reports it. On every path the state directory is removed and every
// process reaped.
func Run(a *RunArgs) (status int, err error) {
	c, err := New(a.Conf.RootDir, a.ID, a.Bundle, a.Spec)
	if err != nil {
		return 0, err
	}
	defer func() {
		if derr := c.Destroy(); derr != nil && err == nil {
			err = derr
		}
	}()

	// Catch the signals before the sandbox exists, so that one arriving
	// while it starts is forwarded rather than killing runsc.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, ForwardedSignals...)
	defer signal.Stop(sigs)

	s, err := sandbox.Start(&sandbox.Args{
		ID:       a.ID,
		Spec:     a.Spec,
		Conf:     a.Conf,
		RootDir:  a.RootFS,
		ReadOnly: a.Spec.Root.Readonly,
		Exe:      a.Exe,
	})
	if err != nil {
		return 0, err
	}
	if err := c.SetRunning(s.Pid, s.GoferPid); err != nil {
		s.Destroy()
		return 0, err
	}
	if a.PidFile != "" {
		if err := writePidFile(a.PidFile, s.Pid); err != nil {
			s.Destroy()
			return 0, err
		}
	}

	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-sigs:
				log.Debugf("forwarding %v to sandbox %d", sig, s.Pid)
				if err := s.Signal(sig.(unix.Signal)); err != nil && !errors.Is(err, os.ErrProcessDone) {
					log.Warningf("%v", err)
				}
			case <-done:
				return
			}
		}
	}()

	status, err = s.Wait()
	if err != nil {
		return 0, err
	}
	if err := c.SetStopped(); err != nil {
		return 0, err
	}
	log.Debugf("container %s exited with status %d", a.ID, status)
	return status, nil
}

// writePidFile writes pid to path atomically, as runc does.
func writePidFile(path string, pid int) error {
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
