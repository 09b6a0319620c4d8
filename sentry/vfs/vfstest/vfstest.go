// Package vfstest has helpers for tests of the VFS and of file systems: a
// fake vfs.Context and a fake vfs.IO. It holds no locks of its own.
package vfstest

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Ctx is a vfs.Context with fixed credentials. Interrupt simulates a
// signal: it makes Block return vfs.ErrInterrupted.
type Ctx struct {
	Uid, Gid uint32
	intr     chan struct{}
}

// NewCtx returns a context for uid and gid.
func NewCtx(uid, gid uint32) *Ctx {
	return &Ctx{Uid: uid, Gid: gid, intr: make(chan struct{})}
}

// Root returns a context for uid 0.
func Root() *Ctx { return NewCtx(0, 0) }

// UID implements vfs.Context.
func (c *Ctx) UID() uint32 { return c.Uid }

// GID implements vfs.Context.
func (c *Ctx) GID() uint32 { return c.Gid }

// Block implements vfs.Context.
func (c *Ctx) Block(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-c.intr:
		return vfs.ErrInterrupted
	}
}

// Interrupted implements vfs.Context.
func (c *Ctx) Interrupted() <-chan struct{} { return c.intr }

// Interrupt interrupts every current and future Block.
func (c *Ctx) Interrupt() { close(c.intr) }

// IO is a vfs.IO over a byte slice standing for application memory
// starting at address Base.
type IO struct {
	Base uintptr
	Mem  []byte
}

// CopyIn implements vfs.IO.
func (m *IO) CopyIn(addr uintptr, dst []byte) (int, error) {
	if addr < m.Base || addr-m.Base+uintptr(len(dst)) > uintptr(len(m.Mem)) {
		return 0, unix.EFAULT
	}
	return copy(dst, m.Mem[addr-m.Base:]), nil
}

// CopyOut implements vfs.IO.
func (m *IO) CopyOut(addr uintptr, src []byte) (int, error) {
	if addr < m.Base || addr-m.Base+uintptr(len(src)) > uintptr(len(m.Mem)) {
		return 0, unix.EFAULT
	}
	return copy(m.Mem[addr-m.Base:], src), nil
}
