package ocivalidation

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// programTimeout bounds one test program under one runtime; a program
// that runs past it is killed and what it did not print counts as not ok.
const programTimeout = 90 * time.Second

// runParallelism is how many test programs run at once.
const runParallelism = 2

// cgroupMu is held by a running program of Suite.UsesCgroups: they share
// cgroup paths, so two at once, even under different runtimes, break each
// other.
var cgroupMu sync.Mutex

// Runtime is one OCI runtime under test.
type Runtime struct {
	Name string // "runc" or "cocoon", in reports
	Path string // the binary
}

// Run is what one test program printed under one runtime.
type Run struct {
	Program    string
	Runtime    string
	Assertions []Assertion
	Stderr     string
	ExitCode   int
	TimedOut   bool
	Err        error
	Duration   time.Duration
}

// RunAll runs every program of s under every runtime, runParallelism
// programs at a time, and returns the runs by program, then runtime name.
func RunAll(s *Suite, rts []Runtime, workDir string) map[string]map[string]*Run {
	type job struct {
		prog string
		rt   Runtime
	}
	jobs := make(chan job)
	res := map[string]map[string]*Run{}
	var mu sync.Mutex // guards res
	var wg sync.WaitGroup
	for w := 0; w < runParallelism; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := runProgram(s, j.prog, j.rt, workDir)
				mu.Lock()
				if res[j.prog] == nil {
					res[j.prog] = map[string]*Run{}
				}
				res[j.prog][j.rt.Name] = r
				mu.Unlock()
			}
		}()
	}
	for _, p := range s.Programs {
		for _, rt := range rts {
			jobs <- job{p, rt}
		}
	}
	close(jobs)
	wg.Wait()
	return res
}

// runProgram runs one program under one runtime, from the suite's root,
// with RUNTIME pointing at a wrapper that gives the runtime a private
// --root, and TMPDIR (where the suite makes its bundles) private too.
// Whatever containers the program leaves are deleted afterwards.
func runProgram(s *Suite, prog string, rt Runtime, workDir string) *Run {
	r := &Run{Program: prog, Runtime: rt.Name, ExitCode: -1}
	dir, err := os.MkdirTemp(workDir, prog+"-"+rt.Name+"-")
	if err != nil {
		r.Err = err
		return r
	}
	defer func() {
		unmountUnder(dir)
		os.RemoveAll(dir)
	}()
	wrapper, err := writeWrapper(dir, rt)
	if err != nil {
		r.Err = err
		return r
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		r.Err = err
		return r
	}
	defer cleanContainers(wrapper)
	if s.UsesCgroups[prog] {
		cgroupMu.Lock()
		defer cgroupMu.Unlock()
	}

	// Its own process group, killed whole on timeout (testutil.Run).
	res := testutil.Run(testutil.Cmd{
		Args:    []string{"./" + s.ProgramPath(prog)},
		Env:     append(os.Environ(), "RUNTIME="+wrapper, "TMPDIR="+tmp),
		Dir:     s.Dir,
		Timeout: programTimeout,
	})
	r.Duration, r.TimedOut, r.ExitCode, r.Err = res.Duration, res.TimedOut, res.ExitCode, res.Err
	r.Assertions = ParseTAP(res.Stdout)
	r.Stderr = res.Stderr
	return r
}

// writeWrapper writes dir/<name>: a script that runs rt with --root
// dir/root, for RUNTIME (the suite takes a command, not arguments).
func writeWrapper(dir string, rt Runtime) (string, error) {
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, rt.Name)
	script := fmt.Sprintf("#!/bin/sh\nexec %q --root %q \"$@\"\n", rt.Path, root)
	return path, os.WriteFile(path, []byte(script), 0o755)
}

// cleanContainers force-deletes every container under the wrapper's root.
func cleanContainers(wrapper string) {
	out, err := exec.Command(wrapper, "list", "-q").Output()
	if err != nil {
		return
	}
	for _, id := range strings.Fields(string(out)) {
		exec.Command(wrapper, "delete", "--force", id).Run()
	}
}

// unmountUnder detaches every mount at or below dir, deepest first: a
// program that runs a container in the host's mount namespace
// (linux_ns_itype) leaves the container's mounts on the host.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}
