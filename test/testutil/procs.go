package testutil

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Proc is one host process as /proc shows it.
type Proc struct {
	PID, PPID int
	// Cmdline is the argument vector (NUL-separated in /proc).
	Cmdline []string
	// Exe is the target of /proc/PID/exe, without a " (deleted)" suffix;
	// empty if unreadable (kernel threads, races).
	Exe string
}

// HasArg reports whether one of p's arguments is exactly arg.
func (p *Proc) HasArg(arg string) bool {
	for _, a := range p.Cmdline {
		if a == arg {
			return true
		}
	}
	return false
}

func (p *Proc) String() string {
	return fmt.Sprintf("pid %d (ppid %d) exe=%q cmdline=%q", p.PID, p.PPID, p.Exe, strings.Join(p.Cmdline, " "))
}

// Procs returns every process currently on the host, by PID. Processes that
// vanish while being read are left out.
func Procs() (map[int]*Proc, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("reading /proc: %w", err)
	}
	procs := make(map[int]*Proc)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := ReadProc(pid)
		if err != nil {
			continue
		}
		procs[pid] = p
	}
	return procs, nil
}

// ReadProc reads one process's PPID, cmdline and exe.
func ReadProc(pid int) (*Proc, error) {
	st, err := ReadStatus(pid)
	if err != nil {
		return nil, err
	}
	ppid, err := strconv.Atoi(st["PPid"])
	if err != nil {
		return nil, fmt.Errorf("parsing PPid of %d: %w", pid, err)
	}
	p := &Proc{PID: pid, PPID: ppid}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		s := strings.TrimRight(string(b), "\x00")
		if s != "" {
			p.Cmdline = strings.Split(s, "\x00")
		}
	}
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
		p.Exe = strings.TrimSuffix(exe, " (deleted)")
	}
	return p, nil
}

// ReadStatus parses /proc/PID/status into its "Key: value" fields (values
// with surrounding whitespace trimmed).
func ReadStatus(pid int) (map[string]string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := make(map[string]string)
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading status of %d: %w", pid, err)
	}
	return m, nil
}

// Threads returns the thread IDs of process pid.
func Threads(pid int) (map[int]bool, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	tids := make(map[int]bool)
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids[tid] = true
		}
	}
	return tids, nil
}

// Descendants returns the processes in procs below pid (not pid itself),
// sorted by PID.
func Descendants(procs map[int]*Proc, pid int) []*Proc {
	children := make(map[int][]*Proc)
	for _, p := range procs {
		children[p.PPID] = append(children[p.PPID], p)
	}
	var out []*Proc
	var walk func(int)
	walk = func(pid int) {
		for _, c := range children[pid] {
			if c.PID == pid {
				continue
			}
			out = append(out, c)
			walk(c.PID)
		}
	}
	walk(pid)
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// Related returns the processes that belong to a run of binary: those whose
// executable is binary or whose command line mentions it, everything below
// them, and everything below the calling process (a test has no children
// left once the commands it ran have been waited for). binary should be a
// path unique to the caller (see CopyFile) so that parallel users of other
// copies do not show up.
func Related(binary string) ([]*Proc, error) {
	procs, err := Procs()
	if err != nil {
		return nil, err
	}
	binary = filepath.Clean(binary)
	found := make(map[int]*Proc)
	add := func(p *Proc) {
		found[p.PID] = p
		for _, d := range Descendants(procs, p.PID) {
			found[d.PID] = d
		}
	}
	self := os.Getpid()
	for _, p := range procs {
		if p.PID == self {
			continue
		}
		if p.Exe == binary || strings.Contains(strings.Join(p.Cmdline, " "), binary) {
			add(p)
		}
	}
	for _, d := range Descendants(procs, self) {
		found[d.PID] = d
	}
	out := make([]*Proc, 0, len(found))
	for _, p := range found {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}
