package kerneltest

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Test-only system calls that Env adds to the table: the program's loads
// and stores of its own memory, done by the kernel (CopyIn, CopyOut). A bad
// address kills the task with SIGSEGV, as a faulting load would.
const (
	// SysLoad(addr, size) returns the size-byte (4 or 8) word at addr.
	SysLoad = 1000
	// SysStore(addr, size, value) writes the size-byte word value at addr.
	SysStore = 1001
)

// The memory every init starts with (forked children inherit it): a data
// area for the program's buffers and a stack for signal frames.
const (
	DataAddr  = 0x600000
	DataSize  = 64 << 10
	StackTop  = 0x7f0000000000
	StackSize = 256 << 10
)

// Timeout bounds every wait of the harness.
const Timeout = 20 * time.Second

// Env is a kernel over the fake platform, with an empty tmpfs root.
type Env struct {
	t  testing.TB
	P  *Platform
	K  *kernel.Kernel
	mf *pgalloc.MemoryFile
	v  *vfs.VFS
	// root is the root of the file system, referenced until cleanup.
	root vfs.VirtualDentry
	// quiet is set once the test is over: the kernel logs no more.
	quiet atomic.Bool
}

// New boots a kernel over the fake platform with table (typically
// sentry/syscalls/linux's) plus SysLoad and SysStore. Cleanup kills every
// task and waits for them.
func New(t testing.TB, table []kernel.Syscall) *Env {
	t.Helper()
	mf, err := pgalloc.New("kerneltest")
	if err != nil {
		t.Fatalf("memory file: %v", err)
	}
	full := make([]kernel.Syscall, SysStore+1)
	copy(full, table)
	full[SysLoad] = kernel.Syscall{Name: "kerneltest_load", Fn: sysLoad}
	full[SysStore] = kernel.Syscall{Name: "kerneltest_store", Fn: sysStore}
	e := &Env{t: t, P: NewPlatform(), mf: mf, v: vfs.New()}
	e.K = kernel.New(kernel.Config{
		Platform:   e.P,
		MemoryFile: mf,
		VFS:        e.v,
		Table:      full,
		Hostname:   "kerneltest",
		Logf: func(format string, args ...any) {
			if !e.quiet.Load() {
				t.Logf(format, args...)
			}
		},
	})
	e.root = e.v.MountRoot(tmpfs.New(0o755))
	t.Cleanup(func() {
		e.K.KillAll()
		if !e.K.WaitTasks(Timeout) {
			t.Errorf("tasks still running %v after the test", Timeout)
			return
		}
		e.quiet.Store(true)
		e.root.DecRef()
		mf.Release()
	})
	return e
}

// StartInit creates container id with an init that runs prog with creds,
// starts it and returns it.
func (e *Env) StartInit(id string, creds *kernel.Credentials, prog Program) *kernel.Task {
	e.t.Helper()
	init, err := e.K.CreateInit(e.processOptions(id, creds, prog))
	if err != nil {
		e.t.Fatalf("CreateInit: %v", err)
	}
	init.Start()
	return init
}

// StartProcess starts prog with creds in running container id, as `runsc
// exec` does (kernel.CreateProcess), and returns its task.
func (e *Env) StartProcess(id string, creds *kernel.Credentials, prog Program) (*kernel.Task, error) {
	e.t.Helper()
	o := e.processOptions(id, creds, prog)
	t, err := e.K.CreateProcess(o)
	if err != nil {
		o.MM.Release()
		return nil, err
	}
	t.Start()
	return t, nil
}

// processOptions builds the first task of a process of container id
// running prog: a fresh address space with the data and stack areas.
func (e *Env) processOptions(id string, creds *kernel.Credentials, prog Program) kernel.NewInitOptions {
	e.t.Helper()
	m, err := mm.New(e.P, e.mf)
	if err != nil {
		e.t.Fatalf("mm.New: %v", err)
	}
	for _, r := range []mm.MMapOpts{
		{Addr: DataAddr, Length: DataSize, Fixed: true, Perms: platform.ReadWrite, Private: true},
		{Addr: StackTop - StackSize, Length: StackSize, Fixed: true, Perms: platform.ReadWrite, Private: true, Name: "[stack]"},
	} {
		if _, err := m.MMap(r); err != nil {
			e.t.Fatalf("MMap(%#x): %v", r.Addr, err)
		}
	}
	return kernel.NewInitOptions{
		ContainerID: id,
		MM:          m,
		State:       arch.NewInitialState(e.P.Entry(prog), StackTop),
		FDTable:     vfs.NewFDTable(),
		FSContext:   vfs.NewFSContext(e.root),
		Creds:       creds,
		Name:        id,
		Image:       "/" + id,
	}
}

// Wait waits for container id's init to exit and returns its status.
func (e *Env) Wait(id string) linux.WaitStatus {
	e.t.Helper()
	ch := e.K.ContainerExited(id)
	if ch == nil {
		e.t.Fatalf("no container %q", id)
	}
	select {
	case <-ch:
	case <-time.After(Timeout):
		e.t.Fatalf("container %q still running after %v", id, Timeout)
	}
	ws, _ := e.K.WaitContainer(id)
	return ws
}

// Run runs prog as the init of a new container with creds and returns its
// exit status.
func (e *Env) Run(creds *kernel.Credentials, prog Program) linux.WaitStatus {
	e.t.Helper()
	id := e.t.Name()
	e.StartInit(id, creds, prog)
	return e.Wait(id)
}

func sysLoad(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [8]byte
	n := int(a[1])
	if n != 4 && n != 8 {
		return 0, unix.EINVAL
	}
	if _, err := t.CopyIn(a[0], b[:n]); err != nil {
		t.SendSignalNo(linux.SIGSEGV)
		return 0, err
	}
	return uintptr(binary.LittleEndian.Uint64(b[:])), nil
}

func sysStore(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [8]byte
	n := int(a[1])
	if n != 4 && n != 8 {
		return 0, unix.EINVAL
	}
	binary.LittleEndian.PutUint64(b[:], uint64(a[2]))
	if _, err := t.CopyOut(a[0], b[:n]); err != nil {
		t.SendSignalNo(linux.SIGSEGV)
		return 0, err
	}
	return 0, nil
}
