package specutils

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// validateVersion checks ociVersion: a semantic version of the 1.x spec
// ("1.0.2-dev", "1.2.0"). A missing one is taken as current, as runc
// takes it.
func validateVersion(v string) error {
	if v == "" {
		return nil
	}
	core, _, _ := strings.Cut(v, "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return fmt.Errorf("ociVersion %q is not a semantic version (MAJOR.MINOR.PATCH)", v)
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return fmt.Errorf("ociVersion %q is not a semantic version (MAJOR.MINOR.PATCH)", v)
		}
	}
	if parts[0] != "1" {
		return fmt.Errorf("ociVersion %q: only version 1 of the runtime spec is supported", v)
	}
	return nil
}

// CapabilityNames are the Linux capabilities up to CAP_CHECKPOINT_RESTORE,
// in number order.
var CapabilityNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// RlimitNames are the rlimit types process.rlimits may set.
var RlimitNames = []string{
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
	"RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
	"RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
	"RLIMIT_RTPRIO", "RLIMIT_RTTIME",
}

// NamespaceTypes are the namespace types linux.namespaces may name.
var NamespaceTypes = []string{"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validateProcess checks the process's capabilities and rlimits by name.
func validateProcess(p *specs.Process) error {
	if c := p.Capabilities; c != nil {
		for _, set := range []struct {
			name string
			caps []string
		}{
			{"bounding", c.Bounding}, {"effective", c.Effective}, {"inheritable", c.Inheritable},
			{"permitted", c.Permitted}, {"ambient", c.Ambient},
		} {
			for _, name := range set.caps {
				if !contains(CapabilityNames, name) {
					return fmt.Errorf("process.capabilities.%s: unknown capability %q", set.name, name)
				}
			}
		}
	}
	seen := map[string]bool{}
	for i, r := range p.Rlimits {
		if !contains(RlimitNames, r.Type) {
			return fmt.Errorf("process.rlimits[%d].type: unknown rlimit %q", i, r.Type)
		}
		if seen[r.Type] {
			return fmt.Errorf("process.rlimits[%d].type: %s given twice", i, r.Type)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d]: soft limit %d above hard limit %d", i, r.Soft, r.Hard)
		}
	}
	return nil
}

// validateLinux checks linux.namespaces: known types, each once.
func validateLinux(l *specs.Linux) error {
	if l == nil {
		return nil
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range l.Namespaces {
		if !contains(NamespaceTypes, string(ns.Type)) {
			return fmt.Errorf("linux.namespaces[%d].type: unknown namespace type %q", i, ns.Type)
		}
		if seen[ns.Type] {
			return fmt.Errorf("linux.namespaces[%d].type: %s given twice", i, ns.Type)
		}
		seen[ns.Type] = true
	}
	return nil
}

// validateHooks checks each hook: an absolute path and a positive timeout.
func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for _, list := range []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, //nolint:staticcheck // deprecated, still run
		{"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop},
	} {
		for i, hook := range list.hooks {
			if !strings.HasPrefix(hook.Path, "/") {
				return fmt.Errorf("hooks.%s[%d].path %q is not an absolute path", list.name, i, hook.Path)
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout %d must be positive", list.name, i, *hook.Timeout)
			}
		}
	}
	return nil
}

// IsBind says whether a spec mount is a bind mount ("bind" type, or the
// bind/rbind option with any type, as runc reads it).
func IsBind(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// CheckBindSources checks that the source of every bind mount exists on
// the host (relative sources are relative to the bundle), as runc fails a
// create whose bind source is missing.
func CheckBindSources(bundleDir string, spec *specs.Spec) error {
	for i, m := range spec.Mounts {
		if !IsBind(m) {
			continue
		}
		src := m.Source
		if src == "" {
			return fmt.Errorf("mounts[%d].source: a bind mount needs a source", i)
		}
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundleDir, src)
		}
		if _, err := os.Stat(src); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("mounts[%d].source %q does not exist", i, m.Source)
			}
			return fmt.Errorf("mounts[%d].source %q: %w", i, m.Source, err)
		}
	}
	return nil
}

// Bind is one bind mount of a spec as the gofer serves it: the host path
// (absolute), where it appears in the container, and whether writes are
// refused ("ro").
type Bind struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"readOnly,omitempty"`
}

// BindMounts returns the spec's bind mounts in spec order (the order in
// which runsc hands the gofer connections to the sandbox), with relative
// sources taken from bundleDir. "ro" and "rw" options: the last one wins.
func BindMounts(bundleDir string, spec *specs.Spec) []Bind {
	var binds []Bind
	for _, m := range spec.Mounts {
		if !IsBind(m) {
			continue
		}
		b := Bind{Source: m.Source, Destination: path.Clean(m.Destination)}
		if !filepath.IsAbs(b.Source) {
			b.Source = filepath.Join(bundleDir, b.Source)
		}
		for _, o := range m.Options {
			switch o {
			case "ro":
				b.ReadOnly = true
			case "rw":
				b.ReadOnly = false
			}
		}
		binds = append(binds, b)
	}
	return binds
}
