package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// ProcessVMReadv implements Linux syscall process_vm_readv(2).
func ProcessVMReadv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return processVM(t, a, false)
}

// ProcessVMWritev implements Linux syscall process_vm_writev(2).
func ProcessVMWritev(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return processVM(t, a, true)
}

// processVM copies between the caller's local iovecs and process pid's
// remote ones, which need the right to ptrace it (EPERM); it stops at the
// first remote fault and returns the bytes copied (EFAULT if none).
func processVM(t *kernel.Task, a arch.SyscallArgs, write bool) (uintptr, error) {
	pid, localAddr, nlocal, remoteAddr, nremote, flags := int32(a[0]), a[1], a[2], a[3], a[4], a[5]
	if flags != 0 {
		return 0, unix.EINVAL
	}
	local, _, err := copyInIovecs(t, localAddr, nlocal, nil)
	if err != nil {
		return 0, err
	}
	remote, _, err := copyInIovecs(t, remoteAddr, nremote, nil)
	if err != nil {
		return 0, err
	}
	target := t.Kernel().TaskByTID(pid)
	if target == nil || target.IsZombie() {
		return 0, unix.ESRCH
	}
	if !t.MayPtrace(target) {
		return 0, unix.EPERM
	}
	m := target.MemoryManager()
	if m == nil {
		return 0, unix.ESRCH
	}
	buf := t.Scratch(kernel.ScratchMax)
	var done uintptr
	li, loff := 0, 0
	for _, r := range remote {
		for roff := 0; roff < r.len; {
			for li < len(local) && loff == local[li].len {
				li, loff = li+1, 0
			}
			if li == len(local) {
				return done, nil
			}
			n := min(r.len-roff, local[li].len-loff, len(buf))
			var got int
			if write {
				c, err := t.CopyIn(local[li].base+uintptr(loff), buf[:n])
				if err != nil && c == 0 {
					return faultResult(done)
				}
				got, _ = m.CopyOut(r.base+uintptr(roff), buf[:c])
			} else {
				c, _ := m.CopyIn(r.base+uintptr(roff), buf[:n])
				got, _ = t.CopyOut(local[li].base+uintptr(loff), buf[:c])
			}
			done += uintptr(got)
			if got < n {
				return faultResult(done)
			}
			roff += n
			loff += n
		}
	}
	return done, nil
}

func faultResult(done uintptr) (uintptr, error) {
	if done == 0 {
		return 0, unix.EFAULT
	}
	return done, nil
}

// Personality implements Linux syscall personality(2): the value is kept
// and reported; the sentry runs every process as PER_LINUX (and lays out
// memory the same with or without ADDR_NO_RANDOMIZE).
func Personality(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetPersonality(uint32(a[0]))), nil
}
