package boot

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path"
	"sync"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/runsc/control"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/gofer"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/host"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vdso"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Exit statuses for failures before the init runs, as shells use them.
const (
	statusBootFailed    = 128
	statusNotExecutable = 126
	statusNotFound      = 127
)

// taskExitTimeout bounds how long the sandbox waits for the task
// goroutines to release their stubs after the root container ended.
const taskExitTimeout = 2 * time.Second

// reportTimeout bounds how long a sandbox that failed to boot waits for
// runsc to collect the failure through Ready before it exits (runsc also
// finds it in the exit record).
const reportTimeout = 5 * time.Second

// Loader builds the sandbox and runs its containers.
type Loader struct {
	args *Args
	logf func(string, ...any)

	// ready is closed once the root container is built (or failed to
	// be); readyErr, readyStatus and the fields below are set before and
	// read-only after.
	ready       chan struct{}
	readyErr    error
	readyStatus int
	mf          *pgalloc.MemoryFile
	plat        platform.Platform
	k           *kernel.Kernel
	// reported is closed when a Ready call has been answered.
	reported     chan struct{}
	reportedOnce sync.Once

	// goferRoot is the root container's gofer file system, whose round
	// trips are logged at exit.
	goferRoot *gofer.Inode
	// tty is the root container's terminal (its stdio, a host pty
	// replica) when the spec asks for one, else nil; set with the fields
	// above.
	tty *host.File

	mu sync.Mutex
	// execTTYs are the terminals of processes exec'd with one, by
	// container and PID, for signals to their foreground group; an entry
	// goes once the process is waited for.
	execTTYs map[execKey]*host.File
	// created holds the init tasks of containers that are built but not
	// started, by container ID.
	created map[string]*kernel.Task
	// roots are the root directories of the containers, by ID: where
	// exec'd processes start.
	roots map[string]vfs.VirtualDentry
	// seccomp are the containers' compiled linux.seccomp profiles, by
	// ID, under --oci-seccomp: every process started in the container
	// (its init, exec'd ones) gets it as its first filter.
	seccomp map[string]*bpf.Program
}

func newLoader(args *Args) *Loader {
	log.SetFlags(log.Lmicroseconds)
	log.SetPrefix("sentry: ")
	l := &Loader{
		args:     args,
		logf:     func(string, ...any) {},
		ready:    make(chan struct{}),
		reported: make(chan struct{}),
		created:  make(map[string]*kernel.Task),
		roots:    make(map[string]vfs.VirtualDentry),
		seccomp:  make(map[string]*bpf.Program),
	}
	if args.Debug {
		l.logf = log.Printf
	}
	return l
}

// run is the sandbox's life: serve the control API, build the root
// container, wait for it to end, tear down.
func (l *Loader) run() int {
	srv := control.NewServer(l.args.ControllerFD, l.methods())
	go func() {
		if err := srv.Serve(); err != nil {
			log.Printf("control server: %v", err)
		}
	}()
	defer srv.Stop()
	defer l.release()

	status, err := l.build()
	l.readyErr, l.readyStatus = err, status
	close(l.ready)
	if err != nil {
		l.logf("boot failed: %v", err)
		l.writeExitRecord(control.ExitRecord{Status: status, Error: err.Error()})
		select {
		case <-l.reported:
			// Let the answer leave before the socket closes.
			time.Sleep(50 * time.Millisecond)
		case <-time.After(reportTimeout):
		}
		return status
	}
	l.forwardSignals()
	ws, err := l.k.WaitContainer(l.args.ContainerID)
	if err != nil {
		log.Printf("waiting for container %s: %v", l.args.ContainerID, err)
		return statusBootFailed
	}
	l.logf("container %s exited with status %#x", l.args.ContainerID, uint32(ws))
	l.writeExitRecord(control.ExitRecord{Status: ws.ShellStatus(), WaitStatus: uint32(ws)})
	return ws.ShellStatus()
}

// build creates the memory file, the platform and the kernel, confines
// the process, and builds the root container up to its loaded (not
// started) init. On failure it returns the status to exit with.
func (l *Loader) build() (int, error) {
	args := l.args
	spec := args.Spec
	if spec == nil || spec.Process == nil || len(spec.Process.Args) == 0 {
		return statusBootFailed, errors.New("spec has no process to run")
	}
	mf, err := pgalloc.New("cocoon-memory")
	if err != nil {
		return statusBootFailed, err
	}
	l.mf = mf
	if args.Platform == nil {
		return statusBootFailed, errors.New("no platform given")
	}
	devices, err := platform.OpenDevices(args.Platform.Requirements())
	if err != nil {
		return statusBootFailed, err
	}
	plat, err := args.Platform.New(platform.Options{MemoryFileFD: mf.FD(), Devices: devices})
	if err != nil {
		return statusBootFailed, fmt.Errorf("starting the %s platform: %w", args.PlatformName, err)
	}
	l.plat = plat
	host := readHostFacts()
	vdso.ShowHostVsyscall()
	if args.Confine != nil {
		if err := args.Confine(); err != nil {
			return statusBootFailed, fmt.Errorf("confining sandbox: %w", err)
		}
	}
	// From here on, under `runsc boot`, the process has an empty root, no
	// capabilities but those the platform needs, and no_new_privs, on
	// every thread (sandbox.ConfineSentry, the Confine hook), and runs
	// under the seccomp allowlist of runsc/boot/filter: nothing below may
	// need a host path, a privilege or a host system call that the
	// allowlist lacks.

	v := vfs.New()
	hostname := spec.Hostname
	if hostname == "" {
		hostname = "cocoon"
	}
	l.k = kernel.New(kernel.Config{
		Platform:   plat,
		MemoryFile: mf,
		VFS:        v,
		Table:      linuxsys.Table(),
		Hostname:   hostname,
		Domainname: spec.Domainname,
		Logf:       debugOrNil(args.Debug),
	})
	lower, err := gofer.NewFilesystemWithOptions(args.GoferFD, gofer.Options{Shared: args.SharedFileAccess})
	if err != nil {
		return statusBootFailed, fmt.Errorf("attaching to gofer: %w", err)
	}
	if g, ok := lower.(*gofer.Inode); ok {
		l.goferRoot = g
	}
	pts := newDevpts()
	binds := bindSources{fds: args.BindFDs, shared: args.SharedFileAccess}
	fsctx, err := buildFilesystems(l.k, v, lower, &binds, spec, host, pts, l.logf)
	if err != nil {
		return statusBootFailed, err
	}
	fdTable, tty, err := stdioTable(args.Stdio)
	if err != nil {
		return statusBootFailed, err
	}
	if args.OCISeccomp && spec.Linux != nil && spec.Linux.Seccomp != nil {
		prog, err := CompileOCISeccomp(spec.Linux.Seccomp)
		if err != nil {
			return statusBootFailed, err
		}
		l.mu.Lock()
		l.seccomp[args.ContainerID] = prog
		l.mu.Unlock()
		l.logf("container %s: enforcing linux.seccomp (%d instructions)", args.ContainerID, prog.Len())
	}
	status, err := l.createContainer(args.ContainerID, spec.Process, fsctx, fdTable)
	if err == nil && spec.Process.Terminal && tty != nil {
		// The init leads its session and process group; the terminal
		// is their controlling one, its group in the foreground.
		l.tty = tty
		addConsole(v, pts, tty)
		l.mu.Lock()
		tty.SetForegroundPGID(l.created[args.ContainerID].TID())
		l.mu.Unlock()
	}
	return status, err
}

func debugOrNil(debug bool) func(string, ...any) {
	if debug {
		return log.Printf
	}
	return nil
}

// createContainer loads the init of container id, ready to Start.
func (l *Loader) createContainer(id string, p *specs.Process, fsctx *vfs.FSContext, fdTable *vfs.FDTable) (int, error) {
	o, status, err := l.loadProcess(id, p, fsctx, fdTable)
	if err != nil {
		return status, err
	}
	init, err := l.k.CreateInit(o)
	if err != nil {
		o.MM.Release()
		return statusBootFailed, err
	}
	// Exec'd processes start from the container's root.
	root := fsctx.Root()
	l.mu.Lock()
	l.created[id] = init
	l.roots[id] = root
	l.mu.Unlock()
	return 0, nil
}

// loadProcess resolves p's argv[0] on PATH and loads it with the spec
// user's credentials and p's resource limits, for a new process of
// container id.
func (l *Loader) loadProcess(id string, p *specs.Process, fsctx *vfs.FSContext, fdTable *vfs.FDTable) (kernel.NewInitOptions, int, error) {
	argv, env, u := p.Args, p.Env, p.User
	ctx := vfs.Background()
	exe, err := resolveExecutable(ctx, l.k.VFS(), fsctx, argv[0], env)
	if err != nil {
		return kernel.NewInitOptions{}, userStatus(err), err
	}
	creds := kernel.NewCredentials(u.UID, u.GID, u.AdditionalGids)
	if p.Capabilities != nil {
		// As runc: the spec's sets, then the exec transformation
		// (root gets its bounding set, others their ambient one).
		creds = creds.WithCapabilities(capabilitiesOf(p.Capabilities)).ForExec()
	}
	m, img, err := kernel.LoadImage(l.k, ctx, fsctx, creds, exe, argv, env)
	if err != nil {
		return kernel.NewInitOptions{}, userStatus(err), execError(argv[0], err)
	}
	l.mu.Lock()
	prog := l.seccomp[id]
	l.mu.Unlock()
	return kernel.NewInitOptions{
		Seccomp:     prog,
		NoNewPrivs:  p.NoNewPrivileges,
		ContainerID: id,
		MM:          m,
		State:       arch.NewInitialState(img.Entry, img.StackPointer),
		FDTable:     fdTable,
		FSContext:   fsctx,
		Creds:       creds,
		Name:        path.Base(exe),
		Image:       img.ExecPath,
		Rlimits:     rlimitsOf(p.Rlimits),
		OOMScoreAdj: oomScoreAdjOf(p),
	}, 0, nil
}

// errNotCreated is returned by start for a container that is not waiting
// to be started.
var errNotCreated = errors.New("container is not in the created state")

// start starts the init of created container id.
func (l *Loader) start(id string) error {
	l.mu.Lock()
	init := l.created[id]
	delete(l.created, id)
	l.mu.Unlock()
	if init == nil {
		if l.k.ContainerExited(id) == nil {
			return fmt.Errorf("container %q: %w", id, kernel.ErrNoContainer)
		}
		return fmt.Errorf("container %q: %w", id, errNotCreated)
	}
	l.logf("starting container %s", id)
	init.Start()
	return nil
}

// signal sends sig to container id. A SIGKILL to a container that was
// never started ends it: its init runs just long enough to die.
func (l *Loader) signal(id string, sig linux.Signal, all bool) error {
	if err := l.k.SignalContainer(id, sig, all); err != nil {
		return err
	}
	if sig == linux.SIGKILL {
		l.mu.Lock()
		init := l.created[id]
		delete(l.created, id)
		l.mu.Unlock()
		if init != nil {
			init.Start()
		}
	}
	return nil
}

// writeExitRecord records how the root container ended, if runsc gave a
// file for it.
func (l *Loader) writeExitRecord(r control.ExitRecord) {
	if l.args.ExitStatusFD < 0 {
		return
	}
	data, err := json.Marshal(&r)
	if err != nil {
		log.Printf("encoding exit record: %v", err)
		return
	}
	if _, err := unix.Pwrite(l.args.ExitStatusFD, append(data, '\n'), 0); err != nil {
		log.Printf("writing exit record: %v", err)
	}
}

// release kills what is left and frees the platform and memory file.
func (l *Loader) release() {
	if l.goferRoot != nil {
		// Tests and `make bench` read this line to count round trips.
		l.logf("gofer: %v", l.goferRoot.RoundTrips())
	}
	if l.k != nil {
		l.k.KillAll()
		if !l.k.WaitTasks(taskExitTimeout) {
			log.Printf("tasks still running %v after the sandbox ended", taskExitTimeout)
		}
	}
	if l.plat != nil {
		l.plat.Release()
	}
	if l.mf != nil {
		l.mf.Release()
	}
}

// oomScoreAdjOf is process.oomScoreAdj, clamped to what the kernel takes
// (runc writes it to /proc/self/oom_score_adj, where EPERM is not
// fatal), 0 when unset.
func oomScoreAdjOf(p *specs.Process) int32 {
	if p.OOMScoreAdj == nil {
		return 0
	}
	return int32(min(max(*p.OOMScoreAdj, kernel.OOMScoreAdjMin), kernel.OOMScoreAdjMax))
}

// execKey names a process exec'd into a container.
type execKey struct {
	id  string
	pid int32
}

// terminalSignal says whether a host terminal raises sig: the line
// discipline (^C, ^\, ^Z), a window change, or a hangup.
func terminalSignal(sig linux.Signal) bool {
	switch sig {
	case linux.SIGINT, linux.SIGQUIT, linux.SIGTSTP, linux.SIGWINCH, linux.SIGHUP:
		return true
	}
	return false
}

// forwardSignals sends the signals the sandbox process receives (a kill of
// the sandbox PID from the host) to the root container's init, as signals
// from outside its PID namespace.
func (l *Loader) forwardSignals() {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGTSTP, unix.SIGWINCH)
	go func() {
		for s := range ch {
			sig := linux.Signal(s.(syscall.Signal))
			if l.tty != nil && terminalSignal(sig) {
				// The sandbox leads the host terminal's session:
				// what its line discipline raises belongs to the
				// container's foreground process group.
				if err := l.k.SignalProcessGroup(l.args.ContainerID, l.tty.ForegroundPGID(), sig); err != nil {
					l.logf("terminal %v: %v", sig, err)
				}
				continue
			}
			if sig == linux.SIGTSTP || sig == linux.SIGWINCH {
				continue
			}
			l.signal(l.args.ContainerID, sig, false /* all */)
		}
	}()
}
