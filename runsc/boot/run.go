package boot

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform/ptrace"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/gofer"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Exit statuses for failures before the init runs, as shells use them.
const (
	statusBootFailed    = 128
	statusNotExecutable = 126
	statusNotFound      = 127
)

// debugf returns logf, or a logger that discards when debugging is off.
func debugf(logf func(string, ...any)) func(string, ...any) {
	if logf == nil {
		return func(string, ...any) {}
	}
	return logf
}

func run(args *Args) int {
	log.SetFlags(log.Lmicroseconds)
	log.SetPrefix("sentry: ")
	var logf func(string, ...any)
	if args.Debug {
		logf = log.Printf
	}
	code, err := boot(args, logf)
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: %v\n", err)
	}
	return code
}

// userError is a failure the user caused (a missing binary): printed
// without the internal context.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func boot(args *Args, logf func(string, ...any)) (int, error) {
	spec := args.Spec
	if spec == nil || spec.Process == nil || len(spec.Process.Args) == 0 {
		return statusBootFailed, errors.New("spec has no process to run")
	}
	mf, err := pgalloc.New("cocoon-memory")
	if err != nil {
		return statusBootFailed, err
	}
	defer mf.Release()
	plat, err := ptrace.New(mf)
	if err != nil {
		return statusBootFailed, fmt.Errorf("starting ptrace platform: %w", err)
	}
	defer plat.Release()
	host := readHostFacts()
	if args.Confine != nil {
		if err := args.Confine(); err != nil {
			return statusBootFailed, fmt.Errorf("confining sandbox: %w", err)
		}
	}
	// From here on, under `runsc boot`, the process has an empty root, no
	// capabilities but CAP_SYS_PTRACE and CAP_KILL (to drive the stubs),
	// and no_new_privs, on every thread (sandbox.ConfineSentry, the Confine
	// hook), and runs under the seccomp allowlist of runsc/boot/filter:
	// nothing below may need a host path, a privilege or a host system
	// call that the allowlist lacks.

	v := vfs.New()
	hostname := spec.Hostname
	if hostname == "" {
		hostname = "cocoon"
	}
	k := kernel.New(kernel.Config{
		Platform:   plat,
		MemoryFile: mf,
		VFS:        v,
		Table:      linuxsys.Table(),
		Hostname:   hostname,
		Logf:       logf,
	})
	lower, err := gofer.NewFilesystemWithOptions(args.GoferFD, gofer.Options{Shared: args.SharedFileAccess})
	if err != nil {
		return statusBootFailed, fmt.Errorf("attaching to gofer: %w", err)
	}
	if g, ok := lower.(*gofer.Inode); ok && logf != nil {
		// Tests and `make bench` read this line to count round trips.
		defer func() { logf("gofer: %v", g.RoundTrips()) }()
	}
	fsctx, err := buildFilesystems(k, v, lower, spec, host, debugf(logf))
	if err != nil {
		return statusBootFailed, err
	}
	ctx := vfs.Background()

	fdTable := vfs.NewFDTable()
	for i, hfd := range args.Stdio {
		f, err := newHostFile(hfd)
		if err != nil {
			return statusBootFailed, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		fdTable.SetFD(int32(i), f, false)
		f.DecRef()
	}

	env := spec.Process.Env
	argv := spec.Process.Args
	exe, err := resolveExecutable(ctx, v, fsctx, argv[0], env)
	if err != nil {
		return userStatus(err), err
	}
	u := spec.Process.User
	creds := kernel.Credentials{RUID: u.UID, EUID: u.UID, SUID: u.UID, RGID: u.GID, EGID: u.GID, SGID: u.GID, Groups: u.AdditionalGids}
	m, img, err := kernel.LoadImage(k, ctx, fsctx, &creds, exe, argv, env)
	if err != nil {
		return userStatus(err), execError(argv[0], err)
	}
	const containerID = "root" // until boot knows its container (the Loader)
	init, err := k.CreateInit(kernel.NewInitOptions{
		ContainerID: containerID,
		MM:          m,
		State:       arch.NewInitialState(img.Entry, img.StackPointer),
		FDTable:     fdTable,
		FSContext:   fsctx,
		Creds:       creds,
		Name:        path.Base(exe),
		Image:       img.ExecPath,
	})
	if err != nil {
		return statusBootFailed, err
	}
	forwardSignals(k, containerID)
	init.Start()
	ws, err := k.WaitContainer(containerID)
	if err != nil {
		return statusBootFailed, err
	}
	k.WaitTasks(2 * time.Second)
	if logf != nil {
		logf("init exited with status %#x", uint32(ws))
	}
	return ws.ShellStatus(), nil
}

// forwardSignals sends the signals the sandbox process receives (from runsc
// forwarding a user's ^C or kill) to the container's init.
func forwardSignals(k *kernel.Kernel, id string) {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	go func() {
		for s := range ch {
			k.SignalContainer(id, linux.Signal(s.(syscall.Signal)), false /* all */)
		}
	}()
}

// resolveExecutable finds argv[0] the way runc does: a name without a slash
// is looked up in the process's PATH inside the container.
func resolveExecutable(ctx vfs.Context, v *vfs.VFS, fsctx *vfs.FSContext, name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			pathVar = e[len("PATH="):]
		}
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		a, err := v.StatAt(ctx, fsctx, fsctx.Cwd(), p, true)
		if err == nil && a.Mode&unix.S_IFMT == unix.S_IFREG && a.Mode&0o111 != 0 {
			return p, nil
		}
	}
	return "", &userError{statusNotFound, fmt.Sprintf("executable %q not found in $PATH", name)}
}

func userStatus(err error) int {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.status
	}
	switch err {
	case unix.ENOENT, unix.ENOTDIR:
		return statusNotFound
	case unix.EACCES, unix.ENOEXEC, unix.ELIBBAD, unix.EISDIR:
		return statusNotExecutable
	}
	return statusBootFailed
}

func execError(name string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		switch errno {
		case unix.ENOENT:
			return &userError{statusNotFound, fmt.Sprintf("executable %q not found", name)}
		case unix.ENOEXEC:
			return &userError{statusNotExecutable, fmt.Sprintf("cannot execute %q: exec format error", name)}
		}
		return &userError{userStatus(err), fmt.Sprintf("cannot execute %q: %v", name, errno)}
	}
	return fmt.Errorf("loading %q: %w", name, err)
}
