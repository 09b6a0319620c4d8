package seccomp

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setModeFilter calls seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog).
//
// unsafe: the kernel only reads the sock_fprog and the filter array during
// the call; both are kept alive until it returns. With TSYNC, a positive
// return is the ID of a thread that could not be synchronised.
func setModeFilter(prog []unix.SockFilter, flags uintptr) error {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return errno
	}
	if r != 0 {
		return unix.ESRCH
	}
	return nil
}
