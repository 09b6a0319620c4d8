package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	unixsocket "github.com/cocoon-sandbox/cocoon/sentry/socket/unix"
)

// This file will bind unix sockets to paths in the VFS; until then path
// names answer EOPNOTSUPP.

// bindPath binds s to a path name.
func bindPath(t *kernel.Task, s *unixsocket.Socket, path string) error {
	return unix.EOPNOTSUPP
}

// pathName resolves a path name to the name its socket is bound to.
func pathName(t *kernel.Task, path string, stype int) (string, error) {
	return "", unix.EOPNOTSUPP
}
