package kernel_test

import (
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// Where the tests below write a struct sock_fprog and its program.
const (
	fprogAddr = kerneltest.DataAddr + 0x1000
	insnsAddr = kerneltest.DataAddr + 0x1100
)

// storeFilter writes a filter returning ret for system call nr (ALLOW
// for the others) and its sock_fprog into the app's memory.
func storeFilter(a *kerneltest.App, nr uint32, ret uint32) {
	insns := []struct {
		code   uint16
		jt, jf uint8
		k      uint32
	}{
		{unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, 0, 0, 0},
		{unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, 0, 1, nr},
		{unix.BPF_RET | unix.BPF_K, 0, 0, ret},
		{unix.BPF_RET | unix.BPF_K, 0, 0, unix.SECCOMP_RET_ALLOW},
	}
	for i, in := range insns {
		a.Store64(insnsAddr+uintptr(8*i), uint64(in.code)|uint64(in.jt)<<16|uint64(in.jf)<<24|uint64(in.k)<<32)
	}
	a.Store64(fprogAddr, uint64(len(insns)))
	a.Store64(fprogAddr+8, insnsAddr)
}

// TestSeccompTsyncRace: threads that make system calls while another
// thread stacks a filter on all of them (TSYNC): each one soon sees it
// deny its calls; with -race, the chains swapped under it race with
// nothing.
func TestSeccompTsyncRace(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		const threads = 4
		var denied atomic.Int32
		start := make(chan struct{})
		for i := 0; i < threads; i++ {
			_, errno := a.Thread(func(a *kerneltest.App) {
				a.Await(start)
				for i := 0; errnoOf(a, unix.SYS_GETPPID) != unix.EPERM; i++ {
					if i == 1e6 {
						t.Errorf("a thread never got the synchronized filter")
						break
					}
					a.Syscall(unix.SYS_SCHED_YIELD)
				}
				denied.Add(1)
				exitThread(a, 0)
			})
			wantErrno(t, "clone(CLONE_THREAD)", errno, 0)
		}
		a.Syscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
		close(start)
		storeFilter(a, unix.SYS_GETPPID, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM))
		rv, errno := a.Call(unix.SYS_SECCOMP, 1 /* SECCOMP_SET_MODE_FILTER */, 1 /* TSYNC */, fprogAddr)
		wantErrno(t, "seccomp(TSYNC)", errno, 0)
		wantEq(t, "seccomp(TSYNC) result", rv, 0)
		for denied.Load() != threads {
			a.Syscall(unix.SYS_SCHED_YIELD)
		}
		wantErrno(t, "getppid", errnoOf(a, unix.SYS_GETPPID), unix.EPERM)
		wantEq(t, "PR_GET_SECCOMP", a.Syscall(unix.SYS_PRCTL, unix.PR_GET_SECCOMP, 0, 0, 0, 0), 2)
		exit(a, 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestSeccompKillProcess: KILL_PROCESS ends the process with SIGSYS and
// a core dump, as the default action of SIGSYS does; the forked child
// inherited the filter, the parent's own calls still run.
func TestSeccompKillProcess(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		pid, _ := a.Fork(func(a *kerneltest.App) {
			a.Syscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
			storeFilter(a, unix.SYS_GETUID, unix.SECCOMP_RET_KILL_PROCESS)
			a.Syscall(unix.SYS_SECCOMP, 1, 0, fprogAddr)
			gpid, _ := a.Fork(func(a *kerneltest.App) {
				a.Call(unix.SYS_GETUID)
				t.Errorf("getuid ran under KILL_PROCESS")
				exit(a, 1)
			})
			_, ws, errno := wait4(a, gpid, 0)
			wantErrno(t, "wait4", errno, 0)
			wantEq(t, "grandchild's status", ws, linux.Killed(linux.SIGSYS, true))
			exit(a, 4)
		})
		_, ws, errno := wait4(a, pid, 0)
		wantErrno(t, "wait4", errno, 0)
		wantEq(t, "child's status", ws, linux.Exited(4))
		exit(a, 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}
