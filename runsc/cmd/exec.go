package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/console"
	"github.com/cocoon-sandbox/cocoon/runsc/container"
	"github.com/cocoon-sandbox/cocoon/runsc/control"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Exec implements subcommands.Command for "exec": run a new process in a
// running container, like `runc exec`.
type Exec struct {
	process       string
	detach        bool
	tty           bool
	consoleSocket string
	pidFile       string
	cwd           string
	env           stringList
	user          string
	caps          stringList
	preserveFDs   int
}

// Name implements subcommands.Command.
func (*Exec) Name() string { return "exec" }

// Synopsis implements subcommands.Command.
func (*Exec) Synopsis() string { return "run a new process in a running container" }

// Usage implements subcommands.Command.
func (*Exec) Usage() string {
	return `exec [flags] <container id> [command [args...]] - runs a process in the container.

The process comes from --process (a JSON process spec) or the arguments;
env, cwd and user default to the container's. runsc waits for it and exits
with its status, unless --detach; with --detach and --pid-file, a runsc
process that exits with the process's status is left to wait for, and its
host PID is written to the file (as gVisor's runsc does for shims).

`
}

// SetFlags implements subcommands.Command.
func (e *Exec) SetFlags(f *flag.FlagSet) {
	f.StringVar(&e.process, "process", "", "path to a process.json (an OCI process spec) to run.")
	f.StringVar(&e.process, "p", "", "shorthand for --process.")
	f.BoolVar(&e.detach, "detach", false, "return once the process started.")
	f.BoolVar(&e.detach, "d", false, "shorthand for --detach.")
	f.BoolVar(&e.tty, "tty", false, "give the process a terminal.")
	f.BoolVar(&e.tty, "t", false, "shorthand for --tty.")
	f.StringVar(&e.consoleSocket, "console-socket", "", "unix socket to send the terminal's master to (with --tty).")
	f.StringVar(&e.pidFile, "pid-file", "", "file to write a host PID to wait for (see above).")
	f.StringVar(&e.cwd, "cwd", "", "working directory of the process.")
	f.Var(&e.env, "env", "K=V to add to the environment; may be repeated.")
	f.Var(&e.env, "e", "shorthand for --env.")
	f.StringVar(&e.user, "user", "", "UID[:GID] to run as.")
	f.StringVar(&e.user, "u", "", "shorthand for --user.")
	f.Var(&e.caps, "cap", "a capability to add to the process's sets (CAP_NAME or NAME); repeatable.")
	f.IntVar(&e.preserveFDs, "preserve-fds", 0, "pass N extra FDs; only 0 is supported yet.")
}

// Execute implements subcommands.Command.
func (e *Exec) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf := confFrom(args)
	if f.NArg() < 1 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	if e.preserveFDs != 0 {
		return Failure(fmt.Errorf("--preserve-fds=%d: passing extra FDs is not supported yet", e.preserveFDs))
	}
	c, err := container.Load(conf.RootDir, f.Arg(0))
	if err != nil {
		return Failure(err)
	}
	p, err := e.processSpec(c, f.Args()[1:])
	if err != nil {
		return usageError("%v", err)
	}
	stdio, cleanup, err := e.stdio(p)
	if err != nil {
		return Failure(err)
	}
	defer cleanup()
	pid, err := c.Exec(execArgs(p), stdio)
	if err != nil {
		return Failure(err)
	}
	// A new pty (console socket) is nobody's controlling terminal on the
	// host, so its line discipline would signal no one: the waiter takes
	// it as its own and passes ^C, ^\, ^Z and resizes on to the process's
	// foreground group in the sandbox.
	var tty *os.File
	if p.Terminal && e.consoleSocket != "" {
		tty = stdio[0]
	}
	if e.detach {
		if e.pidFile != "" || tty != nil {
			if _, err := startExecWaiter(conf.ToFlags(), c.ID, pid, e.pidFile, tty); err != nil {
				return Failure(err)
			}
		}
		return subcommands.ExitSuccess
	}
	if tty != nil {
		w, err := startExecWaiter(conf.ToFlags(), c.ID, pid, "", tty)
		if err != nil {
			return Failure(err)
		}
		cleanup()
		return waitForWaiter(w)
	}
	return waitForProcess(c, pid, p.Terminal, nil)
}

// processSpec is the process to run: --process, or the container's own
// with argv and the flags applied.
func (e *Exec) processSpec(c *container.Container, argv []string) (*specs.Process, error) {
	var p specs.Process
	if e.process != "" {
		data, err := os.ReadFile(e.process)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("--process %s: %w", e.process, err)
		}
	} else {
		if len(argv) == 0 {
			return nil, errors.New("exec: no command given (arguments or --process)")
		}
		if c.Process != nil {
			p = *c.Process
		}
		p.Args, p.Terminal = argv, e.tty
	}
	if len(p.Args) == 0 {
		return nil, errors.New("exec: process.args is empty")
	}
	for _, kv := range e.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want KEY=VALUE", kv)
		}
	}
	p.Env = specutils.MergeEnv(p.Env, e.env)
	if e.cwd != "" {
		p.Cwd = e.cwd
	}
	if e.user != "" {
		uid, gid, err := parseUser(e.user)
		if err != nil {
			return nil, err
		}
		p.User = specs.User{UID: uid, GID: gid}
	}
	if len(e.caps) > 0 {
		// runc's --cap: added to every set of the process.
		caps := specs.LinuxCapabilities{}
		if p.Capabilities != nil {
			caps = *p.Capabilities
		}
		for _, c := range e.caps {
			name := strings.ToUpper(c)
			if !strings.HasPrefix(name, "CAP_") {
				name = "CAP_" + name
			}
			if !slices.Contains(specutils.CapabilityNames, name) {
				return nil, fmt.Errorf("--cap %q: unknown capability", c)
			}
			for _, set := range []*[]string{&caps.Bounding, &caps.Effective, &caps.Inheritable, &caps.Permitted, &caps.Ambient} {
				if !slices.Contains(*set, name) {
					*set = append(slices.Clone(*set), name)
				}
			}
		}
		p.Capabilities = &caps
	}
	return &p, nil
}

// parseUser parses --user UID[:GID] (numbers; the GID defaults to 0).
func parseUser(s string) (uid, gid uint32, err error) {
	u, g, _ := strings.Cut(s, ":")
	n, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user %q: want UID[:GID] as numbers", s)
	}
	if g != "" {
		m, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("--user %q: want UID[:GID] as numbers", s)
		}
		gid = uint32(m)
	}
	return uint32(n), gid, nil
}

func execArgs(p *specs.Process) *control.ExecArgs {
	return &control.ExecArgs{
		Argv: p.Args, Env: p.Env, Cwd: p.Cwd, Terminal: p.Terminal,
		UID: p.User.UID, GID: p.User.GID, AdditionalGids: p.User.AdditionalGids,
		Rlimits: p.Rlimits, Capabilities: p.Capabilities, NoNewPrivileges: p.NoNewPrivileges,
	}
}

// stdio returns the process's stdio: runsc's own, or with a terminal and
// a console socket a new pty's replica (the master sent to the socket).
func (e *Exec) stdio(p *specs.Process) ([]*os.File, func(), error) {
	own := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	if !p.Terminal {
		return own, func() {}, nil
	}
	if e.consoleSocket == "" {
		if e.detach {
			return nil, nil, errors.New("a terminal for a detached process needs --console-socket")
		}
		// runsc's own terminal, if it has one, is the process's.
		return []*os.File{os.Stdin}, func() {}, nil
	}
	master, replica, err := console.NewPty()
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { master.Close(); replica.Close() }
	if err := console.SetSize(master, p.ConsoleSize); err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := console.SendMaster(e.consoleSocket, master); err != nil {
		cleanup()
		return nil, nil, err
	}
	return []*os.File{replica}, cleanup, nil
}

// waitForProcess waits for process pid, passing on the signals runsc gets,
// and exits with its status. With terminal, the signals a terminal raises
// (and a hangup) go to the foreground process group of the process's
// terminal, as its line discipline would send them.
// ready, if set, runs once the signals are caught.
func waitForProcess(c *container.Container, pid int32, terminal bool, ready func()) subcommands.ExitStatus {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGTSTP)
	defer signal.Stop(sigs)
	if ready != nil {
		ready()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				sig := s.(unix.Signal)
				var err error
				switch {
				case terminal && terminalRaised(sig):
					err = c.SignalForeground(pid, int(sig))
				case sig == unix.SIGTSTP:
					continue // not ours to stop
				default:
					err = c.SignalProcess(pid, int(sig))
				}
				if err != nil {
					log.Debugf("forwarding %v to process %d: %v", s, pid, err)
				}
			case <-done:
				return
			}
		}
	}()
	status, err := c.WaitProcess(pid)
	if err != nil {
		return Failure(err)
	}
	return subcommands.ExitStatus(status)
}

// terminalRaised says whether a terminal's line discipline or a resize
// raises sig (or a hangup of the terminal).
func terminalRaised(sig unix.Signal) bool {
	switch sig {
	case unix.SIGINT, unix.SIGQUIT, unix.SIGTSTP, unix.SIGWINCH, unix.SIGHUP:
		return true
	}
	return false
}

// The exec waiter's extra FDs: the pipe it reports readiness on, then the
// process's terminal.
const (
	waiterReadyFD = 3
	waiterTTYFD   = 4
)

// startExecWaiter starts `runsc exec-wait` for process pid, detached from
// this runsc, and, if pidFile is set, writes its host PID there: a caller
// that waits for that PID (containerd's shims do) sees the process's exit
// status. With tty (the replica of the process's new pty), the waiter
// leads a session with tty as its controlling terminal, so that the
// terminal's signals reach it and it passes them on. It returns once the
// waiter catches those signals (a ^C typed at once is not lost).
func startExecWaiter(globalFlags []string, id string, pid int32, pidFile string, tty *os.File) (*exec.Cmd, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devNull.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	defer readyW.Close()
	argv := append(append([]string{"runsc"}, globalFlags...), "exec-wait", "--pid="+strconv.Itoa(int(pid)),
		"--ready-fd="+strconv.Itoa(waiterReadyFD))
	attr := &unix.SysProcAttr{Setsid: true}
	extra := []*os.File{readyW}
	if tty != nil {
		argv = append(argv, "--terminal")
		extra = append(extra, tty)
		attr.Setctty, attr.Ctty = true, waiterTTYFD
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        append(argv, id),
		Stdin:       devNull,
		Stdout:      devNull,
		Stderr:      devNull,
		ExtraFiles:  extra,
		SysProcAttr: attr,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the exec waiter: %w", err)
	}
	readyW.Close()
	// One byte once its signals are caught; EOF if it died first (its
	// exit status then tells).
	readyR.SetReadDeadline(time.Now().Add(30 * time.Second))
	readyR.Read(make([]byte, 1))
	if pidFile == "" {
		return cmd, nil
	}
	// The waiter outlives this runsc; whoever reaps orphans reaps it.
	waiter := cmd.Process.Pid
	cmd.Process.Release()
	return nil, container.WritePidFile(pidFile, waiter)
}

// waitForWaiter waits for an exec waiter this runsc started and exits with
// its status (the process's).
func waitForWaiter(w *exec.Cmd) subcommands.ExitStatus {
	signal.Ignore(unix.SIGINT, unix.SIGQUIT, unix.SIGTSTP)
	w.Wait()
	if w.ProcessState == nil {
		return ExitRuntimeError
	}
	return subcommands.ExitStatus(w.ProcessState.ExitCode())
}

// ExecWait implements subcommands.Command for the internal "exec-wait":
// wait for a process that exec started, pass on the signals it gets, and
// exit with the process's status.
type ExecWait struct {
	pid      int
	terminal bool
	readyFD  int
}

// Name implements subcommands.Command.
func (*ExecWait) Name() string { return "exec-wait" }

// Synopsis implements subcommands.Command.
func (*ExecWait) Synopsis() string { return "wait for an exec'd process (started by runsc exec)" }

// Usage implements subcommands.Command.
func (*ExecWait) Usage() string { return "exec-wait --pid=N [--terminal] <container id>\n\n" }

// SetFlags implements subcommands.Command.
func (w *ExecWait) SetFlags(f *flag.FlagSet) {
	f.IntVar(&w.pid, "pid", 0, "the process's PID in the container.")
	f.BoolVar(&w.terminal, "terminal", false, "the process's terminal is this waiter's controlling terminal (fd 4): pass its signals on to the process's foreground group.")
	f.IntVar(&w.readyFD, "ready-fd", -1, "a pipe to write one byte to, and close, once signals are caught.")
}

// Execute implements subcommands.Command.
func (w *ExecWait) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok || w.pid <= 0 {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	ready := func() {
		if w.readyFD >= 0 {
			unix.Write(w.readyFD, []byte{1})
			unix.Close(w.readyFD)
		}
	}
	return waitForProcess(c, int32(w.pid), w.terminal, ready)
}
