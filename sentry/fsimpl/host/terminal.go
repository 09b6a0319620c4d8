package host

import (
	"sync"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Terminal is what the sandbox keeps of a host terminal, shared by every
// File open on it: the foreground process group (TIOCGPGRP/TIOCSPGRP are
// the sandbox's, its PIDs not the host's), and the name and device number
// the sandbox shows for it (its /dev/pts entry) when it has one. Its
// fields are guarded by mu.
type Terminal struct {
	mu     sync.Mutex
	fgPGID int32
	name   string
	// node is the identity (device, inode, device number) of the
	// sandbox's entry for the terminal.
	node vfs.Attr
}

// SetForegroundPGID sets the foreground process group.
func (t *Terminal) SetForegroundPGID(pgid int32) {
	t.mu.Lock()
	t.fgPGID = pgid
	t.mu.Unlock()
}

// ForegroundPGID returns the foreground process group (0: none set).
func (t *Terminal) ForegroundPGID() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fgPGID
}

// SetName gives the terminal the path the sandbox sees (/dev/pts/0 for
// a container's console) and the attributes of that entry: /proc/self/fd
// shows the path, and fstat the entry's device, inode and device number,
// so that ttyname(3), which compares them, finds it.
func (t *Terminal) SetName(name string, node vfs.Attr) {
	t.mu.Lock()
	t.name, t.node = name, node
	t.mu.Unlock()
}

// named returns the name set by SetName ("" if none).
func (t *Terminal) named() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.name
}

// overrideAttr shows the sandbox entry's identity in a's place.
func (t *Terminal) overrideAttr(a *vfs.Attr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.name != "" {
		a.Dev, a.Ino, a.Rdev = t.node.Dev, t.node.Ino, t.node.Rdev
	}
}
