package kernel

import (
	"slices"

	"golang.org/x/sys/unix"
)

// Credentials are a task's identity: its user and group IDs (real,
// effective, saved, file-system), supplementary groups and capability
// sets (Linux's struct cred).
//
// A Credentials is immutable once a task holds it: every change builds a
// new one and swaps the task's pointer (Linux's prepare_creds and
// commit_creds), so any goroutine may read another task's credentials
// without a lock by loading the pointer once (Task.Credentials) and using
// that one value throughout the check. Never write through the pointer.
type Credentials struct {
	RUID, EUID, SUID, FSUID uint32
	RGID, EGID, SGID, FSGID uint32
	// Groups are the supplementary group IDs, sorted (setgroups sorts,
	// as Linux's groups_sort). Shared between Credentials: never modified.
	Groups []uint32
	// The capability sets (capabilities.go). The effective set is what
	// permission checks use; the permitted set bounds it; the bounding
	// set bounds what exec can give; the ambient set survives exec for
	// non-root programs.
	PermittedCaps, EffectiveCaps, InheritableCaps CapabilitySet
	BoundingCaps, AmbientCaps                     CapabilitySet
	// KeepCaps is SECBIT_KEEP_CAPS (PR_SET_KEEPCAPS): leaving root keeps
	// the permitted set. Cleared by exec.
	KeepCaps bool
}

// CapabilitySet is a set of capabilities: bit n for capability n
// (unix.CAP_*).
type CapabilitySet uint64

// AllCapabilities has every capability Linux 6.1 knows.
const AllCapabilities = CapabilitySet(1)<<(unix.CAP_LAST_CAP+1) - 1

// fsCapabilities are the capabilities that follow the file-system user ID
// (Linux's CAP_FS_SET; capabilities(7), "Effect of user ID changes on
// capabilities").
const fsCapabilities = CapabilitySet(1<<unix.CAP_CHOWN | 1<<unix.CAP_DAC_OVERRIDE |
	1<<unix.CAP_DAC_READ_SEARCH | 1<<unix.CAP_FOWNER | 1<<unix.CAP_FSETID |
	1<<unix.CAP_LINUX_IMMUTABLE | 1<<unix.CAP_MAC_OVERRIDE | 1<<unix.CAP_MKNOD)

// Has reports whether capability cp (unix.CAP_*) is in s.
func (s CapabilitySet) Has(cp int) bool { return cp >= 0 && cp < 64 && s&(1<<cp) != 0 }

// NewCredentials returns the credentials of a container process that runs
// as uid and gid with the supplementary groups: root has every capability,
// permitted and effective; anyone else none (what execve of an ordinary
// program gives them), with a full bounding set. WithCapabilities applies
// a spec's sets.
func NewCredentials(uid, gid uint32, groups []uint32) *Credentials {
	c := &Credentials{
		RUID: uid, EUID: uid, SUID: uid, FSUID: uid,
		RGID: gid, EGID: gid, SGID: gid, FSGID: gid,
		Groups:       sortedGroups(groups),
		BoundingCaps: AllCapabilities,
	}
	if uid == 0 {
		c.PermittedCaps, c.EffectiveCaps = AllCapabilities, AllCapabilities
	}
	return c
}

func sortedGroups(groups []uint32) []uint32 {
	g := slices.Clone(groups)
	slices.Sort(g)
	return g
}

// HasCapability reports whether capability cp (unix.CAP_*) is effective.
func (c *Credentials) HasCapability(cp int) bool { return c.EffectiveCaps.Has(cp) }

// noID is -1 as a uid_t/gid_t argument: "leave it as it is" for the
// set*id calls that take several IDs, and an invalid ID otherwise.
const noID = ^uint32(0)

// idKind selects the user or the group IDs, so that one rule serves
// setuid and setgid, setreuid and setregid, and so on.
type idKind int

const (
	userIDs idKind = iota
	groupIDs
)

// setCapability is the capability that lifts the rules for k.
func (k idKind) setCapability() int {
	if k == groupIDs {
		return unix.CAP_SETGID
	}
	return unix.CAP_SETUID
}

// idRefs points at the real, effective, saved and file-system IDs of one
// kind in a Credentials.
type idRefs struct{ r, e, s, fs *uint32 }

func (c *Credentials) ids(k idKind) idRefs {
	if k == groupIDs {
		return idRefs{&c.RGID, &c.EGID, &c.SGID, &c.FSGID}
	}
	return idRefs{&c.RUID, &c.EUID, &c.SUID, &c.FSUID}
}

// has reports whether id is the real, effective or saved ID.
func (x idRefs) has(id uint32) bool { return id == *x.r || id == *x.e || id == *x.s }

// clone returns a copy of c to change before it is published.
func (c *Credentials) clone() *Credentials {
	n := *c
	return &n
}

// setID is setuid(2) and setgid(2): with CAP_SETUID (CAP_SETGID) all four
// IDs become id; without, only the effective (and file-system) one, and
// only to the real or saved ID. Linux's __sys_setuid.
func (c *Credentials) setID(k idKind, id uint32) (*Credentials, error) {
	if id == noID {
		return nil, unix.EINVAL
	}
	n := c.clone()
	x, o := n.ids(k), c.ids(k)
	switch {
	case c.HasCapability(k.setCapability()):
		*x.r, *x.e, *x.s, *x.fs = id, id, id, id
	case id == *o.r || id == *o.s:
		*x.e, *x.fs = id, id
	default:
		return nil, unix.EPERM
	}
	return n.fixCapabilities(c, k), nil
}

// setREID is setreuid(2) and setregid(2): unprivileged, the real ID may
// become the real or effective one, the effective ID the real, effective
// or saved one. The saved ID follows the new effective one when the real
// ID is set or the effective one is set to something other than the old
// real ID; the file-system ID always follows. Linux's __sys_setreuid.
func (c *Credentials) setREID(k idKind, r, e uint32) (*Credentials, error) {
	n := c.clone()
	x, o := n.ids(k), c.ids(k)
	priv := c.HasCapability(k.setCapability())
	if r != noID {
		if !priv && r != *o.r && r != *o.e {
			return nil, unix.EPERM
		}
		*x.r = r
	}
	if e != noID {
		if !priv && !o.has(e) {
			return nil, unix.EPERM
		}
		*x.e = e
	}
	if r != noID || e != noID && e != *o.r {
		*x.s = *x.e
	}
	*x.fs = *x.e
	return n.fixCapabilities(c, k), nil
}

// setRESID is setresuid(2) and setresgid(2): unprivileged, each ID may
// become any of the current real, effective and saved ones. The
// file-system ID follows the effective one, except for a call that
// changes nothing. Linux's __sys_setresuid.
func (c *Credentials) setRESID(k idKind, r, e, s uint32) (*Credentials, error) {
	o := c.ids(k)
	if (r == noID || r == *o.r) && (e == noID || e == *o.e && e == *o.fs) && (s == noID || s == *o.s) {
		return c, nil
	}
	if !c.HasCapability(k.setCapability()) {
		for _, id := range []uint32{r, e, s} {
			if id != noID && !o.has(id) {
				return nil, unix.EPERM
			}
		}
	}
	n := c.clone()
	x := n.ids(k)
	for _, p := range []struct {
		dst *uint32
		id  uint32
	}{{x.r, r}, {x.e, e}, {x.s, s}} {
		if p.id != noID {
			*p.dst = p.id
		}
	}
	*x.fs = *x.e
	return n.fixCapabilities(c, k), nil
}

// setFSID is setfsuid(2) and setfsgid(2): the file-system ID may become
// the real, effective, saved or current file-system ID, or anything with
// CAP_SETUID (CAP_SETGID). It never fails: it returns the old ID whether
// or not it changed it. Linux's __sys_setfsuid.
func (c *Credentials) setFSID(k idKind, id uint32) (*Credentials, uint32) {
	o := c.ids(k)
	old := *o.fs
	if id == noID || id == old || !o.has(id) && !c.HasCapability(k.setCapability()) {
		return c, old
	}
	n := c.clone()
	*n.ids(k).fs = id
	if k == userIDs {
		// The file-system capabilities follow the file-system user ID.
		switch {
		case old == 0 && id != 0:
			n.EffectiveCaps &^= fsCapabilities
		case old != 0 && id == 0:
			n.EffectiveCaps |= n.PermittedCaps & fsCapabilities
		}
	}
	return n, old
}

// fixCapabilities applies capabilities(7)'s "Effect of user ID changes on
// capabilities" to n, the credentials that follow old after a change of
// its real, effective or saved IDs of kind k (Linux's
// cap_emulate_setxuid), and returns n:
//
//   - when none of the real, effective and saved user IDs is 0 any more
//     but one was, the permitted and effective sets are cleared;
//   - when the effective user ID goes from 0 to nonzero, the effective
//     set is cleared;
//   - when it goes from nonzero to 0, the permitted set becomes effective.
//
// Group ID changes leave the capabilities alone.
func (n *Credentials) fixCapabilities(old *Credentials, k idKind) *Credentials {
	if k != userIDs {
		return n
	}
	hadRoot := old.RUID == 0 || old.EUID == 0 || old.SUID == 0
	hasRoot := n.RUID == 0 || n.EUID == 0 || n.SUID == 0
	if hadRoot && !hasRoot {
		if !n.KeepCaps {
			n.PermittedCaps, n.EffectiveCaps = 0, 0
		}
		n.AmbientCaps = 0 // whatever KEEP_CAPS says
	}
	switch {
	case old.EUID == 0 && n.EUID != 0:
		n.EffectiveCaps = 0
	case old.EUID != 0 && n.EUID == 0:
		n.EffectiveCaps = n.PermittedCaps
	}
	return n
}

// MaxGroups is NGROUPS_MAX, the most supplementary groups a task has.
const MaxGroups = 65536

// setGroups is setgroups(2): it needs CAP_SETGID.
func (c *Credentials) setGroups(groups []uint32) (*Credentials, error) {
	if !c.HasCapability(unix.CAP_SETGID) {
		return nil, unix.EPERM
	}
	if len(groups) > MaxGroups {
		return nil, unix.EINVAL
	}
	n := c.clone()
	n.Groups = sortedGroups(groups)
	return n, nil
}

// forExec returns the credentials after execve of a program that is
// neither set-user-ID nor has file capabilities: the saved and
// file-system IDs become the effective ones, and the capabilities follow
// capabilities(7)'s transformation (execCaps): root gets its bounding set
// (and inheritable and ambient ones) permitted, effective only if the
// effective user ID is 0; anyone else keeps its ambient set only.
func (c *Credentials) forExec() *Credentials {
	n := c.clone()
	n.SUID, n.FSUID = n.EUID, n.EUID
	n.SGID, n.FSGID = n.EGID, n.EGID
	n.execCaps()
	return n
}

// Credentials returns the task's credentials. Safe from any goroutine; the
// result is immutable, and a check that reads several of its fields reads
// them from this one value.
//
// Linux keeps credentials per thread, and so does the Task: set*id(2)
// changes only the calling thread's, and glibc and musl make every thread
// call it in turn (nptl's SIGSETXID broadcast), so once threads exist each
// applies the change itself.
func (t *Task) Credentials() *Credentials { return t.creds.Load() }

// commitCredentials publishes n, the result of a rule applied to the
// task's credentials, unless err says the rule refused.
// Preconditions: on the task goroutine (only a task changes its own
// credentials, so the load and store of its pointer need no lock).
func (t *Task) commitCredentials(n *Credentials, err error) error {
	if err != nil {
		return err
	}
	t.creds.Store(n)
	return nil
}

// SetUID is setuid(2).
func (t *Task) SetUID(uid uint32) error {
	return t.commitCredentials(t.Credentials().setID(userIDs, uid))
}

// SetGID is setgid(2).
func (t *Task) SetGID(gid uint32) error {
	return t.commitCredentials(t.Credentials().setID(groupIDs, gid))
}

// SetREUID is setreuid(2); ^uint32(0) (-1) leaves an ID unchanged.
func (t *Task) SetREUID(r, e uint32) error {
	return t.commitCredentials(t.Credentials().setREID(userIDs, r, e))
}

// SetREGID is setregid(2).
func (t *Task) SetREGID(r, e uint32) error {
	return t.commitCredentials(t.Credentials().setREID(groupIDs, r, e))
}

// SetRESUID is setresuid(2); ^uint32(0) (-1) leaves an ID unchanged.
func (t *Task) SetRESUID(r, e, s uint32) error {
	return t.commitCredentials(t.Credentials().setRESID(userIDs, r, e, s))
}

// SetRESGID is setresgid(2).
func (t *Task) SetRESGID(r, e, s uint32) error {
	return t.commitCredentials(t.Credentials().setRESID(groupIDs, r, e, s))
}

// SetFSUID is setfsuid(2): it returns the previous file-system user ID.
func (t *Task) SetFSUID(uid uint32) uint32 {
	n, old := t.Credentials().setFSID(userIDs, uid)
	t.creds.Store(n)
	return old
}

// SetFSGID is setfsgid(2): it returns the previous file-system group ID.
func (t *Task) SetFSGID(gid uint32) uint32 {
	n, old := t.Credentials().setFSID(groupIDs, gid)
	t.creds.Store(n)
	return old
}

// SetGroups is setgroups(2).
func (t *Task) SetGroups(groups []uint32) error {
	return t.commitCredentials(t.Credentials().setGroups(groups))
}
