// Package testutil holds what Cocoon's integration tests and benchmarks
// share: finding (and if needed building) bin/runsc, compiling C test
// programs with gcc, running commands with a timeout, building OCI bundles
// from busybox-static, and scanning the host's /proc for processes a test
// started or left behind.
//
// Locking: the only shared state is the once-per-process build of runsc,
// guarded by buildOnce. Everything else is stateless and safe to call from
// parallel tests.
package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ModulePath is the Go module whose root RepoRoot looks for.
const ModulePath = "github.com/cocoon-sandbox/cocoon"

// RepoRoot returns the root of the Cocoon checkout: the nearest directory
// at or above the working directory whose go.mod declares ModulePath.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting working directory: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module "+ModulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod for " + ModulePath + " above the working directory")
		}
		dir = parent
	}
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// RunscPath returns the absolute path of the runsc binary under test: $RUNSC
// if set, else <repo>/bin/runsc, which is built (CGO_ENABLED=0 go build
// -o bin/runsc ./runsc) if it does not exist yet. The build happens at most
// once per process.
func RunscPath() (string, error) {
	buildOnce.Do(func() {
		buildPath, buildErr = findOrBuildRunsc()
	})
	return buildPath, buildErr
}

func findOrBuildRunsc() (string, error) {
	if p := os.Getenv("RUNSC"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("resolving $RUNSC: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("$RUNSC: %w", err)
		}
		return abs, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "runsc")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	cmd := exec.Command("go", "build", "-o", p, "./runsc")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building runsc: %w\n%s", err, out)
	}
	return p, nil
}

// CopyFile copies src to dst with the given mode.
func CopyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

// MinimalEnv is the environment tests give both native and sandboxed runs,
// so that their output can be compared.
func MinimalEnv() []string {
	return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
}
