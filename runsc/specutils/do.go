package specutils

import (
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DoHostname is the hostname `runsc do` gives its sandbox. gVisor's do uses
// the host's name; Cocoon uses a fixed one so that a test can tell from
// inside whether it runs in the sandbox.
const DoHostname = "cocoon-do"

// DoOptions is what `runsc do` puts into its spec.
type DoOptions struct {
	// Args is the command and its arguments.
	Args []string
	// HostEnv is the host environment (os.Environ()).
	HostEnv []string
	// ExtraEnv are the --env K=V values; they override HostEnv.
	ExtraEnv []string
	// Cwd is the working directory; it must be absolute.
	Cwd string
}

// DoSpec builds the spec of `runsc do`: the host's "/" as the root, which
// the application may write (the sentry keeps writes in its in-memory
// overlay; the gofer serves "/" read-only all the same), the process of opts
// running as root with all capabilities inside the sandbox, and the mounts
// `runc spec` would give (proc, a /dev for the sentry's devfs, sysfs).
func DoSpec(opts DoOptions) *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "/"},
		Process: &specs.Process{
			Terminal:     false,
			User:         specs.User{UID: 0, GID: 0},
			Args:         append([]string(nil), opts.Args...),
			Env:          MergeEnv(opts.HostEnv, opts.ExtraEnv),
			Cwd:          opts.Cwd,
			Capabilities: allCapabilities(),
		},
		Hostname: DoHostname,
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
				{Type: specs.NetworkNamespace},
			},
		},
	}
}

// MergeEnv returns base with each K=V of extra replacing the entry for K,
// or appended when base has none. Order is kept: base first.
func MergeEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	index := make(map[string]int, len(out))
	for i, kv := range out {
		index[envKey(kv)] = i
	}
	for _, kv := range extra {
		k := envKey(kv)
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

// DoCwd returns the working directory for `runsc do`: flagCwd when set,
// else the current directory, else "/".
func DoCwd(flagCwd string) string {
	if flagCwd != "" {
		return flagCwd
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "/"
}

// allCapabilities gives the sandboxed root every capability, as gVisor's do
// does: they are capabilities inside the sentry, not on the host.
func allCapabilities() *specs.LinuxCapabilities {
	set := func() []string { return append([]string(nil), CapabilityNames...) }
	return &specs.LinuxCapabilities{
		Bounding:  set(),
		Effective: set(),
		Permitted: set(),
	}
}
