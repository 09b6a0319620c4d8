// Package sandbox starts, reaches and stops the two host processes behind
// a sandbox: the gofer (`runsc gofer`, serving the root file system over a
// unix socket from its own mount namespace) and the sandbox (`runsc boot`,
// the sentry, in new mount, PID, IPC, UTS and network namespaces). Both are
// re-executions of the runsc binary. A Sandbox is a handle that the runsc
// call which created it saves in the container's state, and that any
// later runsc call loads to talk to the sandbox over its control socket
// (runsc/control) or to kill it; the processes outlive the call that
// started them unless it asked to tie them to itself (Args.Foreground).
//
// It also owns the confinement steps each of them applies to itself once
// running: ConfineSentry (sandbox: Confine to an empty root, then
// DropSentryPrivileges) and ConfineGofer (gofer: SetupGoferRoot makes the
// served directory its root, then DropGoferPrivileges). The privilege
// drops leave every thread with only the platform's capabilities or
// GoferCapabilities, an empty bounding set and no_new_privs (caps.go).
//
// Locking: a Sandbox is used by one goroutine at a time. Two runsc
// processes working on one sandbox are serialised by the container
// package's lock on the state directory; the control server serialises
// the rest.
package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/cgroup"
	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/control"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// The FD numbers of the re-executed processes. They are also passed as flags
// so the protocol stays explicit.
const (
	// GoferIOFD is the gofer's end of the file-protocol socket, in the gofer.
	GoferIOFD = 3
	// GoferDebugLogFD is the debug log file, when --debug-log is set
	// (passed as --debug-log-fd).
	GoferDebugLogFD = 4

	// BootGoferFD is the sandbox's end of the file-protocol socket.
	BootGoferFD = 3
	// BootSpecFD is a memfd holding the JSON spec, at offset 0.
	BootSpecFD = 4
	// BootControllerFD is the listening control socket.
	BootControllerFD = 5
	// BootExitFD is the exit file, where the sandbox writes its root
	// container's control.ExitRecord.
	BootExitFD = 6
	// BootDebugLogFD is the debug log file, when --debug-log is set.
	BootDebugLogFD = 7
)

// Names of the sandbox's files in the container's state directory.
const (
	ControlSocketName = "control.sock"
	ExitFileName      = "exit.json"
)

// SelfExe is the binary re-executed for boot and gofer. /proc/self/exe is
// resolved by the kernel in the freshly cloned child before it changes any
// namespace or root, so it names the exact runsc binary that is running even
// if the path it was started from was since replaced; runsc is static, so no
// loader is needed either.
const SelfExe = "/proc/self/exe"

// Timeouts of the processes' ends.
const (
	// goferExitTimeout is how long the gofer may take to exit by itself
	// after the sandbox is gone (it sees EOF on its socket).
	goferExitTimeout = 3 * time.Second
	// killTimeout bounds the wait for a SIGKILLed process to exit.
	killTimeout = 10 * time.Second
)

// Args says what to start.
type Args struct {
	// ID is the sandbox's first container's ID (also the sandbox's).
	ID string
	// Spec is sent to the sandbox. It must have been validated.
	Spec *specs.Spec
	// Conf is passed on to both processes as global flags.
	Conf *config.Config
	// StateDir is the container's state directory: the control socket
	// and the exit file go there.
	StateDir string
	// RootDir is the absolute host directory the gofer serves as "/".
	RootDir string
	// ReadOnly makes the gofer refuse writes (and mounts RootDir read-only
	// in its namespace).
	ReadOnly bool
	// Binds are the spec's bind mounts, in spec order: the gofer serves
	// each on a connection of its own, which the sandbox mounts at the
	// destination (specutils.BindMounts).
	Binds []specutils.Bind
	// Stdio become the container's stdin, stdout and stderr; nil entries
	// mean runsc's own. The same open file descriptions are inherited, so
	// output lands at their current offset.
	Stdio [3]*os.File
	// Foreground ties both processes to the calling thread
	// (PDEATHSIG): `runsc run` and `do` without --detach. Otherwise they
	// outlive runsc (`create`).
	Foreground bool
	// Exe is the binary to re-execute; empty means SelfExe. Tests set it.
	Exe string
	// Console, if set, is the replica of a host pty: it becomes the
	// sandbox's stdin, stdout and stderr and the controlling terminal of
	// its session, so that the signals its line discipline raises reach
	// the sandbox, which hands them to the container's foreground group.
	Console *os.File
}

// Sandbox is a handle on a sandbox process and its gofer. The exported
// fields are what is saved in the container's state.
type Sandbox struct {
	// ID is the ID of the sandbox's first container.
	ID string `json:"id"`
	// Sandbox and Gofer are the two processes.
	Sandbox Proc `json:"sandbox"`
	Gofer   Proc `json:"gofer"`
	// ControlSocket is the path of the control socket.
	ControlSocket string `json:"controlSocket"`
	// ExitFile is the path of the exit file.
	ExitFile string `json:"exitFile"`
	// Cgroup is the container's cgroup, if the spec names one.
	Cgroup *cgroup.Cgroup `json:"cgroup,omitempty"`

	// children is set in the runsc process that started the sandbox,
	// which reaps both processes.
	children *children
}

// children are the started processes, in the runsc call that started them.
type children struct {
	boot, gofer *exec.Cmd
	// bootDone and goferDone are closed once each is reaped; bootStatus
	// is then set.
	bootDone, goferDone chan struct{}
	bootStatus          unix.WaitStatus
	// goferKilled says that WaitGone had to kill the gofer: it did not
	// exit by itself after the sandbox (tests check that it does).
	goferKilled bool
}

// BootError is a failure to build the container reported by the sandbox
// (a missing or non-executable init binary, a bad mount): Status is the
// exit status runsc reports for it (126, 127 or 128).
type BootError struct {
	Status int
	Msg    string
}

func (e *BootError) Error() string { return e.Msg }

// Create starts the gofer and the sandbox and waits until the sandbox has
// built the container (its init loaded, not started). On error nothing is
// left running, and every FD and file it made is gone.
func Create(args *Args) (_ *Sandbox, err error) {
	s := &Sandbox{
		ID:            args.ID,
		ControlSocket: filepath.Join(args.StateDir, ControlSocketName),
		ExitFile:      filepath.Join(args.StateDir, ExitFileName),
	}
	defer func() {
		if err != nil {
			s.Destroy()
			os.Remove(s.ControlSocket)
			os.Remove(s.ExitFile)
		}
	}()
	if err := s.start(args); err != nil {
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		return nil, err
	}
	return s, nil
}

// GoferBind is one bind mount the gofer serves besides the root (its
// --binds flag, JSON): the host path and the connected socket to serve it
// on.
type GoferBind struct {
	Source   string `json:"source"`
	FD       int    `json:"fd"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// bindSockets makes n connected SOCK_SEQPACKET pairs, one per bind mount:
// the sandbox's ends and the gofer's. On an error none is left open.
func bindSockets(n int) (clients, servers []*os.File, err error) {
	for i := 0; i < n; i++ {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeFiles(clients)
			closeFiles(servers)
			return nil, nil, fmt.Errorf("creating a bind mount's gofer socket pair: %w", err)
		}
		clients = append(clients, os.NewFile(uintptr(fds[0]), "bind-client"))
		servers = append(servers, os.NewFile(uintptr(fds[1]), "bind-server"))
	}
	return clients, servers, nil
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// start launches the gofer and then the sandbox.
func (s *Sandbox) start(args *Args) error {
	exe := args.Exe
	if exe == "" {
		exe = SelfExe
	}
	stdio := args.Stdio
	if args.Console != nil {
		stdio = [3]*os.File{args.Console, args.Console, args.Console}
	}
	for i, def := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if stdio[i] == nil {
			stdio[i] = def
		}
	}
	specFile, err := specMemfd(args.Spec)
	if err != nil {
		return err
	}
	defer specFile.Close()
	ctlFD, err := control.Listen(s.ControlSocket)
	if err != nil {
		return err
	}
	ctlFile := os.NewFile(uintptr(ctlFD), "control")
	defer ctlFile.Close() // the sandbox holds the only copy once started
	exitFile, err := os.OpenFile(s.ExitFile, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("creating exit file: %w", err)
	}
	defer exitFile.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("creating gofer socket pair: %w", err)
	}
	sandboxEnd := os.NewFile(uintptr(fds[0]), "gofer-client")
	goferEnd := os.NewFile(uintptr(fds[1]), "gofer-server")
	// Closing both here is right on every path: the children hold their
	// own copies once started.
	defer sandboxEnd.Close()
	defer goferEnd.Close()

	leave, err := s.enterCgroup(args)
	if err != nil {
		return err
	}
	defer leave()

	var pdeath unix.Signal
	if args.Foreground {
		pdeath = unix.SIGKILL
	}
	ch := &children{bootDone: make(chan struct{}), goferDone: make(chan struct{})}
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
	bindClients, bindServers, err := bindSockets(len(args.Binds))
	if err != nil {
		return err
	}
	defer closeFiles(bindClients)
	defer closeFiles(bindServers)
	if len(args.Binds) > 0 {
		binds := make([]GoferBind, len(args.Binds))
		for i, b := range args.Binds {
			binds[i] = GoferBind{Source: b.Source, FD: 3 + len(goferFiles) + i, ReadOnly: b.ReadOnly}
		}
		js, err := json.Marshal(binds)
		if err != nil {
			return err
		}
		goferFiles = append(goferFiles, bindServers...)
		goferArgv = append(goferArgv, "--binds="+string(js))
	}
	ch.gofer = &exec.Cmd{
		Path:       exe,
		Args:       goferArgv,
		Stderr:     os.Stderr,  // its errors are runsc's errors
		ExtraFiles: goferFiles, // fds 3 and 4, then the binds
		SysProcAttr: &unix.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS,
			Setsid:     true, // no terminal signals: runsc forwards them
			Pdeathsig:  pdeath,
		},
	}
	log.Debugf("starting gofer: %s %q", exe, goferArgv)
	if err := ch.gofer.Start(); err != nil {
		return fmt.Errorf("starting gofer: %w", err)
	}
	s.children = ch
	s.Gofer = Proc{PID: ch.gofer.Process.Pid}
	go func() {
		ch.gofer.Wait()
		close(ch.goferDone)
	}()
	if s.Gofer, err = procOf(s.Gofer.PID); err != nil {
		return fmt.Errorf("gofer exited at once: %w", err)
	}
	goferEnd.Close()

	bootFiles := []*os.File{sandboxEnd, specFile, ctlFile, exitFile}
	bootArgv := append([]string{"runsc"}, args.Conf.ToFlags()...)
	if debugLog != nil {
		bootFiles = append(bootFiles, debugLog)
		bootArgv = append(bootArgv, "--debug-log-fd="+strconv.Itoa(BootDebugLogFD))
	}
	bootArgv = append(bootArgv, "boot",
		"--gofer-fd="+strconv.Itoa(BootGoferFD),
		"--spec-fd="+strconv.Itoa(BootSpecFD),
		"--controller-fd="+strconv.Itoa(BootControllerFD),
		"--exit-fd="+strconv.Itoa(BootExitFD),
		"--stdio-fds=0,1,2")
	if len(bindClients) > 0 {
		fds := make([]string, len(bindClients))
		for i := range bindClients {
			fds[i] = strconv.Itoa(3 + len(bootFiles) + i)
		}
		bootFiles = append(bootFiles, bindClients...)
		bootArgv = append(bootArgv, "--bind-fds="+strings.Join(fds, ","))
	}
	bootArgv = append(bootArgv, args.ID)
	// A PID namespace always: the sandbox's own isolation, and what
	// ptrace's Requirements.PIDNamespace asks (its rules let the sentry
	// signal any PID in it).
	cloneFlags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS)
	if args.Conf.Network == "none" {
		// No network at all: the sentry gets an empty network namespace.
		cloneFlags |= unix.CLONE_NEWNET
	}
	ch.boot = &exec.Cmd{
		Path:       exe,
		Args:       bootArgv,
		Stdin:      stdio[0],
		Stdout:     stdio[1],
		Stderr:     stdio[2],
		ExtraFiles: bootFiles, // fds 3 to 7, then the binds
		SysProcAttr: &unix.SysProcAttr{
			Cloneflags: cloneFlags,
			Setsid:     true,
			// The console, the child's fd 0, becomes its terminal.
			Setctty:   args.Console != nil,
			Ctty:      0,
			Pdeathsig: pdeath,
		},
	}
	log.Debugf("starting sandbox: %s %q", exe, bootArgv)
	if err := ch.boot.Start(); err != nil {
		close(ch.bootDone)
		return fmt.Errorf("starting sandbox: %w", err)
	}
	s.Sandbox = Proc{PID: ch.boot.Process.Pid}
	go func() {
		ch.boot.Wait()
		if ch.boot.ProcessState != nil {
			ch.bootStatus = unix.WaitStatus(ch.boot.ProcessState.Sys().(syscall.WaitStatus))
		}
		close(ch.bootDone)
	}()
	if s.Sandbox, err = procOf(s.Sandbox.PID); err != nil {
		// Exited already: waitReady reports why.
		s.Sandbox = Proc{PID: ch.boot.Process.Pid}
	}
	log.Debugf("container %s: sandbox pid %d, gofer pid %d", s.ID, s.Sandbox.PID, s.Gofer.PID)
	return nil
}

// waitReady waits for the sandbox to build its container.
func (s *Sandbox) waitReady() error {
	cl, err := control.Dial(s.ControlSocket)
	if err != nil {
		return err
	}
	defer cl.Close()
	r, err := cl.Ready()
	if errors.Is(err, control.ErrConnection) {
		// It exited before answering: the exit record may say why.
		if rec, rerr := s.ExitRecord(); rerr == nil && rec != nil && rec.Error != "" {
			return &BootError{Status: rec.Status, Msg: rec.Error}
		}
		return fmt.Errorf("sandbox exited while starting%s", s.exitDescription())
	}
	if err != nil {
		return err
	}
	if r.Error != "" {
		return &BootError{Status: r.Status, Msg: r.Error}
	}
	return nil
}

// exitDescription says how a child sandbox ended, if known.
func (s *Sandbox) exitDescription() string {
	if s.children == nil {
		return ""
	}
	select {
	case <-s.children.bootDone:
	case <-time.After(killTimeout):
		return ""
	}
	return " (" + describeStatus(s.children.bootStatus) + ")"
}

// describeStatus says how a process ended.
func describeStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
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

// IsRunning reports whether the sandbox process is alive.
func (s *Sandbox) IsRunning() bool {
	if ch := s.children; ch != nil {
		select {
		case <-ch.bootDone:
			return false
		default:
			return true
		}
	}
	return s.Sandbox.Alive()
}

// ExitRecord returns what the sandbox recorded of its root container's
// end, or nil if nothing was recorded (yet).
func (s *Sandbox) ExitRecord() (*control.ExitRecord, error) {
	data, err := os.ReadFile(s.ExitFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading exit record: %w", err)
	}
	if len(data) == 0 {
		return nil, nil
	}
	var r control.ExitRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("exit record %s is corrupt: %w", s.ExitFile, err)
	}
	return &r, nil
}

// Destroy kills the sandbox and the gofer and waits until both are gone
// (reaping them if this process started them). It is idempotent.
func (s *Sandbox) Destroy() error {
	if ch := s.children; ch != nil {
		if ch.boot != nil && ch.boot.Process != nil {
			ch.boot.Process.Kill()
			<-ch.bootDone
		}
		if ch.gofer != nil && ch.gofer.Process != nil {
			ch.gofer.Process.Kill()
			<-ch.goferDone
		}
		return s.removeCgroup()
	}
	if err := errors.Join(s.Sandbox.kill(killTimeout), s.Gofer.kill(killTimeout)); err != nil {
		return err
	}
	return s.removeCgroup()
}

// WaitGone waits for the sandbox process to exit, then gives the gofer
// goferExitTimeout to follow before killing it.
func (s *Sandbox) WaitGone() error {
	if ch := s.children; ch != nil {
		<-ch.bootDone
		select {
		case <-ch.goferDone:
		case <-time.After(goferExitTimeout):
			log.Warningf("gofer %d did not exit %v after the sandbox, killing it", s.Gofer.PID, goferExitTimeout)
			ch.goferKilled = true
			ch.gofer.Process.Kill()
			<-ch.goferDone
		}
		return nil
	}
	fd, err := s.Sandbox.open()
	if err == nil {
		err = waitExit(fd, s.Sandbox.PID, 365*24*time.Hour)
		unix.Close(fd)
	}
	if err != nil && err != errGone {
		return err
	}
	if fd, err := s.Gofer.open(); err == nil {
		werr := waitExit(fd, s.Gofer.PID, goferExitTimeout)
		unix.Close(fd)
		if werr != nil {
			return s.Gofer.kill(killTimeout)
		}
	}
	return nil
}

// ChildStatus returns the wait status of a sandbox this process started
// and that has exited.
func (s *Sandbox) ChildStatus() (unix.WaitStatus, bool) {
	ch := s.children
	if ch == nil {
		return 0, false
	}
	select {
	case <-ch.bootDone:
		return ch.bootStatus, ch.boot.ProcessState != nil
	default:
		return 0, false
	}
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
