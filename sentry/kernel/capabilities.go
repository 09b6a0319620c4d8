package kernel

import "golang.org/x/sys/unix"

// Capabilities as capabilities(7) has them: the permitted, effective,
// inheritable, bounding and ambient sets and SECBIT_KEEP_CAPS, with
// capset(2)'s rules, prctl's bounding and ambient operations, and the
// transformation execve applies. Files carry no capabilities in the
// sandbox (no security.capability xattrs), so an exec'd program is never
// "privileged" by its file: root gets its capabilities from the root
// rules, others only from the ambient set.

// SpecCapabilities are a process's five capability sets as an OCI spec
// lists them (process.capabilities).
type SpecCapabilities struct {
	Bounding, Effective, Inheritable, Permitted, Ambient CapabilitySet
}

// WithCapabilities returns c with the sets of s, as runc applies the
// spec before it executes the process (bounding first, then capset, then
// the ambient raises), and the ambient set kept within permitted and
// inheritable as Linux keeps it. The exec transformation (ForExec) comes
// after.
func (c *Credentials) WithCapabilities(s SpecCapabilities) *Credentials {
	n := c.clone()
	n.BoundingCaps = s.Bounding & AllCapabilities
	n.PermittedCaps = s.Permitted & AllCapabilities
	n.EffectiveCaps = s.Effective & n.PermittedCaps
	n.InheritableCaps = s.Inheritable & AllCapabilities
	n.AmbientCaps = s.Ambient & n.PermittedCaps & n.InheritableCaps
	return n
}

// ForExec is the credentials after execve (exported for the loader of a
// container's processes, which models the runtime's exec).
func (c *Credentials) ForExec() *Credentials { return c.forExec() }

// execCaps applies "Transformation of capabilities during execve()" to
// n, the credentials after an exec of an unprivileged file: with root
// (real or effective user ID 0) the file counts as having every
// capability inheritable and permitted, and effective when the effective
// user ID is 0.
//
//	P'(ambient)     = P(ambient)
//	P'(permitted)   = (P(inheritable) & F(inheritable)) | (F(permitted) & P(bounding)) | P'(ambient)
//	P'(effective)   = F(effective) ? P'(permitted) : P'(ambient)
//	P'(inheritable) = P(inheritable); P'(bounding) = P(bounding)
//
// KEEP_CAPS is cleared.
func (n *Credentials) execCaps() {
	var fInh, fPerm CapabilitySet
	fEff := false
	if n.RUID == 0 || n.EUID == 0 {
		fInh, fPerm = AllCapabilities, AllCapabilities
		fEff = n.EUID == 0
	}
	n.PermittedCaps = (n.InheritableCaps & fInh) | (fPerm & n.BoundingCaps) | n.AmbientCaps
	if fEff {
		n.EffectiveCaps = n.PermittedCaps
	} else {
		n.EffectiveCaps = n.AmbientCaps
	}
	n.KeepCaps = false
}

// capSet is capset(2) for the caller's own credentials, as Linux's
// cap_capset checks it: the new inheritable set within the old
// inheritable and permitted sets (any, with CAP_SETPCAP) and within the
// bounding set, the new permitted within the old, the new effective
// within the new permitted; EPERM otherwise. Ambient capabilities no
// longer permitted and inheritable are dropped.
func (c *Credentials) capSet(eff, perm, inh CapabilitySet) (*Credentials, error) {
	if eff&^AllCapabilities != 0 || perm&^AllCapabilities != 0 || inh&^AllCapabilities != 0 {
		return nil, unix.EINVAL
	}
	if !c.HasCapability(unix.CAP_SETPCAP) && inh&^(c.InheritableCaps|c.PermittedCaps) != 0 {
		return nil, unix.EPERM
	}
	if inh&^(c.InheritableCaps|c.BoundingCaps) != 0 || perm&^c.PermittedCaps != 0 || eff&^perm != 0 {
		return nil, unix.EPERM
	}
	n := c.clone()
	n.EffectiveCaps, n.PermittedCaps, n.InheritableCaps = eff, perm, inh
	n.AmbientCaps &= perm & inh
	return n, nil
}

// dropBounding is prctl(PR_CAPBSET_DROP): CAP_SETPCAP needed.
func (c *Credentials) dropBounding(cp int) (*Credentials, error) {
	if !validCap(cp) {
		return nil, unix.EINVAL
	}
	if !c.HasCapability(unix.CAP_SETPCAP) {
		return nil, unix.EPERM
	}
	n := c.clone()
	n.BoundingCaps &^= 1 << cp
	return n, nil
}

// Ambient operations (PR_CAP_AMBIENT's second argument).
const (
	AmbientIsSet    = 1
	AmbientRaise    = 2
	AmbientLower    = 3
	AmbientClearAll = 4
)

// ambient is prctl(PR_CAP_AMBIENT, op, cp): raising needs cp permitted
// and inheritable (EPERM). It returns the new credentials (nil if
// unchanged) and, for AmbientIsSet, the answer.
func (c *Credentials) ambient(op, cp int) (*Credentials, uintptr, error) {
	if op == AmbientClearAll {
		if cp != 0 {
			return nil, 0, unix.EINVAL
		}
		n := c.clone()
		n.AmbientCaps = 0
		return n, 0, nil
	}
	if !validCap(cp) {
		return nil, 0, unix.EINVAL
	}
	bit := CapabilitySet(1) << cp
	switch op {
	case AmbientIsSet:
		if c.AmbientCaps&bit != 0 {
			return nil, 1, nil
		}
		return nil, 0, nil
	case AmbientRaise:
		if c.PermittedCaps&bit == 0 || c.InheritableCaps&bit == 0 {
			return nil, 0, unix.EPERM
		}
		n := c.clone()
		n.AmbientCaps |= bit
		return n, 0, nil
	case AmbientLower:
		n := c.clone()
		n.AmbientCaps &^= bit
		return n, 0, nil
	}
	return nil, 0, unix.EINVAL
}

func validCap(cp int) bool { return cp >= 0 && cp <= unix.CAP_LAST_CAP }

// CapSet is capset(2) on the calling task.
func (t *Task) CapSet(eff, perm, inh CapabilitySet) error {
	return t.commitCredentials(t.Credentials().capSet(eff, perm, inh))
}

// DropBoundingCap is prctl(PR_CAPBSET_DROP).
func (t *Task) DropBoundingCap(cp int) error {
	return t.commitCredentials(t.Credentials().dropBounding(cp))
}

// AmbientCap is prctl(PR_CAP_AMBIENT, op, cp).
func (t *Task) AmbientCap(op, cp int) (uintptr, error) {
	n, r, err := t.Credentials().ambient(op, cp)
	if err != nil || n == nil {
		return r, err
	}
	return r, t.commitCredentials(n, nil)
}

// SetKeepCaps is prctl(PR_SET_KEEPCAPS): a change from root to non-root
// user IDs keeps the permitted set (not the effective or ambient ones).
func (t *Task) SetKeepCaps(keep bool) error {
	n := t.Credentials().clone()
	n.KeepCaps = keep
	return t.commitCredentials(n, nil)
}
