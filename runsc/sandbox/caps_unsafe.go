package sandbox

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// allThreadsPrctl runs prctl(option, arg2, arg3, 0, 0) on every thread of
// the process (syscall.AllThreadsSyscall). The options used here return 0
// on success on every thread alike; the runtime panics if threads disagree.
func allThreadsPrctl(option int, arg2, arg3 uintptr) error {
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_PRCTL, uintptr(option), arg2, arg3)
	return allThreadsErr(e)
}

// allThreadsCapset sets every thread's capability sets to s.
//
// unsafe: hdr and data are live locals for the whole call; the kernel reads
// them during each thread's capset and keeps no reference.
func allThreadsCapset(s capSets) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.effective), Permitted: uint32(s.permitted), Inheritable: uint32(s.inheritable)},
		{Effective: uint32(s.effective >> 32), Permitted: uint32(s.permitted >> 32), Inheritable: uint32(s.inheritable >> 32)},
	}
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	return allThreadsErr(e)
}

func allThreadsErr(e syscall.Errno) error {
	switch e {
	case 0:
		return nil
	case syscall.ENOTSUP:
		return errNotAllThreads
	}
	return e
}
