// Package console makes the host terminals of containers with
// process.terminal: a pty pair whose replica becomes the sandbox's stdio
// (and its controlling terminal, so that ^C, ^\, ^Z and window changes
// reach it as signals it forwards to the container's foreground process
// group), and whose master goes to the caller over the console socket, as
// runc's --console-socket protocol does. It keeps no state and no locks.
package console

import (
	"fmt"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// tiocgptpeer is TIOCGPTPEER, _IO('T', 0x41): open the replica of a
// master (Linux 4.13).
const tiocgptpeer = 0x5441

// NewPty opens a new host pty pair: the master and its replica, both
// close-on-exec, the replica not made anyone's controlling terminal.
func NewPty() (master, replica *os.File, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking pty: %w", err)
	}
	// TIOCGPTPEER opens the replica of this very master, with no path
	// lookup that another devpts mount could redirect.
	rfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), tiocgptpeer, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("opening pty replica: %w", errno)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	name := "/dev/pts/?"
	if err == nil {
		name = fmt.Sprintf("/dev/pts/%d", n)
	}
	return master, os.NewFile(rfd, name), nil
}

// SetSize sets the terminal's window size from the spec's consoleSize, if
// it gives one.
func SetSize(f *os.File, size *specs.Box) error {
	if size == nil || (size.Height == 0 && size.Width == 0) {
		return nil
	}
	ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("setting console size: %w", err)
	}
	return nil
}

// SendMaster sends master over the unix socket at path, as runc's
// console-socket protocol does: one message carrying the FD (SCM_RIGHTS)
// and the terminal's name as data.
func SendMaster(path string, master *os.File) error {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	oob := unix.UnixRights(int(master.Fd()))
	if _, _, err := conn.WriteMsgUnix([]byte(master.Name()), oob, nil); err != nil {
		return fmt.Errorf("console socket: sending the terminal: %w", err)
	}
	return nil
}
