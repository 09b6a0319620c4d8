package runtimes

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// Installed programs the cases run (Debian's, by absolute path: PATH may
// hold shims, e.g. pyenv's python3).
const (
	python    = "/usr/bin/python3"
	node      = "/usr/bin/node"
	java      = "/usr/bin/java"
	javac     = "/usr/bin/javac"
	gcc       = "/usr/bin/gcc"
	gitBin    = "/usr/bin/git"
	straceBin = "/usr/bin/strace"
	gdbBin    = "/usr/bin/gdb"
	xzBin     = "/usr/bin/xz"
	sortBin   = "/usr/bin/sort"
	goBin     = "go" // the toolchain on PATH (the Makefile puts /usr/local/go/bin first)
)

// cases pass under runsc today; each must keep passing.
var cases = []runtimeCase{
	{
		name:  "c-pthreads",
		needs: []string{gcc},
		args:  func(t *testing.T) []string { return []string{pthreadsProg(t)} },
	},
	{
		name:  "go",
		needs: []string{goBin},
		args:  func(t *testing.T) []string { return []string{goProg(t)} },
		env:   []string{"GOMAXPROCS=2"},
	},
	{
		name:  "python-threads",
		needs: []string{python},
		args:  pythonPart("threads"),
		env:   pythonEnv,
	},
	{
		name:  "sort-parallel",
		needs: []string{sortBin},
		args: func(t *testing.T) []string {
			in := sortInput(t)
			return []string{"/bin/sh", "-c", "sort --parallel=2 -S 100M -o sorted " + in + " && md5sum < sorted && wc -l < sorted"}
		},
		env: []string{"LC_ALL=C"},
	},
	{
		name:  "xz-threads",
		needs: []string{xzBin},
		args: func(t *testing.T) []string {
			// -T2 splits the input into 1 MiB blocks compressed in
			// parallel (the default block of -3 would be one block).
			in := xzInput(t)
			return []string{"/bin/sh", "-c", "xz -T2 -3 --block-size=1MiB -c " + in + " > c.xz && md5sum < c.xz && xz -d -T2 -c c.xz | md5sum && md5sum < " + in}
		},
	},
	{
		name:  "node-workers",
		needs: []string{node},
		args: func(t *testing.T) []string {
			return []string{node, filepath.Join(testdata, "workers.js")}
		},
	},
	{
		name:  "java",
		needs: []string{java, javac},
		args: func(t *testing.T) []string {
			return []string{java, "-cp", javaClasses(t), "Threads"}
		},
	},
	{
		name:  "gcc-in-sandbox",
		needs: []string{gcc},
		args: func(t *testing.T) []string {
			src := filepath.Join(testdata, "pthreads.c")
			return []string{"/bin/sh", "-c", "gcc -O2 -Wall -pthread -o prog " + src + " && ./prog"}
		},
	},
	{
		name:  "git",
		needs: []string{gitBin},
		args: func(t *testing.T) []string {
			return []string{"/bin/sh", filepath.Join(testdata, "git.sh")}
		},
		env: []string{
			"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com",
			"GIT_COMMITTER_NAME=Cy Committer", "GIT_COMMITTER_EMAIL=cy@example.com",
			"GIT_AUTHOR_DATE=2020-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2020-01-02T03:04:05Z",
			"GIT_CONFIG_NOSYSTEM=1",
		},
	},
	{
		name:  "strace-pipeline",
		needs: []string{straceBin},
		args: func(t *testing.T) []string {
			return []string{"/bin/sh", "-c", "strace -f -qq -e trace=execve,exit_group -e signal=none -o trace " +
				"/bin/sh -c 'echo a b c | tr a-z A-Z | wc -c; /bin/true; exit 3'; echo strace exit $?; cat trace"}
		},
		normalize: normalizeStrace,
	},
	{
		name:  "python-asyncio",
		needs: []string{python},
		args:  pythonPart("asyncio"),
		env:   pythonEnv,
	},
	{
		name:         "python-procpool",
		needs:        []string{python},
		args:         pythonPart("procpool"),
		env:          pythonEnv,
		runscTimeout: time.Minute,
	},
	{
		name:         "python-mp-fork",
		needs:        []string{python},
		args:         pythonPart("mp-fork"),
		env:          pythonEnv,
		runscTimeout: time.Minute,
	},
	{
		name:         "python-mp-spawn",
		needs:        []string{python},
		args:         pythonPart("mp-spawn"),
		env:          pythonEnv,
		runscTimeout: time.Minute,
	},
	{
		name:  "gdb-backtrace",
		needs: []string{gdbBin, gcc},
		args: func(t *testing.T) []string {
			return []string{gdbBin, "-q", "-nx", "-batch", "-ex", "run", "-ex", "bt", crashProg(t)}
		},
		normalize: normalizeGDB,
	},
}

// pending fail under runsc today; each moves to cases when its feature
// lands. None today: AF_UNIX sockets (asyncio), shared /dev/shm mappings
// and their futexes (multiprocessing) and /proc/PID/mem (gdb) landed.
var pending = []pendingCase{}

// pythonEnv keeps CPython from writing bytecode next to testdata.
var pythonEnv = []string{"PYTHONDONTWRITEBYTECODE=1"}

// pythonPart runs one part of testdata/runtime.py.
func pythonPart(part string) func(*testing.T) []string {
	return func(*testing.T) []string {
		return []string{python, filepath.Join(testdata, "runtime.py"), part}
	}
}

func pthreadsProg(t *testing.T) string {
	return build(t, "pthreads", func(out string) error {
		return testutil.CompileC(filepath.Join(testdata, "pthreads.c"), out, false /* static */, "-pthread")
	})
}

// crashProg is testdata/crash.c built for gdb: -g -O0, so that every
// frame has its function.
func crashProg(t *testing.T) string {
	return build(t, "crash", func(out string) error {
		cmd := exec.Command(gcc, "-g", "-O0", "-o", out, filepath.Join(testdata, "crash.c"))
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %w\n%s", cmd.Args, err, b)
		}
		return nil
	})
}

// goProg builds testdata/goprog (its own module) statically.
func goProg(t *testing.T) string {
	return build(t, "goprog", func(out string) error {
		cmd := exec.Command(goBin, "build", "-o", out, ".")
		cmd.Dir = filepath.Join(testdata, "goprog")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w\n%s", err, b)
		}
		return nil
	})
}

// javaClasses compiles testdata/Threads.java into a class directory.
func javaClasses(t *testing.T) string {
	return build(t, "java-classes", func(out string) error {
		cmd := exec.Command(javac, "-d", out, filepath.Join(testdata, "Threads.java"))
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("javac: %w\n%s", err, b)
		}
		return nil
	})
}

// sortInput writes 2,000,000 lines of pseudo-random hex keys (a fixed
// LCG, so the same every time) with their line numbers.
func sortInput(t *testing.T) string {
	return build(t, "sort-input", func(out string) error {
		return writeLines(out, func(w *bufio.Writer) {
			x := uint64(12345)
			for i := 0; i < 2000000; i++ {
				x = x*6364136223846793005 + 1442695040888963407
				fmt.Fprintf(w, "%016x %d\n", x, i)
			}
		})
	})
}

// xzInput writes 8 MiB of text from a fixed-seed word list:
// compressible, but not trivially.
func xzInput(t *testing.T) string {
	return build(t, "xz-input", func(out string) error {
		r := rand.New(rand.NewSource(1))
		words := make([]string, 500)
		for i := range words {
			b := make([]byte, 2+r.Intn(8))
			for j := range b {
				b[j] = byte('a' + r.Intn(10))
			}
			words[i] = string(b)
		}
		return writeLines(out, func(w *bufio.Writer) {
			for n := 0; n < 8<<20; {
				sep := " "
				if r.Intn(10) == 0 {
					sep = "\n"
				}
				k, _ := w.WriteString(words[r.Intn(len(words))] + sep)
				n += k
			}
		})
	})
}

func writeLines(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	straceLine = regexp.MustCompile(`^(\d+) +(.*)$`)
	hexNumber  = regexp.MustCompile(`0x[0-9a-f]+`)
	resumed    = regexp.MustCompile(`^<\.\.\. \w+ resumed>\s*`)
)

// normalizeStrace makes strace -f output comparable. PIDs differ
// (the sandbox numbers from 1), the processes of a pipeline run
// concurrently, so their lines interleave in any order and a call may be
// split into "<unfinished ...>" and "<... resumed>", and pointers (envp)
// differ. So: join split calls, replace pointers by 0xX, and print one
// line per process (its calls in order) with the processes sorted. What
// each process called, with which arguments and results, stays compared.
func normalizeStrace(out string) string {
	var head []string
	calls := map[string][]string{}
	var pids []string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		m := straceLine.FindStringSubmatch(line)
		if m == nil {
			head = append(head, line) // the pipeline's own output
			continue
		}
		pid, call := m[1], hexNumber.ReplaceAllString(m[2], "0xX")
		if _, ok := calls[pid]; !ok {
			pids = append(pids, pid)
		}
		cs := calls[pid]
		if resumed.MatchString(call) && len(cs) > 0 {
			cs[len(cs)-1] = strings.TrimSuffix(cs[len(cs)-1], " <unfinished ...>") + resumed.ReplaceAllString(call, "")
		} else {
			cs = append(cs, call)
		}
		calls[pid] = cs
	}
	procs := make([]string, 0, len(pids))
	for _, pid := range pids {
		var cs []string
		for _, c := range calls[pid] {
			cs = append(cs, strings.Join(strings.Fields(c), " "))
		}
		procs = append(procs, strings.Join(cs, " ; "))
	}
	sort.Strings(procs)
	return strings.Join(head, "\n") + "\n" + strings.Join(procs, "\n") + "\n"
}

var (
	gdbSignal = regexp.MustCompile(`^Program (received signal|terminated with signal) .*`)
	gdbFrame  = regexp.MustCompile(`^#(\d+) +(?:0x[0-9a-f]+ in )?(\S+) \(`)
)

// normalizeGDB keeps what a backtrace is for: the signal line and each
// frame's number and function. Addresses, argument values and gdb's
// chatter (thread-debugging notes, warnings) are dropped.
func normalizeGDB(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if gdbSignal.MatchString(line) {
			keep = append(keep, line)
		} else if m := gdbFrame.FindStringSubmatch(line); m != nil {
			keep = append(keep, "#"+m[1]+" "+m[2])
		}
	}
	return strings.Join(keep, "\n") + "\n"
}
