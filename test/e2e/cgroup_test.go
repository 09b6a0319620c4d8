package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// memoryCgroupDir returns the directory of the memory controller's
// cgroup rel below this process's own (cgroup v1 and hybrid: the
// memory hierarchy; v2: the unified one).
func memoryCgroupDir(t *testing.T, rel string) (dir string, v2 bool) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && parts[1] == "memory" {
			return filepath.Join("/sys/fs/cgroup/memory", parts[2], rel), false
		}
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "0::") {
			return filepath.Join("/sys/fs/cgroup", strings.TrimPrefix(line, "0::"), rel), true
		}
	}
	t.Skip("no memory cgroup here")
	return "", false
}

// removeCgroupParents removes the cgroup rel (below this process's own)
// in every hierarchy: the parent that runsc made for the test's cgroup.
func removeCgroupParents(t *testing.T, rel string) {
	data, _ := os.ReadFile("/proc/self/cgroup")
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		mounts := []string{"/sys/fs/cgroup/" + strings.TrimPrefix(parts[1], "name=")}
		if parts[1] == "" { // v2: the hybrid layout's or the only one
			mounts = []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}
		}
		for _, m := range mounts {
			os.Remove(filepath.Join(m, parts[2], rel))
		}
	}
}

// TestCgroupResources runs a container with linux.cgroupsPath and
// resources: the limits are in the cgroup's files, the sandbox's
// processes are in it, `runsc events --stats` reports them, and delete
// removes the cgroup; update changes the limits in place.
func TestCgroupResources(t *testing.T) {
	c := newContainer(t, "/bin/sh", "-c", "echo started; sleep 1000")
	spec, err := testutil.ReadSpec(c.bundle)
	if err != nil {
		t.Fatal(err)
	}
	rel := fmt.Sprintf("cocoon-e2e-%d/c1", os.Getpid())
	limit, pids := int64(64<<20), int64(50)
	spec.Linux.CgroupsPath = rel // relative: below this test's own cgroup
	spec.Linux.Resources = &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	if err := testutil.WriteSpec(c.bundle, spec); err != nil {
		t.Fatal(err)
	}
	dir, v2 := memoryCgroupDir(t, rel)
	defer removeCgroupParents(t, filepath.Dir(rel))
	c.must("run", "--detach", c.id)
	c.awaitOutput("started")

	limitFile := "memory.limit_in_bytes"
	if v2 {
		limitFile = "memory.max"
	}
	if b, err := os.ReadFile(filepath.Join(dir, limitFile)); err != nil || strings.TrimSpace(string(b)) != "67108864" {
		t.Errorf("%s = %q, %v; want 67108864", limitFile, b, err)
	}
	procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	sandbox := strconv.Itoa(c.state().Pid)
	if !strings.Contains("\n"+string(procs), "\n"+sandbox+"\n") || strings.Count(string(procs), "\n") < 3 {
		t.Errorf("cgroup.procs %q: want the sandbox %s, its gofer and stubs", procs, sandbox)
	}

	r := c.query("events", "--stats", c.id)
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			Memory struct {
				Usage struct{ Usage, Limit uint64 } `json:"usage"`
			} `json:"memory"`
			Pids struct{ Current, Limit uint64 } `json:"pids"`
		} `json:"data"`
	}
	if r.ExitCode != 0 || json.Unmarshal([]byte(r.Stdout), &ev) != nil {
		t.Fatalf("runsc events --stats: %v", r)
	}
	if ev.Type != "stats" || ev.ID != c.id || ev.Data.Memory.Usage.Limit != uint64(limit) || ev.Data.Memory.Usage.Usage == 0 {
		t.Errorf("events --stats = %+v, want the memory limit and some usage", ev)
	}
	// update changes the limit in place, by flag and by --resources.
	c.must("update", "--memory", "33554432", c.id)
	if b, _ := os.ReadFile(filepath.Join(dir, limitFile)); strings.TrimSpace(string(b)) != "33554432" {
		t.Errorf("after update --memory: %s = %q", limitFile, b)
	}
	res := filepath.Join(t.TempDir(), "res.json")
	os.WriteFile(res, []byte(`{"memory": {"limit": 50331648}}`), 0o644)
	c.must("update", "--resources", res, c.id)
	if b, _ := os.ReadFile(filepath.Join(dir, limitFile)); strings.TrimSpace(string(b)) != "50331648" {
		t.Errorf("after update --resources: %s = %q", limitFile, b)
	}
	c.must("delete", "--force", c.id)
	c.deleted()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s left after delete: %v", dir, err)
	}
}
