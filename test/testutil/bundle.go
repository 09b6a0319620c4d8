package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BusyboxPath is where Debian's busybox-static installs busybox.
const BusyboxPath = "/bin/busybox"

// BundleOptions says what goes into an OCI bundle's config.json.
type BundleOptions struct {
	Args     []string
	Env      []string // nil means a PATH only
	Cwd      string   // "" means /
	Hostname string
	// Mounts are added after the default ones (proc, /dev, /tmp).
	Mounts []specs.Mount
	// Seccomp is linux.seccomp.
	Seccomp *specs.LinuxSeccomp
}

// MakeBusyboxBundle writes an OCI bundle into dir: dir/rootfs holding
// /bin/busybox with a symlink for every applet in /bin, /etc/passwd,
// /etc/group, empty /proc, /dev, /tmp, and dir/config.json from
// BundleSpec(opts).
func MakeBusyboxBundle(dir string, opts BundleOptions) error {
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "etc", "proc", "dev", "tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return fmt.Errorf("making rootfs: %w", err)
		}
	}
	if err := CopyFile(BusyboxPath, filepath.Join(rootfs, "bin", "busybox"), 0o755); err != nil {
		return err
	}
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		return fmt.Errorf("listing busybox applets: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", applet)); err != nil {
			return fmt.Errorf("linking applet %s: %w", applet, err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\ncocoon:x:1000:1000:cocoon bundle user:/tmp:/bin/sh\n",
		"etc/group":  "root:x:0:\ncocoon:x:1000:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return WriteSpec(dir, BundleSpec(opts))
}

// BundleSpec returns a minimal OCI spec: the process, root path "rootfs",
// mounts proc, tmpfs on /tmp and /dev, and new namespaces as `runc spec`
// would ask for them.
func BundleSpec(opts BundleOptions) *specs.Spec {
	env := opts.Env
	if env == nil {
		env = []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"}
	}
	cwd := opts.Cwd
	if cwd == "" {
		cwd = "/"
	}
	return &specs.Spec{
		Version:  specs.Version,
		Hostname: opts.Hostname,
		Process: &specs.Process{
			Args: opts.Args,
			Env:  env,
			Cwd:  cwd,
		},
		Root: &specs.Root{Path: "rootfs"},
		Mounts: append([]specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}},
		}, opts.Mounts...),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
				{Type: specs.NetworkNamespace},
			},
			Seccomp: opts.Seccomp,
		},
	}
}

// WriteSpec writes spec as dir/config.json.
func WriteSpec(dir string, spec *specs.Spec) error {
	b, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return fmt.Errorf("encoding spec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return fmt.Errorf("writing config.json: %w", err)
	}
	return nil
}

// ReadSpec reads dir/config.json.
func ReadSpec(dir string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decoding config.json: %w", err)
	}
	return &s, nil
}
