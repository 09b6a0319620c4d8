package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setting is one control file to write: its v1 and v2 names (empty when
// that version has none) and the values for each.
type setting struct {
	field    string // the spec field, for errors
	v1, v2   string
	val1     string
	val2     string
	optional bool // absent on this kernel (swap accounting): skip
}

// settings turns resources into control-file writes, in the order the
// kernel needs them (a period before its quota, a memory limit before its
// memory+swap limit).
func settings(r *specs.LinuxResources) []setting {
	var out []setting
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			out = append(out, setting{"memory.limit", "memory.limit_in_bytes", "memory.max", limitV1(*m.Limit), limit(*m.Limit), false})
		}
		if m.Reservation != nil {
			out = append(out, setting{"memory.reservation", "memory.soft_limit_in_bytes", "memory.low", limitV1(*m.Reservation), limit(*m.Reservation), false})
		}
		if m.Swap != nil {
			v2 := limit(*m.Swap)
			if *m.Swap > 0 && m.Limit != nil && *m.Limit > 0 {
				// v1 limits memory+swap; v2 limits swap alone.
				v2 = strconv.FormatInt(max(*m.Swap-*m.Limit, 0), 10)
			}
			out = append(out, setting{"memory.swap", "memory.memsw.limit_in_bytes", "memory.swap.max", limitV1(*m.Swap), v2, true})
		}
		// v1 only, as in runc: v2 has neither knob. A swappiness of -1
		// (as the uint64 field holds it) means "leave it"; one above 100
		// is the kernel's to refuse.
		if m.Swappiness != nil && int64(*m.Swappiness) != -1 {
			out = append(out, setting{"memory.swappiness", "memory.swappiness", "", strconv.FormatUint(*m.Swappiness, 10), "", false})
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			out = append(out, setting{"memory.disableOOMKiller", "memory.oom_control", "", "1", "", false})
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		n := HostPids(*p.Limit)
		out = append(out, setting{"pids.limit", "pids.max", "pids.max", limit(n), limit(n), false})
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			out = append(out, setting{"cpu.shares", "cpu.shares", "cpu.weight", strconv.FormatUint(*c.Shares, 10), strconv.FormatUint(sharesToWeight(*c.Shares), 10), false})
		}
		if c.Period != nil && *c.Period != 0 {
			out = append(out, setting{"cpu.period", "cpu.cfs_period_us", "", strconv.FormatUint(*c.Period, 10), "", false})
		}
		if c.Quota != nil && *c.Quota != 0 {
			period := uint64(100000)
			if c.Period != nil && *c.Period != 0 {
				period = *c.Period
			}
			out = append(out, setting{"cpu.quota", "cpu.cfs_quota_us", "cpu.max", limitV1(*c.Quota), limit(*c.Quota) + " " + strconv.FormatUint(period, 10), false})
		}
		if c.Cpus != "" {
			out = append(out, setting{"cpu.cpus", "cpuset.cpus", "cpuset.cpus", c.Cpus, c.Cpus, false})
		}
		if c.Mems != "" {
			out = append(out, setting{"cpu.mems", "cpuset.mems", "cpuset.mems", c.Mems, c.Mems, false})
		}
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		w := uint64(*b.Weight)
		out = append(out, setting{"blockIO.weight", "blkio.weight", "io.weight", strconv.FormatUint(w, 10), "default " + strconv.FormatUint(1+(w-10)*9999/990, 10), true})
	}
	return out
}

// HostPidsOverhead is the host tasks a sandbox has besides its
// application's: the sentry's and the gofer's threads and the template
// stub.
const HostPidsOverhead = 64

// HostPids is the host pids.max for a container limited to n tasks: on
// the host each application task is a sentry thread plus a stub, and the
// sentry's own threads count too. Hitting the host limit makes the Go
// runtime abort the sentry rather than fail a fork with EAGAIN, so the
// host limit leaves that room; it bounds what a fork bomb costs the host.
func HostPids(n int64) int64 {
	if n <= 0 {
		return n
	}
	return 2*n + HostPidsOverhead
}

// limit is a limit as v2 control files (and v1's pids.max) take it: zero
// or negative means none, "max".
func limit(v int64) string {
	if v <= 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// limitV1 is a limit as the other v1 control files take it: -1 for none.
func limitV1(v int64) string {
	if v <= 0 {
		return "-1"
	}
	return strconv.FormatInt(v, 10)
}

// sharesToWeight maps cgroup v1 cpu.shares (2-262144) to v2 cpu.weight
// (1-10000), as runc and crun map them.
func sharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

// Apply writes resources into the cgroup. A setting whose control file
// exists in none of the cgroup's directories fails, naming the spec
// field; permission errors (a runsc without CAP_SYS_RESOURCE, a cgroup
// delegated read-only) are returned to warn about, not to fail on.
func (c *Cgroup) Apply(r *specs.LinuxResources) (warnings []error, err error) {
	if r == nil {
		return nil, nil
	}
	if err := c.fillCpuset(); err != nil {
		return nil, err
	}
	for _, s := range settings(r) {
		name, val := s.v1, s.val1
		if c.V2 {
			name, val = s.v2, s.val2
		}
		if name == "" {
			continue // a v1-only setting folded into another on v2
		}
		written := false
		for _, d := range c.Dirs {
			p := filepath.Join(d, name)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			written = true
			if err := write(d, name, val); err != nil {
				if errors.Is(err, fs.ErrPermission) {
					warnings = append(warnings, err)
					continue
				}
				return warnings, fmt.Errorf("linux.resources.%s: %w", s.field, err)
			}
		}
		if !written && !s.optional {
			return warnings, fmt.Errorf("linux.resources.%s: the %s controller is not available here", s.field, name)
		}
	}
	return warnings, nil
}

// fillCpuset gives the new v1 cpuset cgroups (the cgroup and any parent
// Create made) their parent's cpus and mems, top down: the kernel refuses
// to put a process into a cpuset that has none.
func (c *Cgroup) fillCpuset() error {
	if c.V2 {
		return nil
	}
	for _, d := range c.Dirs {
		if _, err := os.Stat(filepath.Join(d, "cpuset.cpus")); err != nil {
			continue // not the cpuset hierarchy
		}
		var empty []string // d and its empty ancestors, bottom up
		for dir := d; ; dir = filepath.Dir(dir) {
			cur, err := os.ReadFile(filepath.Join(dir, "cpuset.cpus"))
			if err != nil || strings.TrimSpace(string(cur)) != "" {
				break
			}
			empty = append(empty, dir)
		}
		for i := len(empty) - 1; i >= 0; i-- {
			for _, name := range []string{"cpuset.cpus", "cpuset.mems"} {
				parent, err := os.ReadFile(filepath.Join(filepath.Dir(empty[i]), name))
				if err != nil {
					return fmt.Errorf("cgroup %s: reading the parent's %s: %w", empty[i], name, err)
				}
				if err := write(empty[i], name, strings.TrimSpace(string(parent))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
