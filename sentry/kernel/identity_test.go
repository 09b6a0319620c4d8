package kernel_test

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// TestSetIDSyscalls drives the setuid family through the syscall table:
// root parks its privileges in the saved ID, takes them back, and then
// drops them for good.
func TestSetIDSyscalls(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		wantErrno(t, "setresuid(1000, 1000, 0)", setresuid(a, 1000, 1000, 0), 0)
		wantEq(t, "getresuid", getresuid(a), [3]uint32{1000, 1000, 0})
		eff, perm := capget(a)
		wantEq(t, "effective caps with euid 1000", eff, 0)
		wantEq(t, "permitted caps with saved uid 0", perm, kernel.AllCapabilities)
		wantErrno(t, "setgroups without CAP_SETGID", errnoOf(a, unix.SYS_SETGROUPS, 0, 0), unix.EPERM)

		wantErrno(t, "seteuid(0) through the saved ID", setresuid(a, m1, 0, m1), 0)
		eff, _ = capget(a)
		wantEq(t, "effective caps back", eff, kernel.AllCapabilities)

		// setfsuid answers the old value, changed or not.
		wantEq(t, "setfsuid(1000)", a.Syscall(unix.SYS_SETFSUID, 1000), 0)
		wantEq(t, "setfsuid(-1)", a.Syscall(unix.SYS_SETFSUID, uintptr(m1)), 1000)
		eff, _ = capget(a)
		wantEq(t, "effective caps with fsuid 1000", eff, kernel.AllCapabilities&^fsCaps)
		wantEq(t, "setfsuid(0)", a.Syscall(unix.SYS_SETFSUID, 0), 1000)

		a.Store32(groupsAddr, 30)
		a.Store32(groupsAddr+4, 10)
		_, errno := a.Call(unix.SYS_SETGROUPS, 2, groupsAddr)
		wantErrno(t, "setgroups", errno, 0)
		n, _ := a.Call(unix.SYS_GETGROUPS, 2, groupsAddr)
		wantEq(t, "getgroups", [3]uint32{uint32(n), a.Load32(groupsAddr), a.Load32(groupsAddr + 4)}, [3]uint32{2, 10, 30})

		wantErrno(t, "setgid(2000)", errnoOf(a, unix.SYS_SETGID, 2000), 0)
		wantEq(t, "getresgid", getresgid(a), [3]uint32{2000, 2000, 2000})
		wantErrno(t, "setuid(1000)", errnoOf(a, unix.SYS_SETUID, 1000), 0)
		wantEq(t, "getresuid", getresuid(a), [3]uint32{1000, 1000, 1000})
		eff, perm = capget(a)
		wantEq(t, "caps after setuid", [2]kernel.CapabilitySet{eff, perm}, [2]kernel.CapabilitySet{})
		wantErrno(t, "setuid(0) for good", errnoOf(a, unix.SYS_SETUID, 0), unix.EPERM)
		wantEq(t, "setfsuid(0) refused", a.Syscall(unix.SYS_SETFSUID, 0), 1000)
		wantEq(t, "fsuid unchanged", a.Syscall(unix.SYS_SETFSUID, uintptr(m1)), 1000)
		wantEq(t, "getuid", a.Syscall(unix.SYS_GETUID), 1000)
		wantEq(t, "getegid", a.Syscall(unix.SYS_GETEGID), 2000)
	})
	wantEq(t, "exit status", ws, linux.Exited(0))
}

// TestKillPermission checks kill(2)'s rule across user IDs: the sender's
// real or effective UID must be the target's real or saved one, unless
// the sender has CAP_KILL; SIGCONT within a session always passes.
func TestKillPermission(t *testing.T) {
	type ids = [3]uint32
	for _, tc := range []struct {
		name           string
		sender, target ids
		sig            linux.Signal
		want           unix.Errno
	}{
		{"root signals anyone", ids{0, 0, 0}, ids{2000, 2000, 2000}, 0, 0},
		{"same user", ids{1000, 1000, 1000}, ids{1000, 1000, 1000}, 0, 0},
		{"sender euid is target ruid", ids{2000, 1000, 2000}, ids{1000, 3000, 3000}, 0, 0},
		{"sender ruid is target suid", ids{1000, 2000, 2000}, ids{3000, 3000, 1000}, 0, 0},
		{"sender euid is target suid", ids{2000, 1000, 2000}, ids{3000, 3000, 1000}, 0, 0},
		{"target euid does not count", ids{1000, 1000, 1000}, ids{3000, 1000, 3000}, 0, unix.EPERM},
		{"sender suid does not count", ids{2000, 2000, 1000}, ids{1000, 1000, 1000}, 0, unix.EPERM},
		{"stranger", ids{1000, 1000, 1000}, ids{2000, 2000, 2000}, linux.SIGUSR1, unix.EPERM},
		{"SIGCONT in the session", ids{1000, 1000, 1000}, ids{2000, 2000, 2000}, linux.SIGCONT, 0},
		{"seteuid root has no CAP_KILL", ids{0, 1000, 0}, ids{2000, 2000, 2000}, 0, unix.EPERM},
		{"effective root has CAP_KILL", ids{1000, 0, 1000}, ids{2000, 2000, 2000}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ready := make(chan struct{})
			ws := e.Run(rootCreds(), func(a *kerneltest.App) {
				target, _ := a.Fork(func(a *kerneltest.App) {
					wantErrno(t, "target setresuid", setresuid(a, tc.target[0], tc.target[1], tc.target[2]), 0)
					close(ready)
					for {
						a.Call(unix.SYS_PAUSE)
					}
				})
				sender, _ := a.Fork(func(a *kerneltest.App) {
					wantErrno(t, "sender setresuid", setresuid(a, tc.sender[0], tc.sender[1], tc.sender[2]), 0)
					a.Await(ready)
					wantErrno(t, "kill", kill(a, target, tc.sig), tc.want)
				})
				_, ws, _ := wait4(a, sender, 0)
				wantEq(t, "sender status", ws, linux.Exited(0))
				kill(a, target, linux.SIGKILL)
				_, ws, _ = wait4(a, target, 0)
				wantEq(t, "target status", ws, linux.Killed(linux.SIGKILL, false))
			})
			wantEq(t, "init status", ws, linux.Exited(0))
		})
	}
}

// TestCredentialsRace changes a task's credentials while other tasks and
// the test's goroutine read them (kill's permission check, setpriority,
// wait, ps): with credentials changed in place, -race reports it.
func TestCredentialsRace(t *testing.T) {
	const rounds = 200
	e := newEnv(t)
	id := t.Name()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			e.K.ContainerProcesses(id)
		}
	}()
	e.StartInit(id, rootCreds(), func(a *kerneltest.App) {
		writer, _ := a.Fork(func(a *kerneltest.App) {
			for i := 0; i < rounds; i++ {
				setresuid(a, m1, 1000, m1)
				a.Syscall(unix.SYS_SETFSUID, 0)
				setresuid(a, m1, 0, m1)
			}
		})
		reader, _ := a.Fork(func(a *kerneltest.App) {
			setresuid(a, 2000, 2000, 2000)
			for i := 0; i < rounds; i++ {
				kill(a, writer, 0)
				a.Call(unix.SYS_SETPRIORITY, 0 /* PRIO_PROCESS */, uintptr(writer), 0)
			}
		})
		for _, pid := range []int32{writer, reader} {
			_, ws, _ := wait4(a, pid, 0)
			wantEq(t, "child status", ws, linux.Exited(0))
		}
	})
	wantEq(t, "init status", e.Wait(id), linux.Exited(0))
	close(done)
	wg.Wait()
}

// TestSetpriorityPermission: changing another process's nice value needs
// the same user ID or CAP_SYS_NICE (EPERM), lowering it CAP_SYS_NICE
// (EACCES).
func TestSetpriorityPermission(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		const prioProcess = 0
		init := uintptr(getpid(a))
		pid, _ := a.Fork(func(a *kerneltest.App) {
			setresuid(a, 1000, 1000, 1000)
			wantErrno(t, "renice root's process", errnoOf(a, unix.SYS_SETPRIORITY, prioProcess, init, 5), unix.EPERM)
			wantErrno(t, "raise its own", errnoOf(a, unix.SYS_SETPRIORITY, prioProcess, 0, 5), 0)
			wantEq(t, "getpriority (20 - nice)", a.Syscall(unix.SYS_GETPRIORITY, prioProcess, 0), 15)
			wantErrno(t, "lower its own", errnoOf(a, unix.SYS_SETPRIORITY, prioProcess, 0, 0), unix.EACCES)
		})
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(0))
		wantErrno(t, "root lowers", errnoOf(a, unix.SYS_SETPRIORITY, prioProcess, 0, ^uintptr(4) /* -5 */), 0)
		wantEq(t, "root's nice", a.Syscall(unix.SYS_GETPRIORITY, prioProcess, 0), 25)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestRlimitNeedsCapability: raising a hard limit needs CAP_SYS_RESOURCE;
// lowering one does not.
func TestRlimitNeedsCapability(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		lim := uintptr(kerneltest.DataAddr + 0x700)
		set := func(a *kerneltest.App, cur, max uint64) unix.Errno {
			a.Store64(lim, cur)
			a.Store64(lim+8, max)
			return errnoOf(a, unix.SYS_SETRLIMIT, unix.RLIMIT_NOFILE, lim)
		}
		wantErrno(t, "root lowers", set(a, 64, 512), 0)
		wantErrno(t, "root raises", set(a, 64, 1024), 0)
		pid, _ := a.Fork(func(a *kerneltest.App) {
			setresuid(a, 1000, 1000, 1000)
			wantErrno(t, "user lowers", set(a, 64, 256), 0)
			wantErrno(t, "user raises", set(a, 64, 512), unix.EPERM)
			wantErrno(t, "cur above max", set(a, 300, 256), unix.EINVAL)
		})
		_, ws, _ := wait4(a, pid, 0)
		wantEq(t, "child status", ws, linux.Exited(0))
	})
	wantEq(t, "status", ws, linux.Exited(0))
}
