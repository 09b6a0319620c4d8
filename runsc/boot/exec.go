package boot

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// rlimitsOf maps process.rlimits to the kernel's limits by resource
// number (the spec was validated: every type is known).
func rlimitsOf(list []specs.POSIXRlimit) map[int]kernel.RLimit {
	m := make(map[int]kernel.RLimit, len(list))
	for _, r := range list {
		if res := slices.Index(specutils.RlimitNames, r.Type); res >= 0 {
			m[res] = kernel.RLimit{Cur: r.Soft, Max: r.Hard}
		}
	}
	return m
}

// capabilitiesOf maps process.capabilities to the kernel's sets (the spec
// was validated: every name is known).
func capabilitiesOf(c *specs.LinuxCapabilities) kernel.SpecCapabilities {
	set := func(names []string) kernel.CapabilitySet {
		var s kernel.CapabilitySet
		for _, n := range names {
			if i := slices.Index(specutils.CapabilityNames, n); i >= 0 {
				s |= 1 << i
			}
		}
		return s
	}
	return kernel.SpecCapabilities{
		Bounding: set(c.Bounding), Effective: set(c.Effective), Inheritable: set(c.Inheritable),
		Permitted: set(c.Permitted), Ambient: set(c.Ambient),
	}
}

// userError is a failure the user caused (a missing binary): reported
// without the internal context.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

// resolveExecutable finds argv[0] the way runc does: a name without a slash
// is looked up in the process's PATH inside the container.
func resolveExecutable(ctx vfs.Context, v *vfs.VFS, fsctx *vfs.FSContext, name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathVar := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			pathVar = e[len("PATH="):]
		}
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		a, err := v.StatAt(ctx, fsctx, fsctx.Cwd(), p, true)
		if err == nil && a.Mode&unix.S_IFMT == unix.S_IFREG && a.Mode&0o111 != 0 {
			return p, nil
		}
	}
	return "", &userError{statusNotFound, fmt.Sprintf("executable %q not found in $PATH", name)}
}

// userStatus is the exit status for a failure to start the init.
func userStatus(err error) int {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.status
	}
	switch err {
	case unix.ENOENT, unix.ENOTDIR:
		return statusNotFound
	case unix.EACCES, unix.ENOEXEC, unix.ELIBBAD, unix.EISDIR:
		return statusNotExecutable
	}
	return statusBootFailed
}

// execError describes a failure to load the init's executable.
func execError(name string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		switch errno {
		case unix.ENOENT:
			return &userError{statusNotFound, fmt.Sprintf("executable %q not found", name)}
		case unix.ENOEXEC:
			return &userError{statusNotExecutable, fmt.Sprintf("cannot execute %q: exec format error", name)}
		}
		return &userError{userStatus(err), fmt.Sprintf("cannot execute %q: %v", name, errno)}
	}
	return fmt.Errorf("loading %q: %w", name, err)
}
