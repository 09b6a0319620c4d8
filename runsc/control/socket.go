package control

import (
	"fmt"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxSunPath is the room for a path in sockaddr_un, its NUL included.
const maxSunPath = 108

// withShortPath calls fn with a name for path that fits sockaddr_un. Long
// paths (a deep --root) are reached through an O_PATH FD of their
// directory, as /proc/self/fd/N/<base>, which bind and connect resolve like
// any path.
func withShortPath(path string, fn func(addr string) error) error {
	if len(path) < maxSunPath {
		return fn(path)
	}
	dir, base := filepath.Split(path)
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer unix.Close(dfd)
	short := "/proc/self/fd/" + strconv.Itoa(dfd) + "/" + base
	if len(short) >= maxSunPath {
		return fmt.Errorf("socket name %q too long", base)
	}
	return fn(short)
}

// Listen makes a listening control socket at path, mode 0600, and returns
// its FD (close-on-exec; the caller passes it to the sandbox). The file
// is removed again if anything fails.
func Listen(path string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("control socket: %w", err)
	}
	err = withShortPath(path, func(addr string) error {
		// Created with mode 0600: only runsc (root) may connect.
		old := unix.Umask(0o177)
		defer unix.Umask(old)
		return unix.Bind(fd, &unix.SockaddrUnix{Name: addr})
	})
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("binding control socket %s: %w", path, err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		unix.Close(fd)
		unix.Unlink(path)
		return -1, fmt.Errorf("listening on control socket %s: %w", path, err)
	}
	return fd, nil
}

// dial connects to the control socket at path.
func dial(path string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("control socket: %w", err)
	}
	err = withShortPath(path, func(addr string) error {
		for {
			err := unix.Connect(fd, &unix.SockaddrUnix{Name: addr})
			if err != unix.EINTR {
				return err
			}
		}
	})
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("connecting to sandbox at %s: %w", path, err)
	}
	return fd, nil
}
