package kernel

import (
	"sync"

	"golang.org/x/sys/unix"
)

// MaxUTSName is __NEW_UTS_LEN: the longest host or domain name.
const MaxUTSName = 64

// CLONE_NEWUTS is clone(2)'s and unshare(2)'s flag for a new UTS namespace.
const CLONE_NEWUTS = 0x04000000

// UTSNamespace holds a host and a domain name, which uname(2) reports and
// sethostname/setdomainname change. The sandbox has one at boot; clone and
// unshare with CLONE_NEWUTS give a task a copy of its own.
//
// Locking: mu guards both names.
type UTSNamespace struct {
	mu                   sync.Mutex
	hostname, domainname string
}

// Hostname returns the namespace's host name.
func (u *UTSNamespace) Hostname() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hostname
}

// Domainname returns the namespace's NIS domain name, "(none)" until set.
func (u *UTSNamespace) Domainname() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.domainname == "" {
		return "(none)"
	}
	return u.domainname
}

// clone returns a new namespace with u's names.
func (u *UTSNamespace) clone() *UTSNamespace {
	u.mu.Lock()
	defer u.mu.Unlock()
	return &UTSNamespace{hostname: u.hostname, domainname: u.domainname}
}

// RootUTS returns the sandbox's first UTS namespace (its init's).
func (k *Kernel) RootUTS() *UTSNamespace { return k.uts }

// UTS returns the task's UTS namespace.
func (t *Task) UTS() *UTSNamespace { return t.utsns.Load() }

// SetUTSName is sethostname(2) (domain false) or setdomainname(2) for t,
// in its UTS namespace: EPERM without CAP_SYS_ADMIN, EINVAL for a name
// longer than MaxUTSName.
func (t *Task) SetUTSName(name []byte, domain bool) error {
	if err := t.MaySetUTSName(int64(len(name))); err != nil {
		return err
	}
	u := t.UTS()
	u.mu.Lock()
	defer u.mu.Unlock()
	if domain {
		u.domainname = string(name)
	} else {
		u.hostname = string(name)
	}
	return nil
}

// MaySetUTSName checks a name of length n before it is read, in Linux's
// order: EPERM without CAP_SYS_ADMIN, then EINVAL for a negative or too
// long length.
func (t *Task) MaySetUTSName(n int64) error {
	if !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return unix.EPERM
	}
	if n < 0 || n > MaxUTSName {
		return unix.EINVAL
	}
	return nil
}

// UnshareUTS gives the task a UTS namespace of its own, a copy of the one
// it had (unshare(CLONE_NEWUTS)): EPERM without CAP_SYS_ADMIN.
func (t *Task) UnshareUTS() error {
	if !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return unix.EPERM
	}
	t.utsns.Store(t.UTS().clone())
	return nil
}
