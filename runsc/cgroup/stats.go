package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats are the cgroup's figures that `runsc events --stats` reports.
type Stats struct {
	// MemoryUsage and MemoryLimit are in bytes (limit 0: none).
	MemoryUsage, MemoryLimit uint64
	// Pids and PidsLimit count tasks, host threads included (limit 0:
	// none).
	Pids, PidsLimit uint64
	// CPUUsageNS is the CPU time used, in nanoseconds.
	CPUUsageNS uint64
}

// Stats reads the cgroup's usage and limits; figures a hierarchy lacks
// are zero.
func (c *Cgroup) Stats() Stats {
	var s Stats
	if c.V2 {
		s.MemoryUsage = c.readUint("memory.current")
		s.MemoryLimit = c.readUint("memory.max")
		s.Pids, s.PidsLimit = c.readUint("pids.current"), c.readUint("pids.max")
		s.CPUUsageNS = c.readKey("cpu.stat", "usage_usec") * 1000
		return s
	}
	s.MemoryUsage = c.readUint("memory.usage_in_bytes")
	if l := c.readUint("memory.limit_in_bytes"); l < 1<<62 {
		s.MemoryLimit = l // v1 shows "none" as a huge page-rounded number
	}
	s.Pids, s.PidsLimit = c.readUint("pids.current"), c.readUint("pids.max")
	s.CPUUsageNS = c.readUint("cpuacct.usage")
	return s
}

// read returns the content of the first of the cgroup's directories that
// has control file name.
func (c *Cgroup) read(name string) string {
	for _, d := range c.Dirs {
		if b, err := os.ReadFile(filepath.Join(d, name)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// readUint reads a number ("max" and absent files are 0).
func (c *Cgroup) readUint(name string) uint64 {
	n, _ := strconv.ParseUint(c.read(name), 10, 64)
	return n
}

// readKey reads "key value" from a flat-keyed file such as cpu.stat.
func (c *Cgroup) readKey(name, key string) uint64 {
	for _, line := range strings.Split(c.read(name), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}
