package cgroup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ptr[T any](v T) *T { return &v }

func TestSettings(t *testing.T) {
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(96 << 20))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(50))},
		CPU:    &specs.LinuxCPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000))},
	}
	got := map[string][2]string{}
	var order []string
	for _, s := range settings(r) {
		got[s.field] = [2]string{s.val1, s.val2}
		order = append(order, s.v1)
	}
	for field, want := range map[string][2]string{
		"memory.limit": {"67108864", "67108864"},
		"memory.swap":  {"100663296", "33554432"}, // v2's swap.max is swap alone
		"pids.limit":   {"164", "164"},            // HostPids(50)
		"cpu.shares":   {"1024", "39"},
		"cpu.quota":    {"50000", "50000 100000"},
	} {
		if got[field] != want {
			t.Errorf("%s = %q, want %q", field, got[field], want)
		}
	}
	if strings.Join(order, " ") != "memory.limit_in_bytes memory.memsw.limit_in_bytes pids.max cpu.shares cpu.cfs_period_us cpu.cfs_quota_us" {
		t.Errorf("write order %q: a limit must come before memsw, a period before its quota", order)
	}
	mem := settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(uint64(30)), DisableOOMKiller: ptr(true)}})
	if len(mem) != 2 || mem[0].v1 != "memory.swappiness" || mem[0].val1 != "30" || mem[0].v2 != "" ||
		mem[1].v1 != "memory.oom_control" || mem[1].val1 != "1" || mem[1].v2 != "" {
		t.Errorf("swappiness and OOM killer settings = %+v, want v1 memory.swappiness 30 and memory.oom_control 1", mem)
	}
	if leave := settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr(^uint64(0)), DisableOOMKiller: ptr(false)}}); len(leave) != 0 {
		t.Errorf("swappiness -1 and an enabled OOM killer wrote %+v, want nothing", leave)
	}
	unlimited := settings(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-1))}, Pids: &specs.LinuxPids{Limit: ptr(int64(0))}})
	if unlimited[0].val1 != "-1" || unlimited[0].val2 != "max" || unlimited[1].val1 != "max" {
		t.Errorf("unlimited = %+v, want -1 (v1 memory), max (v2, pids)", unlimited)
	}
	for shares, want := range map[uint64]uint64{2: 1, 1024: 39, 262144: 10000, 1 << 30: 10000} {
		if w := sharesToWeight(shares); w != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, w, want)
		}
	}
}

func TestResolveRefusesDotDot(t *testing.T) {
	for _, p := range []string{"../escape", "/a/../../b", "a/.."} {
		if _, err := Resolve(p, false); err == nil {
			t.Errorf("Resolve(%q) succeeded", p)
		}
	}
}

// TestCgroupLifecycle makes a cgroup below this process's own, limits it,
// puts a process in it and removes it again.
func TestCgroupLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make cgroups")
	}
	c, err := Resolve(fmt.Sprintf("cocoon-cgroup-test-%d", os.Getpid()), false)
	if err != nil {
		t.Skipf("no cgroups here: %v", err)
	}
	if err := c.Create(); err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	warnings, err := c.Apply(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(50))},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Logf("warning: %v", w)
	}
	if s := c.Stats(); s.MemoryLimit != 64<<20 || s.PidsLimit != uint64(HostPids(50)) {
		t.Errorf("stats %+v, want the limits written", s)
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.Join(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	procs := c.read("cgroup.procs")
	if s := c.Stats(); !strings.Contains(procs, fmt.Sprint(cmd.Process.Pid)) || s.Pids != 1 {
		t.Errorf("cgroup.procs %q, stats %+v; want the one process", procs, s)
	}
	if err := c.Destroy(); err == nil {
		t.Error("Destroy of a cgroup with a process in it succeeded")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", filepath.Base(d), err)
		}
	}
	if _, err := c.Apply(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0"}}); err == nil {
		t.Error("Apply to a removed cgroup succeeded")
	}
}
