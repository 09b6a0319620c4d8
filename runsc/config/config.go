// Package config owns runsc's one Config: the global flags every subcommand
// shares (named as in gVisor's runsc), their defaults and their validation.
// A Config is built once in main from the command line and is read-only
// afterwards, so it needs no locking.
package config

import (
	"flag"
	"fmt"

	"github.com/cocoon-sandbox/cocoon/platform"
)

// Defaults of the global flags.
const (
	DefaultRootDir  = "/var/run/runsc"
	DefaultPlatform = "ptrace"
	DefaultNetwork  = "none"
	DefaultOverlay2 = "root:memory"
)

// DefaultFileAccess is --file-access's default, as in gVisor.
const DefaultFileAccess = "exclusive"

// Config holds runsc's global flags. Field comments give the flag name.
type Config struct {
	// RootDir is --root: the directory holding one state directory per
	// container.
	RootDir string

	// Debug is --debug: log debug messages.
	Debug bool

	// DebugLog is --debug-log: the file debug messages are appended to.
	// Empty means stderr.
	DebugLog string

	// DebugLogFD is --debug-log-fd, set by runsc for the boot and gofer
	// processes it starts: an inherited FD of the debug log, used instead
	// of opening DebugLog again (-1: none). Opening the file in the gofer's
	// mount namespace would pin a writer on the mount it makes read-only.
	DebugLogFD int

	// Platform is --platform: how application system calls are
	// intercepted. Only "ptrace" exists today.
	Platform string

	// Network is --network: "none" (no network, only loopback-free
	// isolation) is the only mode implemented today; "sandbox" and "host"
	// are recognised and refused.
	Network string

	// Overlay2 is --overlay2: the overlay put over the gofer-backed root.
	// Only "root:memory" (writes kept in sandbox memory) is implemented.
	Overlay2 string

	// Log is --log: where runsc writes its own errors and warnings for
	// the program that called it (containerd and Docker pass
	// BUNDLE/log.json and read the last error from it); empty means
	// stderr only. LogFormat is --log-format: "text" or "json".
	Log       string
	LogFormat string
	// LogLevel is --log-level (runc's): "debug" turns on debug logging
	// as --debug does; the others are accepted.
	LogLevel string

	// FileAccess is --file-access: "exclusive" (the sandbox is the only
	// one changing the root file system, so the sentry caches its
	// attributes) or "shared" (it may change on the host: every stat asks
	// the gofer).
	FileAccess string
	// HostUDS is --host-uds: which host unix sockets the sandbox may
	// reach through the gofer; only "none" is implemented.
	HostUDS string

	// SystemdCgroup (--systemd-cgroup), Rootless (--rootless) and
	// IgnoreCgroups (--ignore-cgroups) are accepted for the callers that
	// pass them; cgroups are not managed yet.
	SystemdCgroup, Rootless, IgnoreCgroups bool

	// OCISeccomp is --oci-seccomp: enforce the spec's linux.seccomp on
	// the container's processes, in the sentry. Off by default, as in
	// gVisor: the profile is then ignored.
	OCISeccomp bool
}

// RegisterFlags defines the global flags on fs and returns the Config they
// fill in when fs is parsed.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.RootDir, "root", DefaultRootDir, "root directory for storage of container state.")
	fs.BoolVar(&c.Debug, "debug", false, "enable debug logging.")
	fs.StringVar(&c.DebugLog, "debug-log", "", "additional location for logs (a file path); logs go to stderr when empty.")
	fs.IntVar(&c.DebugLogFD, "debug-log-fd", -1, "internal: inherited FD of the debug log, set by runsc for boot and gofer.")
	fs.StringVar(&c.Platform, "platform", DefaultPlatform, "specifies which platform to use (the registered ones: ptrace).")
	fs.StringVar(&c.Network, "network", DefaultNetwork, "specifies which network to use: none (sandbox and host are not supported yet).")
	fs.StringVar(&c.Overlay2, "overlay2", DefaultOverlay2, "overlay over the root file system: root:memory (none is not supported yet).")
	fs.StringVar(&c.Log, "log", "", "file path where runsc writes its own errors and warnings, for its caller.")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format of --log: text or json.")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warning or error; debug is as --debug.")
	fs.StringVar(&c.FileAccess, "file-access", DefaultFileAccess, "specifies which filesystem validation to use for the root mount: exclusive (the default) or shared.")
	fs.StringVar(&c.HostUDS, "host-uds", "none", "host unix sockets the sandbox may use: none (open, create and all are not supported yet).")
	fs.BoolVar(&c.SystemdCgroup, "systemd-cgroup", false, "use systemd for cgroups (accepted; cgroups are not managed yet).")
	fs.BoolVar(&c.Rootless, "rootless", false, "run without root (accepted; runsc needs root today).")
	fs.BoolVar(&c.IgnoreCgroups, "ignore-cgroups", false, "do not configure cgroups (they are not managed yet).")
	fs.BoolVar(&c.OCISeccomp, "oci-seccomp", false, "enables loading OCI seccomp filters inside the sandbox.")
	return c
}

// Validate checks that every flag holds a value runsc can honour. The error
// names the flag and says what is accepted.
func (c *Config) Validate() error {
	if c.RootDir == "" {
		return fmt.Errorf("--root must not be empty")
	}
	if _, err := platform.Lookup(c.Platform); err != nil {
		// The registry says which names exist (platform/platforms
		// registers them all).
		return fmt.Errorf("--platform=%s: %w", c.Platform, err)
	}
	switch c.Network {
	case "none":
	case "sandbox", "host":
		return fmt.Errorf("--network=%s: not supported yet (only none is)", c.Network)
	default:
		return fmt.Errorf("--network=%s: unknown network type (want none, sandbox or host)", c.Network)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format=%s: want text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warning", "warn", "error", "fatal", "panic":
	default:
		return fmt.Errorf("--log-level=%s: want debug, info, warning or error", c.LogLevel)
	}
	switch c.HostUDS {
	case "none":
	case "open", "create", "all":
		return fmt.Errorf("--host-uds=%s: not supported yet (only none is)", c.HostUDS)
	default:
		return fmt.Errorf("--host-uds=%s: want none, open, create or all", c.HostUDS)
	}
	switch c.Overlay2 {
	case "root:memory":
	case "none", "root:self", "all:memory", "all:self":
		return fmt.Errorf("--overlay2=%s: not supported yet (only root:memory is)", c.Overlay2)
	default:
		return fmt.Errorf("--overlay2=%s: invalid value (want root:memory or none)", c.Overlay2)
	}
	switch c.FileAccess {
	case "exclusive", "shared":
	default:
		return fmt.Errorf("--file-access=%s: invalid value (want exclusive or shared)", c.FileAccess)
	}
	return nil
}

// ToFlags returns the command-line form of c, so that a re-executed runsc
// (boot, gofer) sees the same configuration. --debug-log-fd is not included:
// the launcher sets it for the FD number it passes.
func (c *Config) ToFlags() []string {
	return []string{
		"--root=" + c.RootDir,
		fmt.Sprintf("--debug=%t", c.Debug),
		"--debug-log=" + c.DebugLog,
		"--platform=" + c.Platform,
		"--network=" + c.Network,
		"--overlay2=" + c.Overlay2,
		"--file-access=" + c.FileAccess,
		"--host-uds=" + c.HostUDS,
		fmt.Sprintf("--oci-seccomp=%t", c.OCISeccomp),
	}
}
