package ocivalidation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// The suite, as CLIENTS.md pins it: the proxy refuses branch names.
const (
	toolsModule  = "github.com/opencontainers/runtime-tools"
	ToolsVersion = "v0.9.1-0.20251114084447-edf4cb3d2116"
)

// buildParallelism is how many `go build`s run at once (2 cores, shared).
const buildParallelism = 2

// builtStamp marks a finished build tree; it holds the go version.
const builtStamp = ".cocoon-built"

// cacheDir is where the built suite is kept between runs, keyed by the
// version: $XDG_CACHE_HOME, else ~/.cache, else /var/cache.
func cacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		if home, err := os.UserHomeDir(); err == nil {
			base = filepath.Join(home, ".cache")
		} else {
			base = "/var/cache"
		}
	}
	return filepath.Join(base, "cocoon-ociv", ToolsVersion)
}

// Suite is a built copy of the validation suite.
type Suite struct {
	Dir      string   // the module root: runtimetest, rootfs-amd64.tar.gz
	Programs []string // test program names: validation/<name>/<name>.t
	// UsesCgroups names the programs that set linux.cgroupsPath or make
	// cgroups themselves: they share paths (cgrouptest), so no two of
	// them may run at once.
	UsesCgroups map[string]bool
}

// ProgramPath is the path of program's binary, relative to s.Dir.
func (s *Suite) ProgramPath(name string) string {
	return filepath.Join("validation", name, name+".t")
}

// PrepareSuite returns the built suite, building it first unless the
// cache holds a build by the same go version. logf reports progress.
func PrepareSuite(logf func(string, ...any)) (*Suite, error) {
	goVersion, err := output(exec.Command("go", "env", "GOVERSION"))
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cacheDir(), "tree")
	if b, err := os.ReadFile(filepath.Join(dir, builtStamp)); err == nil && string(b) == goVersion {
		logf("using the suite built in %s", dir)
		return loadSuite(dir)
	}
	modDir, err := downloadModule()
	if err != nil {
		return nil, err
	}
	// Build in a fresh directory, then move it into place: a build that
	// was interrupted is never taken for a finished one.
	if err := os.MkdirAll(cacheDir(), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cacheDir(), "build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "tree")
	// The module cache is read-only; the copy must not be.
	if _, err := output(exec.Command("cp", "-r", modDir, work)); err != nil {
		return nil, err
	}
	if _, err := output(exec.Command("chmod", "-R", "u+w", work)); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(filepath.Join(work, "vendor")); err != nil {
		return nil, err
	}
	s, err := loadSources(work)
	if err != nil {
		return nil, err
	}
	logf("building runtimetest and %d test programs in %s", len(s.Programs), work)
	targets := map[string]string{"runtimetest": "./cmd/runtimetest"}
	for _, p := range s.Programs {
		targets[s.ProgramPath(p)] = "./" + filepath.Join("validation", p, p+".go")
	}
	if err := buildAll(work, targets); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(work, builtStamp), []byte(goVersion), 0o644); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(work, dir); err != nil {
		return nil, err
	}
	return loadSuite(dir)
}

// downloadModule fetches the suite through the Go module proxy and
// returns its directory in the module cache.
func downloadModule() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", toolsModule+"@"+ToolsVersion)
	// Outside any module, so that our go.mod is left alone.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	out, err := output(cmd)
	if err != nil {
		return "", err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return "", fmt.Errorf("go mod download: %w: %s", err, out)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", toolsModule, ToolsVersion, m.Error)
	}
	return m.Dir, nil
}

// buildAll builds each package of targets (output path -> package) in
// dir, buildParallelism at a time.
func buildAll(dir string, targets map[string]string) error {
	outs := make([]string, 0, len(targets))
	for o := range targets {
		outs = append(outs, o)
	}
	sort.Strings(outs)
	errs := make([]error, len(outs))
	sem := make(chan struct{}, buildParallelism)
	var wg sync.WaitGroup
	for i, o := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command("go", "build", "-mod=mod", "-o", o, targets[o])
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			_, errs[i] = output(cmd)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// loadSources lists the test programs of the tree at dir: every
// validation/<name>/<name>.go but the util library.
func loadSources(dir string) (*Suite, error) {
	srcs, err := filepath.Glob(filepath.Join(dir, "validation", "*", "*.go"))
	if err != nil {
		return nil, err
	}
	s := &Suite{Dir: dir, UsesCgroups: map[string]bool{}}
	for _, src := range srcs {
		name := filepath.Base(filepath.Dir(src))
		if name == "util" {
			continue
		}
		if filepath.Base(src) != name+".go" {
			return nil, fmt.Errorf("unexpected test program source %s", src)
		}
		s.Programs = append(s.Programs, name)
		text, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		s.UsesCgroups[name] = bytes.Contains(text, []byte("CgroupsPath")) || bytes.Contains(text, []byte("/sys/fs/cgroup"))
	}
	if len(s.Programs) == 0 {
		return nil, fmt.Errorf("no validation programs under %s", dir)
	}
	sort.Strings(s.Programs)
	return s, nil
}

// loadSuite lists a built tree's programs and checks that each is there.
func loadSuite(dir string) (*Suite, error) {
	s, err := loadSources(dir)
	if err != nil {
		return nil, err
	}
	for _, p := range append([]string{"runtimetest"}, s.Programs...) {
		path := p
		if p != "runtimetest" {
			path = s.ProgramPath(p)
		}
		if _, err := os.Stat(filepath.Join(dir, path)); err != nil {
			return nil, fmt.Errorf("built suite incomplete: %w", err)
		}
	}
	return s, nil
}

// output runs cmd and returns its trimmed stdout; a failure carries
// stderr.
func output(cmd *exec.Cmd) (string, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}
