// Package sandbox starts and stops the two host processes behind a
// container: the gofer (`runsc gofer`, serving the root file system over a
// unix socket from its own mount namespace) and the sandbox (`runsc boot`,
// the sentry, in new mount, PID, IPC, UTS and network namespaces). Both are
// re-executions of the runsc binary. It also owns the confinement steps each
// of them applies to itself once running: ConfineSentry (sandbox: Confine to
// an empty root, then DropSentryPrivileges) and ConfineGofer (gofer:
// SetupGoferRoot makes the served directory its root, then
// DropGoferPrivileges). The privilege drops leave every thread with only
// SentryCapabilities or GoferCapabilities, an empty bounding set and
// no_new_privs (caps.go).
//
// A Sandbox is used by one goroutine at a time, except Signal, which may be
// called from any goroutine while another waits.
package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// The FD numbers of the re-executed processes. They are also passed as flags
// so the protocol stays explicit.
const (
	// GoferIOFD is the gofer's end of the file-protocol socket, in the gofer.
	GoferIOFD = 3
	// BootGoferFD is the sandbox's end of the file-protocol socket.
	BootGoferFD = 3
	// BootSpecFD is a memfd holding the JSON spec, at offset 0.
	BootSpecFD = 4
	// BootDebugLogFD and GoferDebugLogFD are the debug log file, when
	// --debug-log is set (passed as --debug-log-fd).
	BootDebugLogFD  = 5
	GoferDebugLogFD = 4
)

// SelfExe is the binary re-executed for boot and gofer. /proc/self/exe is
// resolved by the kernel in the freshly cloned child before it changes any
// namespace or root, so it names the exact runsc binary that is running even
// if the path it was started from was since replaced; runsc is static, so no
// loader is needed either.
const SelfExe = "/proc/self/exe"

// goferExitTimeout is how long Wait lets the gofer exit by itself after the
// sandbox is gone (it sees EOF on its socket) before killing it.
const goferExitTimeout = 3 * time.Second

// Args says what to start.
type Args struct {
	// ID is the container ID, for messages.
	ID string
	// Spec is sent to the sandbox. It must have been validated.
	Spec *specs.Spec
	// Conf is passed on to both processes as global flags.
	Conf *config.Config
	// RootDir is the absolute host directory the gofer serves as "/".
	RootDir string
	// ReadOnly makes the gofer refuse writes (and mounts RootDir read-only
	// in its namespace).
	ReadOnly bool
	// Stdio become the container's stdin, stdout and stderr; nil entries
	// mean runsc's own. The same open file descriptions are inherited, so
	// output lands at their current offset.
	Stdio [3]*os.File
	// Exe is the binary to re-execute; empty means SelfExe. Tests set it.
	Exe string
}

// Sandbox is a started gofer and sandbox process pair.
type Sandbox struct {
	// ID is the container ID.
	ID string
	// Pid is the host PID of the sandbox process (PID 1 of its namespace).
	Pid int
	// GoferPid is the host PID of the gofer.
	GoferPid int

	boot      *exec.Cmd
	gofer     *exec.Cmd
	goferDone chan error // receives the gofer's Wait result once

	// goferKilled records that Wait had to kill the gofer; for tests.
	goferKilled bool
	// waited is set once Wait or Destroy reaped both processes.
	waited bool
}

// Start launches the gofer and then the sandbox. On error nothing is left
// running and every FD it opened is closed.
func Start(args *Args) (*Sandbox, error) {
	exe := args.Exe
	if exe == "" {
		exe = SelfExe
	}
	stdio := args.Stdio
	for i, def := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if stdio[i] == nil {
			stdio[i] = def
		}
	}

	specFile, err := specMemfd(args.Spec)
	if err != nil {
		return nil, err
	}
	defer specFile.Close()

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating gofer socket pair: %w", err)
	}
	sandboxEnd := os.NewFile(uintptr(fds[0]), "gofer-client")
	goferEnd := os.NewFile(uintptr(fds[1]), "gofer-server")
	// Closing both here is right on every path: the children hold their
	// own copies once started.
	defer sandboxEnd.Close()
	defer goferEnd.Close()

	s := &Sandbox{ID: args.ID}

	debugLog := log.File()
	goferFiles := []*os.File{goferEnd}
	goferArgv := append([]string{"runsc"}, args.Conf.ToFlags()...)
	if debugLog != nil {
		goferFiles = append(goferFiles, debugLog)
		goferArgv = append(goferArgv, "--debug-log-fd="+strconv.Itoa(GoferDebugLogFD))
	}
	goferArgv = append(goferArgv, "gofer",
		"--root-dir="+args.RootDir,
		"--io-fd="+strconv.Itoa(GoferIOFD),
		fmt.Sprintf("--read-only=%t", args.ReadOnly))
	s.gofer = &exec.Cmd{
		Path:       exe,
		Args:       goferArgv,
		Stderr:     os.Stderr,  // its errors are runsc's errors
		ExtraFiles: goferFiles, // fds 3 and 4
		SysProcAttr: &unix.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS,
			Setsid:     true, // no terminal signals: runsc forwards them
			Pdeathsig:  unix.SIGKILL,
		},
	}
	log.Debugf("starting gofer: %s %q", exe, goferArgv)
	if err := s.gofer.Start(); err != nil {
		return nil, fmt.Errorf("starting gofer: %w", err)
	}
	s.GoferPid = s.gofer.Process.Pid
	s.goferDone = make(chan error, 1)
	go func() { s.goferDone <- s.gofer.Wait() }()
	goferEnd.Close()

	bootFiles := []*os.File{sandboxEnd, specFile}
	bootArgv := append([]string{"runsc"}, args.Conf.ToFlags()...)
	if debugLog != nil {
		bootFiles = append(bootFiles, debugLog)
		bootArgv = append(bootArgv, "--debug-log-fd="+strconv.Itoa(BootDebugLogFD))
	}
	bootArgv = append(bootArgv, "boot",
		"--gofer-fd="+strconv.Itoa(BootGoferFD),
		"--spec-fd="+strconv.Itoa(BootSpecFD),
		"--stdio-fds=0,1,2")
	cloneFlags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS)
	if args.Conf.Network == "none" {
		// No network at all: the sentry gets an empty network namespace.
		cloneFlags |= unix.CLONE_NEWNET
	}
	s.boot = &exec.Cmd{
		Path:       exe,
		Args:       bootArgv,
		Stdin:      stdio[0],
		Stdout:     stdio[1],
		Stderr:     stdio[2],
		ExtraFiles: bootFiles, // fds 3, 4 and 5
		SysProcAttr: &unix.SysProcAttr{
			Cloneflags: cloneFlags,
			Setsid:     true,
			Pdeathsig:  unix.SIGKILL,
		},
	}
	log.Debugf("starting sandbox: %s %q", exe, bootArgv)
	if err := s.boot.Start(); err != nil {
		s.killGofer()
		return nil, fmt.Errorf("starting sandbox: %w", err)
	}
	s.Pid = s.boot.Process.Pid
	log.Debugf("container %s: sandbox pid %d, gofer pid %d", s.ID, s.Pid, s.GoferPid)
	return s, nil
}

// specMemfd returns a memfd holding spec as JSON, positioned at offset 0.
func specMemfd(spec *specs.Spec) (*os.File, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encoding spec: %w", err)
	}
	fd, err := unix.MemfdCreate("runsc-spec", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating spec memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "runsc-spec")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing spec memfd: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("rewinding spec memfd: %w", err)
	}
	return f, nil
}

// Signal sends sig to the sandbox process, which forwards it to the
// container's init. It is safe to call concurrently with Wait: os.Process
// signals through a pidfd, so a reaped sandbox's PID is never hit after
// reuse; a sandbox that already exited gives os.ErrProcessDone.
func (s *Sandbox) Signal(sig unix.Signal) error {
	if err := s.boot.Process.Signal(sig); err != nil {
		return fmt.Errorf("signalling sandbox %d: %w", s.Pid, err)
	}
	return nil
}

// Wait waits for the sandbox process to exit, then for the gofer (killing
// it if it does not exit within a few seconds of its socket closing), and
// returns the sandbox's status as a shell reports it: the exit code, or
// 128+signal if a signal killed it.
func (s *Sandbox) Wait() (int, error) {
	if s.waited {
		return 0, errors.New("sandbox already waited for")
	}
	err := s.boot.Wait()
	status := -1
	if s.boot.ProcessState != nil {
		status = ExitStatus(unix.WaitStatus(s.boot.ProcessState.Sys().(syscall.WaitStatus)))
	}
	s.waitGofer()
	s.waited = true
	if status < 0 {
		return 0, fmt.Errorf("waiting for sandbox: %w", err)
	}
	return status, nil
}

// waitGofer reaps the gofer, giving it goferExitTimeout to exit by itself.
func (s *Sandbox) waitGofer() {
	select {
	case err := <-s.goferDone:
		if err != nil {
			log.Warningf("gofer %d: %v", s.GoferPid, err)
		}
	case <-time.After(goferExitTimeout):
		log.Warningf("gofer %d did not exit %v after the sandbox, killing it", s.GoferPid, goferExitTimeout)
		s.goferKilled = true
		s.killGofer()
	}
}

// killGofer kills the gofer and reaps it.
func (s *Sandbox) killGofer() {
	_ = s.gofer.Process.Kill()
	<-s.goferDone
}

// Destroy kills both processes and reaps them. It is for error paths where
// Wait will not be called; after Wait it does nothing.
func (s *Sandbox) Destroy() {
	if s.waited {
		return
	}
	_ = s.boot.Process.Kill()
	_ = s.boot.Wait()
	s.killGofer()
	s.waited = true
}

// ExitStatus converts a wait status into what a shell reports: the exit
// code, or 128 plus the number of the signal that killed the process.
func ExitStatus(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	default:
		return 128
	}
}
