// Command benchmarks measures Cocoon against native execution and against
// the floors of system-call interception on the machine it runs on, all in
// one run, and prints a table (`make bench`, or `go run ./test/benchmarks`
// from the repository root).
//
// Every number comes from a small program that prints the median
// nanoseconds per operation of several rounds (C in c/, Go in goping/).
// Natively and under `runsc do`: getppid, fork+exec+wait, clock_gettime,
// thread create+join, a futex, an eventfd and an epoll round trip between
// two threads, and a goroutine ping-pong. Natively only, the floors of
// interception: a raw PTRACE_SYSEMU round trip, a seccomp
// SECCOMP_RET_TRAP + SIGSYS round trip, a spinning ping-pong between two
// threads. It also times `runsc run`
// of /bin/true in a busybox bundle against Debian's `runc run` of the same
// bundle. A measurement that fails is reported in its row and makes the
// command exit 1 at the end; the others still run.
//
// Locking: none; everything runs sequentially on one goroutine.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

var (
	runs   = flag.Int("runs", 5, "container starts to average for `run` timings")
	scaleF = flag.Float64("scale", 1, "multiply every iteration count by this")
	reps   = flag.Int("reps", 3, "runs of each measurement; the best is reported")
)

var errNoRunsc = errors.New("no runsc")

// targetRatio is the goal for getppid in the sandbox over a raw
// PTRACE_SYSEMU round trip.
const targetRatio = 1.5

type bench struct {
	dir    string // compiled programs
	runsc  string // "" if unavailable
	failed bool
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := testutil.RepoRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cocoon-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{dir: dir}

	srcs, err := filepath.Glob(filepath.Join(root, "test", "benchmarks", "c", "*.c"))
	if err != nil || len(srcs) == 0 {
		return fmt.Errorf("no benchmark programs in test/benchmarks/c (%v)", err)
	}
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		if err := testutil.CompileC(src, filepath.Join(dir, name), true /* static */, "-pthread"); err != nil {
			return err
		}
	}
	// The Go program: a static binary, as the C ones.
	gobuild := exec.Command("go", "build", "-o", filepath.Join(dir, "goping"), "./test/benchmarks/goping")
	gobuild.Dir = root
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		return fmt.Errorf("building goping: %v\n%s", err, out)
	}
	runscErr := error(nil)
	if b.runsc, runscErr = testutil.RunscPath(); runscErr != nil {
		b.runsc = ""
	}

	printHeader(b.runsc, runscErr)

	// Machines here are noisy and other work shares them: run every
	// measurement -reps times, interleaved, so that the sandbox and the
	// floors see the same conditions, and keep the best of each.
	pair := func(label, prog string, n, nSandbox int, unit string) [2]*measurement {
		return [2]*measurement{
			{label: label, prog: prog, n: n, unit: unit},
			{label: label, prog: prog, n: nSandbox, sandbox: true, unit: unit},
		}
	}
	getppid := pair("getppid()", "getppid", 1000000, 20000, "ns")
	forkexec := pair("fork + exec /bin/true + wait", "forkexec", 200, 20, "us")
	// Through the vDSO: no round trip at all in the sandbox.
	clock := pair("clock_gettime(CLOCK_MONOTONIC)", "clock_gettime", 10000000, 10000000, "ns")
	pairs := [][2]*measurement{
		getppid, forkexec, clock,
		pair("thread create + join", "thread_create", 2000, 500, "us"),
		pair("futex ping-pong, two threads", "futex", 20000, 2000, "us"),
		pair("eventfd round trip, two threads", "eventfd", 20000, 2000, "us"),
		pair("epoll round trip, two threads", "epoll", 20000, 2000, "us"),
		pair("Go goroutine ping-pong, GOMAXPROCS=2", "goping", 200000, 200000, "ns"),
	}
	floors := []*measurement{
		{label: "raw PTRACE_SYSEMU round trip", prog: "sysemu", n: 20000},
		// Cocoon keeps each stub on its tracer's CPU; this is the floor
		// for that (tracer and tracee pinned to one CPU with taskset).
		{label: "raw PTRACE_SYSEMU, both on one CPU", prog: "sysemu", n: 20000, oneCPU: true},
		{label: "seccomp RET_TRAP + SIGSYS, one thread", prog: "seccomp_trap", n: 200000},
		{label: "spinning ping-pong, one cache line", prog: "spin", n: 1000000},
	}
	var ms []*measurement
	for _, p := range pairs {
		ms = append(ms, p[0], p[1])
	}
	ms = append(ms, floors...)
	sysemu, sysemuOneCPU := floors[0], floors[1]
	for rep := 0; rep < *reps; rep++ {
		for _, m := range ms {
			if m.err != nil {
				continue
			}
			v, err := b.measure(m.prog, m.n, m.sandbox, m.oneCPU)
			if err != nil {
				m.err = err
				continue
			}
			if m.best == 0 || v < m.best {
				m.best = v
			}
		}
	}
	for _, m := range ms {
		if m.err != nil {
			b.failed = true
		}
	}

	fmt.Printf("\nSystem calls, threads and processes (per op; median of 5 rounds, best of %d runs)\n", *reps)
	fmt.Printf("  %-38s %14s %14s %10s\n", "", "native", "runsc do", "ratio")
	for _, p := range pairs {
		printPair(p[0], p[1])
	}

	fmt.Printf("\nFloors of interception on this machine (per round trip; median of 5 rounds, best of %d runs)\n", *reps)
	for _, m := range floors {
		printFloor(m)
	}

	fmt.Printf("\nContainer start and exit of /bin/true (mean of %d, after one warm-up)\n", *runs)
	b.containers()

	fmt.Println("\nTarget: getppid in the sandbox within 1.5x of a raw PTRACE_SYSEMU round trip")
	getppidNative, getppidSandbox := getppid[0].best, getppid[1].best
	if getppid[0].err == nil && getppid[1].err == nil && sysemu.err == nil {
		r := getppidSandbox / sysemu.best
		verdict := "MET"
		if r > targetRatio {
			verdict = "NOT MET"
		}
		fmt.Printf("  sandbox getppid / raw sysemu = %.0f ns / %.0f ns = %.2fx (target <= %.1fx): %s\n",
			getppidSandbox, sysemu.best, r, targetRatio, verdict)
		if sysemuOneCPU.err == nil {
			fmt.Printf("  sandbox getppid / raw sysemu on one CPU = %.0f ns / %.0f ns = %.2fx\n",
				getppidSandbox, sysemuOneCPU.best, getppidSandbox/sysemuOneCPU.best)
		}
		fmt.Printf("  sandbox getppid / native getppid = %.0fx\n", getppidSandbox/getppidNative)
	} else {
		fmt.Println("  not computed: a measurement above failed")
	}
	fmt.Println("\nTarget: clock_gettime in the sandbox (the vDSO) within 1.5x of native")
	clockNative, clockSandbox := clock[0], clock[1]
	if clockNative.err == nil && clockSandbox.err == nil {
		r := clockSandbox.best / clockNative.best
		verdict := "MET"
		if r > targetRatio {
			verdict = "NOT MET"
		}
		fmt.Printf("  sandbox / native = %.1f ns / %.1f ns = %.2fx (target <= %.1fx): %s\n",
			clockSandbox.best, clockNative.best, r, targetRatio, verdict)
	} else {
		fmt.Println("  not computed: a measurement above failed")
	}
	if b.failed {
		return fmt.Errorf("some measurements failed (see the table)")
	}
	return nil
}

func printHeader(runsc string, runscErr error) {
	fmt.Println("Cocoon benchmarks,", time.Now().Format("2006-01-02 15:04"))
	fmt.Printf("  machine: %s, %d CPUs, kernel %s\n", cpuModel(), runtime.NumCPU(), kernelRelease())
	if runscErr != nil {
		fmt.Printf("  runsc: unavailable (%v); sandbox columns are skipped\n", runscErr)
	} else {
		fmt.Printf("  runsc: %s\n", runsc)
	}
}

// scaled returns n times -scale, at least 5 (one per round).
func scaled(n int) int {
	s := int(float64(n) * *scaleF)
	if s < 5 {
		s = 5
	}
	return s
}

// measure runs one benchmark program, under runsc do if sandbox is set,
// and returns its ns/op.
func (b *bench) measure(prog string, n int, sandbox, oneCPU bool) (float64, error) {
	args := []string{filepath.Join(b.dir, prog), strconv.Itoa(scaled(n))}
	if sandbox {
		if b.runsc == "" {
			return 0, errNoRunsc
		}
		args = append([]string{b.runsc, "do"}, args...)
	}
	if oneCPU {
		args = append([]string{"taskset", "-c", "0"}, args...)
	}
	r := testutil.Run(testutil.Cmd{Args: args, Dir: b.dir, Timeout: 10 * time.Minute})
	if r.Err != nil || r.ExitCode != 0 {
		return 0, fmt.Errorf("%s: exit %d: %s", prog, r.ExitCode, firstLine(r.Stderr))
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(r.Stdout), 64)
	if err != nil {
		return 0, fmt.Errorf("%s printed %q", prog, r.Stdout)
	}
	return v, nil
}

// measurement is one benchmark program run natively or in the sandbox.
type measurement struct {
	label, prog string
	n           int
	sandbox     bool
	unit        string // "ns" or "us", how its cell prints
	// oneCPU runs the program pinned to CPU 0 (taskset).
	oneCPU bool
	best   float64 // ns/op, the best run
	err    error   // the first failure
}

func (m *measurement) cell(unit string) string {
	switch {
	case m.err == errNoRunsc:
		return "skipped"
	case m.err != nil:
		return "FAILED"
	}
	return format(m.best, unit)
}

func printErr(m *measurement) {
	if m.err != nil && m.err != errNoRunsc {
		where := "natively"
		if m.sandbox {
			where = "under runsc do"
		}
		fmt.Printf("    error %s: %v\n", where, m.err)
	}
}

// printPair prints one row: native, sandbox and their ratio.
func printPair(native, sandbox *measurement) {
	unit := native.unit
	ratio := "-"
	if native.err == nil && sandbox.err == nil && native.best > 0 {
		ratio = fmt.Sprintf("%.1fx", sandbox.best/native.best)
	}
	fmt.Printf("  %-38s %14s %14s %10s\n", native.label, native.cell(unit), sandbox.cell(unit), ratio)
	printErr(native)
	printErr(sandbox)
}

// printFloor prints one native-only row.
func printFloor(m *measurement) {
	fmt.Printf("  %-38s %14s\n", m.label, m.cell("ns"))
	printErr(m)
}

// containers times `runsc run` and `runc run` of /bin/true in the same
// busybox bundle.
func (b *bench) containers() {
	bundle := filepath.Join(b.dir, "bundle")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		fmt.Printf("  bundle: %v\n", err)
		b.failed = true
		return
	}
	if err := testutil.MakeBusyboxBundle(bundle, testutil.BundleOptions{Args: []string{"/bin/true"}}); err != nil {
		fmt.Printf("  bundle: %v\n", err)
		b.failed = true
		return
	}
	var runscMean, runcMean time.Duration
	if b.runsc == "" {
		b.failed = true
		fmt.Printf("  %-38s %14s\n", "runsc run", "skipped: no runsc")
	} else if d, err := b.timeRun(b.runsc, bundle); err != nil {
		b.failed = true
		fmt.Printf("  %-38s %14s\n    error: %v\n", "runsc run", "FAILED", err)
	} else {
		runscMean = d
		fmt.Printf("  %-38s %14s\n", "runsc run", fmtDur(d))
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		fmt.Printf("  %-38s %14s\n", "runc run", "skipped: runc is not installed (make deps)")
	} else if d, err := b.timeRun(runc, bundle); err != nil {
		b.failed = true
		fmt.Printf("  %-38s %14s\n    error: %v\n", "runc run", "FAILED", err)
	} else {
		runcMean = d
		fmt.Printf("  %-38s %14s\n", "runc run", fmtDur(d))
	}
	if runscMean > 0 && runcMean > 0 {
		fmt.Printf("  %-38s %14.1fx\n", "runsc run / runc run", float64(runscMean)/float64(runcMean))
	}
	b.lifecycle(bundle)
	if b.runsc != "" {
		start := time.Now()
		r := testutil.Run(testutil.Cmd{Args: []string{b.runsc, "do", "/bin/true"}, Dir: b.dir})
		if r.Err != nil || r.ExitCode != 0 {
			b.failed = true
			fmt.Printf("  %-38s %14s\n    error: exit %d: %s\n", "runsc do /bin/true (once)", "FAILED", r.ExitCode, firstLine(r.Stderr))
		} else {
			fmt.Printf("  %-38s %14s\n", "runsc do /bin/true (once)", fmtDur(time.Since(start)))
		}
	}
}

// timeRun returns the mean wall time of `runtime --root R run --bundle B
// ID` over -runs runs after one warm-up.
func (b *bench) timeRun(runtimeBin, bundle string) (time.Duration, error) {
	root, err := os.MkdirTemp(b.dir, "root-")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for i := -1; i < *runs; i++ {
		id := fmt.Sprintf("bench-%d-%d", os.Getpid(), i+1)
		start := time.Now()
		r := testutil.Run(testutil.Cmd{
			Args: []string{runtimeBin, "--root", root, "run", "--bundle", bundle, id},
			Dir:  b.dir,
		})
		d := time.Since(start)
		if r.Err != nil || r.ExitCode != 0 {
			return 0, fmt.Errorf("exit %d: %s", r.ExitCode, firstLine(r.Stderr))
		}
		if i >= 0 {
			total += d
		}
	}
	return total / time.Duration(*runs), nil
}

func format(ns float64, unit string) string {
	if unit == "us" {
		return fmt.Sprintf("%.1f us", ns/1000)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if s == "" {
		return "(no stderr)"
	}
	return s
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
