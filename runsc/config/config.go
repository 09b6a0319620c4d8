// Package config owns runsc's one Config: the global flags every subcommand
// shares (named as in gVisor's runsc), their defaults and their validation.
// A Config is built once in main from the command line and is read-only
// afterwards, so it needs no locking.
package config

import (
	"flag"
	"fmt"
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

	// FileAccess is --file-access: "exclusive" (the sandbox is the only
	// one changing the root file system, so the sentry caches its
	// attributes) or "shared" (it may change on the host: every stat asks
	// the gofer).
	FileAccess string
}

// RegisterFlags defines the global flags on fs and returns the Config they
// fill in when fs is parsed.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.RootDir, "root", DefaultRootDir, "root directory for storage of container state.")
	fs.BoolVar(&c.Debug, "debug", false, "enable debug logging.")
	fs.StringVar(&c.DebugLog, "debug-log", "", "additional location for logs (a file path); logs go to stderr when empty.")
	fs.IntVar(&c.DebugLogFD, "debug-log-fd", -1, "internal: inherited FD of the debug log, set by runsc for boot and gofer.")
	fs.StringVar(&c.Platform, "platform", DefaultPlatform, "specifies which platform to use: ptrace.")
	fs.StringVar(&c.Network, "network", DefaultNetwork, "specifies which network to use: none (sandbox and host are not supported yet).")
	fs.StringVar(&c.Overlay2, "overlay2", DefaultOverlay2, "overlay over the root file system: root:memory (none is not supported yet).")
	fs.StringVar(&c.FileAccess, "file-access", DefaultFileAccess, "specifies which filesystem validation to use for the root mount: exclusive (the default) or shared.")
	return c
}

// Validate checks that every flag holds a value runsc can honour. The error
// names the flag and says what is accepted.
func (c *Config) Validate() error {
	if c.RootDir == "" {
		return fmt.Errorf("--root must not be empty")
	}
	switch c.Platform {
	case "ptrace":
	case "systrap", "kvm":
		return fmt.Errorf("--platform=%s: not supported yet (only ptrace is)", c.Platform)
	default:
		return fmt.Errorf("--platform=%s: unknown platform (only ptrace is supported)", c.Platform)
	}
	switch c.Network {
	case "none":
	case "sandbox", "host":
		return fmt.Errorf("--network=%s: not supported yet (only none is)", c.Network)
	default:
		return fmt.Errorf("--network=%s: unknown network type (want none, sandbox or host)", c.Network)
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
	}
}
