package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// lifecycle times the OCI verbs as a daemon calls them, create + start +
// (wait for stopped) + delete of a /bin/true container, for runsc and
// runc in the same run, and measures the memory of an idle container.
func (b *bench) lifecycle(bundle string) {
	runc, _ := exec.LookPath("runc")
	var means [2]time.Duration
	for i, rt := range []string{b.runsc, runc} {
		name := []string{"runsc", "runc"}[i]
		if rt == "" {
			fmt.Printf("  %-38s %14s\n", name+" create+start+wait+delete", "skipped")
			continue
		}
		d, err := b.timeLifecycle(rt, bundle)
		if err != nil {
			b.failed = true
			fmt.Printf("  %-38s %14s\n    error: %v\n", name+" create+start+wait+delete", "FAILED", err)
			continue
		}
		means[i] = d
		fmt.Printf("  %-38s %14s\n", name+" create+start+wait+delete", fmtDur(d))
	}
	if means[0] > 0 && means[1] > 0 {
		fmt.Printf("  %-38s %14.1fx\n", "runsc lifecycle / runc lifecycle", float64(means[0])/float64(means[1]))
	}
	sleepBundle := filepath.Join(b.dir, "sleep-bundle")
	if err := testutil.MakeBusyboxBundle(sleepBundle, testutil.BundleOptions{Args: []string{"/bin/sleep", "1000"}}); err != nil {
		fmt.Printf("  bundle: %v\n", err)
		b.failed = true
		return
	}
	for i, rt := range []string{b.runsc, runc} {
		name := []string{"runsc", "runc"}[i]
		if rt == "" {
			continue
		}
		kib, n, err := b.idlePSS(rt, sleepBundle)
		if err != nil {
			b.failed = true
			fmt.Printf("  %-38s %14s\n    error: %v\n", name+" idle sleep: PSS", "FAILED", err)
			continue
		}
		fmt.Printf("  %-38s %10.1f MiB  (%d processes)\n", name+" idle sleep: PSS", float64(kib)/1024, n)
	}
}

// verb runs one OCI verb of runtime rt. Its output (and the detached
// container's, which keeps the FDs open) goes to a file, not a pipe that
// would wait for the container.
func (b *bench) verb(rt, root string, args ...string) error {
	out, err := os.OpenFile(filepath.Join(b.dir, "verb.out"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	r := testutil.Run(testutil.Cmd{Args: append([]string{rt, "--root", root}, args...), Dir: b.dir, Output: out})
	if r.Err != nil || r.ExitCode != 0 {
		msg, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %s: exit %d, %v: %s", filepath.Base(rt), args[0], r.ExitCode, r.Err, firstLine(string(msg)))
	}
	return nil
}

// timeLifecycle returns the mean time of create, start, polling state
// until stopped, and delete, over -runs runs after one warm-up.
func (b *bench) timeLifecycle(rt, bundle string) (time.Duration, error) {
	root, err := os.MkdirTemp(b.dir, "root-")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for i := -1; i < *runs; i++ {
		id := fmt.Sprintf("life-%d-%d", os.Getpid(), i+1)
		start := time.Now()
		if err := b.verb(rt, root, "create", "--bundle", bundle, id); err != nil {
			return 0, err
		}
		if err := b.verb(rt, root, "start", id); err != nil {
			b.verb(rt, root, "delete", "--force", id)
			return 0, err
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
			out, err := exec.Command(rt, "--root", root, "state", id).Output()
			if err == nil && strings.Contains(string(out), `"stopped"`) {
				break
			}
			if time.Now().After(deadline) {
				b.verb(rt, root, "delete", "--force", id)
				return 0, fmt.Errorf("%s: container never stopped", filepath.Base(rt))
			}
		}
		if err := b.verb(rt, root, "delete", id); err != nil {
			return 0, err
		}
		if i >= 0 {
			total += time.Since(start)
		}
	}
	return total / time.Duration(*runs), nil
}

// idlePSS starts a container running sleep and sums the PSS of every host
// process of it: for runsc the sandbox with its stubs and the gofer, for
// runc the container's process.
func (b *bench) idlePSS(rt, bundle string) (kib int64, n int, err error) {
	root, err := os.MkdirTemp(b.dir, "root-")
	if err != nil {
		return 0, 0, err
	}
	id := fmt.Sprintf("idle-%d", os.Getpid())
	if err := b.verb(rt, root, "run", "--detach", "--bundle", bundle, id); err != nil {
		return 0, 0, err
	}
	defer b.verb(rt, root, "delete", "--force", id)
	time.Sleep(500 * time.Millisecond) // let it settle
	out, err := exec.Command(rt, "--root", root, "state", id).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("state: %w", err)
	}
	pid := 0
	if _, after, ok := strings.Cut(string(out), `"pid": `); ok {
		pid, _ = strconv.Atoi(strings.TrimRight(strings.Fields(after)[0], ","))
	}
	if pid <= 0 {
		return 0, 0, fmt.Errorf("no pid in state %q", out)
	}
	procs, err := testutil.Procs()
	if err != nil {
		return 0, 0, err
	}
	pids := map[int]bool{pid: true}
	for _, p := range testutil.Descendants(procs, pid) {
		pids[p.PID] = true
	}
	for _, p := range procs {
		// runsc's gofer: the other process of the container, named by
		// its --root.
		if p.HasArg("gofer") && p.HasArg("--root="+root) {
			pids[p.PID] = true
		}
	}
	for p := range pids {
		k, err := pss(p)
		if err != nil {
			return 0, 0, err
		}
		kib += k
	}
	return kib, len(pids), nil
}

// pss reads a process's proportional set size in KiB.
func pss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no Pss in /proc/%d/smaps_rollup", pid)
}
