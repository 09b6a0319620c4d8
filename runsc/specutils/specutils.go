// Package specutils reads and validates OCI bundles and container IDs, and
// builds the in-memory spec of `runsc do`. Every error it returns is one
// line meant for the user ("config.json: process.args is empty"). It holds
// no state and needs no locking.
package specutils

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigFile is the name of the spec file inside a bundle.
const ConfigFile = "config.json"

// idRegex is runc's rule for container IDs.
var idRegex = regexp.MustCompile(`^[\w+\-.]+$`)

// ValidateID checks a container ID the way runc does: letters, digits, and
// "_", "+", "-", "." only, and not "." or "..", so that it is safe as a
// single path component under --root.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container ID must not be empty")
	}
	if id == "." || id == ".." || !idRegex.MatchString(id) {
		return fmt.Errorf("invalid container ID %q: only letters, digits, '_', '+', '-' and '.' are allowed", id)
	}
	if len(id) > 1024 {
		return fmt.Errorf("invalid container ID: longer than 1024 bytes")
	}
	return nil
}

// ReadSpec reads and validates bundleDir/config.json. bundleDir may be
// relative to the current directory.
func ReadSpec(bundleDir string) (*specs.Spec, error) {
	fi, err := os.Stat(bundleDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bundle %q does not exist", bundleDir)
		}
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("bundle %q is not a directory", bundleDir)
	}
	path := filepath.Join(bundleDir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bundle %q has no %s", bundleDir, ConfigFile)
		}
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	spec, err := ParseSpec(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// ParseSpec decodes and validates the JSON text of a spec.
func ParseSpec(data []byte) (*specs.Spec, error) {
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if err := ValidateSpec(&spec); err != nil {
		return nil, err
	}
	return &spec, nil
}

// ValidateSpec checks the parts of a spec that runsc relies on. It fills in
// the one default runc also assumes: an empty process.cwd means "/".
func ValidateSpec(spec *specs.Spec) error {
	if spec.Process == nil {
		return errors.New("process is missing")
	}
	if len(spec.Process.Args) == 0 {
		return errors.New("process.args is missing or empty")
	}
	if spec.Process.Cwd == "" {
		spec.Process.Cwd = "/"
	}
	if !filepath.IsAbs(spec.Process.Cwd) {
		return fmt.Errorf("process.cwd %q is not an absolute path", spec.Process.Cwd)
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return errors.New("root.path is missing")
	}
	for i, m := range spec.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("mounts[%d].destination %q is not an absolute path", i, m.Destination)
		}
	}
	if err := validateVersion(spec.Version); err != nil {
		return err
	}
	if err := validateProcess(spec.Process); err != nil {
		return err
	}
	if err := validateHooks(spec.Hooks); err != nil {
		return err
	}
	return validateLinux(spec.Linux)
}

// RootPath returns the absolute host path of the spec's root file system
// (root.path is relative to the bundle when not absolute) after checking
// that it is a directory.
func RootPath(bundleDir string, spec *specs.Spec) (string, error) {
	root := spec.Root.Path
	if !filepath.IsAbs(root) {
		root = filepath.Join(bundleDir, root)
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("root path: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("root path %q does not exist", root)
		}
		return "", fmt.Errorf("root path: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("root path %q is not a directory", root)
	}
	return root, nil
}
