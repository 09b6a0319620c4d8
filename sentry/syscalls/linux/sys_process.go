// Package linux is the sentry's Linux x86-64 system-call table and the
// handlers behind it, one syscall family per sys_<family>.go. Handlers
// decode and validate their arguments, return an errno early, and leave the
// work to the kernel, mm and vfs packages.
package linux

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// maxArgCount caps the number of execve arguments.
const maxArgCount = 1 << 17

var le = binary.LittleEndian

// Getpid implements Linux syscall getpid(2).
func Getpid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.ThreadGroup().ID()), nil
}

// Gettid implements Linux syscall gettid(2).
func Gettid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) { return uintptr(t.TID()), nil }

// Getppid implements Linux syscall getppid(2).
func Getppid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) { return uintptr(t.PPID()), nil }

// Exit implements Linux syscall exit(2): the calling thread ends.
func Exit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) { return 0, t.Exit(int(a[0])) }

// ExitGroup implements Linux syscall exit_group(2).
func ExitGroup(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.ExitGroup(int(a[0]))
}

// Fork implements Linux syscall fork(2).
func Fork(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	tid, err := t.Clone(kernel.CloneOptions{ExitSignal: linux.SIGCHLD})
	return uintptr(tid), err
}

// Vfork implements Linux syscall vfork(2).
func Vfork(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	tid, err := t.Clone(kernel.CloneOptions{Flags: kernel.CLONE_VM | kernel.CLONE_VFORK, ExitSignal: linux.SIGCHLD})
	return uintptr(tid), err
}

// Clone implements Linux syscall clone(2). On x86-64 the argument order is
// flags, stack, parent_tid, child_tid, tls.
func Clone(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint64(a[0])
	if flags&kernel.CLONE_PIDFD != 0 && flags&kernel.CLONE_PARENT_SETTID != 0 {
		// clone(2) returns both through parent_tid.
		return 0, unix.EINVAL
	}
	tid, err := t.Clone(kernel.CloneOptions{
		Flags:      flags &^ 0xff,
		ExitSignal: linux.Signal(flags & 0xff),
		Stack:      a[1],
		ParentTID:  a[2],
		ChildTID:   a[3],
		TLS:        a[4],
		PIDFD:      a[2],
	})
	return uintptr(tid), err
}

// clone3(2)'s struct clone_args: the sizes Linux knows, and the flags
// only clone3 takes.
const (
	cloneArgsSizeVer0 = 64
	cloneArgsSizeVer2 = 88
	cloneClearSighand = 0x100000000
	cloneIntoCgroup   = 0x200000000
	cloneCSignal      = 0xff
)

// Clone3 implements Linux syscall clone3(2): clone's options in a struct
// clone_args of size bytes (64 or more; bytes beyond the 88 this kernel
// knows must be zero, E2BIG otherwise). set_tid needs CAP_SYS_ADMIN in
// the PID namespace that the sandbox does not give (EPERM), and
// CLONE_INTO_CGROUP and CLONE_CLEAR_SIGHAND are refused (EINVAL).
func Clone3(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, size := a[0], a[1]
	if size < cloneArgsSizeVer0 || size > linux.PageSize {
		if size > linux.PageSize {
			return 0, unix.E2BIG
		}
		return 0, unix.EINVAL
	}
	buf := t.Scratch(int(size))
	if _, err := t.CopyIn(addr, buf); err != nil {
		return 0, err
	}
	for _, b := range buf[min(size, cloneArgsSizeVer2):] {
		if b != 0 {
			return 0, unix.E2BIG
		}
	}
	var f [11]uint64
	for i := range f {
		if off := i * 8; off+8 <= len(buf) {
			f[i] = le.Uint64(buf[off:])
		}
	}
	flags, pidfd, childTID, parentTID, exitSignal := f[0], f[1], f[2], f[3], f[4]
	stack, stackSize, tls, setTID, setTIDSize := f[5], f[6], f[7], f[8], f[9]
	switch {
	case flags&cloneCSignal != 0 || flags&(cloneClearSighand|cloneIntoCgroup) != 0 || flags>>32 != 0:
		return 0, unix.EINVAL
	case exitSignal&^cloneCSignal != 0 || exitSignal != 0 && !linux.Signal(exitSignal).Valid():
		return 0, unix.EINVAL
	case flags&(kernel.CLONE_THREAD|kernel.CLONE_PARENT) != 0 && exitSignal != 0:
		return 0, unix.EINVAL
	case (stack == 0) != (stackSize == 0):
		return 0, unix.EINVAL
	case setTIDSize > 32 || setTID == 0 && setTIDSize != 0:
		return 0, unix.EINVAL
	case setTIDSize != 0:
		return 0, unix.EPERM
	}
	if stack != 0 {
		stack += stackSize // x86 stacks grow down from the top.
	}
	tid, err := t.Clone(kernel.CloneOptions{
		Flags:      flags,
		ExitSignal: linux.Signal(exitSignal),
		Stack:      uintptr(stack),
		ParentTID:  uintptr(parentTID),
		ChildTID:   uintptr(childTID),
		TLS:        uintptr(tls),
		PIDFD:      uintptr(pidfd),
	})
	return uintptr(tid), err
}

// Execve implements Linux syscall execve(2).
func Execve(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return execveAt(t, a[0], a[1], a[2])
}

// Execveat implements Linux syscall execveat(2): a path relative to
// dirfd, or with AT_EMPTY_PATH and "" the file dirfd itself (fexecve);
// AT_SYMLINK_NOFOLLOW refuses a final symlink (ELOOP). The file is
// executed by its path in the sandbox (one that was unlinked: ENOENT).
func Execveat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	dirfd, flags := int32(a[0]), a[4]
	if flags&^(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW) != 0 {
		return 0, unix.EINVAL
	}
	pathname, err := copyInPath(t, a[1])
	if err != nil {
		return 0, err
	}
	if pathname == "" && flags&unix.AT_EMPTY_PATH == 0 {
		return 0, unix.ENOENT
	}
	if dirfd != atFDCWD && (pathname == "" || pathname[0] != '/') {
		f, err := t.FDTable().Get(dirfd)
		if err != nil {
			return 0, err
		}
		vd := f.VirtualDentry()
		if vd == nil {
			f.DecRef()
			return 0, unix.ENOENT // an anonymous file (a memfd): no path to run
		}
		base := t.VFS().PathOf(t.FSContext(), *vd)
		f.DecRef()
		if strings.HasSuffix(base, " (deleted)") {
			return 0, unix.ENOENT
		}
		if pathname != "" {
			pathname = base + "/" + pathname
		} else {
			pathname = base
		}
	}
	if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
		if a, err := t.VFS().StatAt(t, t.FSContext(), vfs.VirtualDentry{}, pathname, false); err == nil && a.Mode&unix.S_IFMT == unix.S_IFLNK {
			return 0, unix.ELOOP
		}
	}
	return execvePath(t, pathname, a[2], a[3])
}

func execveAt(t *kernel.Task, pathAddr, argvAddr, envvAddr uintptr) (uintptr, error) {
	pathname, err := copyInPath(t, pathAddr)
	if err != nil {
		return 0, err
	}
	return execvePath(t, pathname, argvAddr, envvAddr)
}

func execvePath(t *kernel.Task, pathname string, argvAddr, envvAddr uintptr) (uintptr, error) {
	argv, err := copyInStringVector(t, argvAddr)
	if err != nil {
		return 0, err
	}
	envv, err := copyInStringVector(t, envvAddr)
	if err != nil {
		return 0, err
	}
	return 0, t.Execve(pathname, argv, envv)
}

// copyInStringVector reads a NULL-terminated array of string pointers.
func copyInStringVector(t *kernel.Task, addr uintptr) ([]string, error) {
	if addr == 0 {
		return nil, nil
	}
	var out []string
	var ptr [8]byte
	total := 0
	for i := 0; ; i++ {
		if i >= maxArgCount {
			return nil, unix.E2BIG
		}
		if _, err := t.CopyIn(addr+uintptr(i*8), ptr[:]); err != nil {
			return nil, err
		}
		p := uintptr(le.Uint64(ptr[:]))
		if p == 0 {
			return out, nil
		}
		s, err := t.CopyInString(p, linux.MAX_ARG_STRLEN)
		if err == unix.ENAMETOOLONG {
			return nil, unix.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1
		if total > 32*linux.MAX_ARG_STRLEN {
			return nil, unix.E2BIG
		}
		out = append(out, s)
	}
}

// wait4 options.
const (
	wNoHang    = 0x1
	wUntraced  = 0x2
	wExited    = 0x4
	wContinued = 0x8
	wNoWait    = 0x01000000
	wNoThread  = 0x20000000
	wAll       = 0x40000000
	wClone     = 0x80000000
)

// Wait4 implements Linux syscall wait4(2).
func Wait4(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, statusAddr, options, rusage := int32(a[0]), a[1], int(a[2]), a[3]
	if options&^(wNoHang|wUntraced|wContinued|wNoThread|wAll|wClone) != 0 {
		return 0, unix.EINVAL
	}
	if pid == -2147483648 {
		return 0, unix.ESRCH
	}
	r, err := t.Wait(kernel.WaitOptions{
		PID:       pid,
		NoHang:    options&wNoHang != 0,
		Exited:    true,
		Stopped:   options&wUntraced != 0,
		Continued: options&wContinued != 0,
	})
	if err != nil {
		return 0, err
	}
	if r == nil {
		return 0, nil
	}
	if statusAddr != 0 {
		var b [4]byte
		le.PutUint32(b[:], uint32(r.Status))
		if _, err := t.CopyOut(statusAddr, b[:]); err != nil {
			return 0, err
		}
	}
	if rusage != 0 {
		var ru [rusageSize]byte
		if _, err := t.CopyOut(rusage, ru[:]); err != nil {
			return 0, err
		}
	}
	return uintptr(r.PID), nil
}

// waitid idtype values.
const (
	pAll   = 0
	pPID   = 1
	pPGID  = 2
	pPIDFD = 3
)

// Waitid implements Linux syscall waitid(2) for exited children.
func Waitid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	idtype, id, infop, options := int(a[0]), int32(a[1]), a[2], int(a[3])
	if options&(wExited|wUntraced|wContinued) == 0 || options&^(wNoHang|wExited|wUntraced|wContinued|wNoWait|wNoThread|wAll|wClone) != 0 {
		return 0, unix.EINVAL
	}
	var pid int32
	switch idtype {
	case pAll:
		pid = -1
	case pPID:
		if id <= 0 {
			return 0, unix.EINVAL
		}
		pid = id
	case pPGID:
		if id < 0 {
			return 0, unix.EINVAL
		}
		pid = -id
	case pPIDFD:
		tg, err := pidfdProcess(t, id)
		if err != nil {
			return 0, err
		}
		pid = tg.ID()
	default:
		return 0, unix.EINVAL
	}
	r, err := t.Wait(kernel.WaitOptions{
		PID:       pid,
		NoHang:    options&wNoHang != 0,
		NoReap:    options&wNoWait != 0,
		Exited:    options&wExited != 0,
		Stopped:   options&wUntraced != 0,
		Continued: options&wContinued != 0,
	})
	if err != nil {
		return 0, err
	}
	if infop == 0 {
		return 0, nil
	}
	var buf [linux.SignalInfoSize]byte
	if r != nil {
		si := linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: r.Code, PID: r.PID, UID: r.UID}
		switch r.Code {
		case linux.CLD_EXITED:
			si.Status = int32(r.Status.ExitCode())
		case linux.CLD_KILLED, linux.CLD_DUMPED:
			s, _ := r.Status.Signaled()
			si.Status = int32(s)
		case linux.CLD_STOPPED, linux.CLD_TRAPPED:
			si.Status = int32(r.Status>>8) & 0xff
		case linux.CLD_CONTINUED:
			si.Status = int32(linux.SIGCONT)
		}
		si.Encode(buf[:])
	}
	_, err = t.CopyOut(infop, buf[:])
	return 0, err
}

// SetTidAddress implements Linux syscall set_tid_address(2).
func SetTidAddress(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t.SetClearChildTID(a[0])
	return uintptr(t.TID()), nil
}

// Getpgid implements Linux syscall getpgid(2).
func Getpgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := taskOrSelf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	pgid, _ := target.ProcessGroup()
	return uintptr(pgid), nil
}

// Getpgrp implements Linux syscall getpgrp(2).
func Getpgrp(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	pgid, _ := t.ProcessGroup()
	return uintptr(pgid), nil
}

// Getsid implements Linux syscall getsid(2).
func Getsid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := taskOrSelf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	_, sid := target.ProcessGroup()
	return uintptr(sid), nil
}

// Setpgid implements Linux syscall setpgid(2).
func Setpgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetPGID(int32(a[0]), int32(a[1]))
}

// Setsid implements Linux syscall setsid(2).
func Setsid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	sid, err := t.SetSID()
	return uintptr(sid), err
}

func taskOrSelf(t *kernel.Task, pid int32) (*kernel.Task, error) {
	if pid < 0 {
		return nil, unix.EINVAL
	}
	if pid == 0 {
		return t, nil
	}
	target := t.Kernel().TaskByTID(pid)
	if target == nil {
		return nil, unix.ESRCH
	}
	return target, nil
}
