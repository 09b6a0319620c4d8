package specutils

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"c1", true},
		{"my_container-1.2+x", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a b", false},
		{"../x", false},
		{"x\n", false},
		{"ümlaut", false},
	} {
		err := ValidateID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%t", tc.id, err, tc.ok)
		}
	}
}

const goodConfig = `{"ociVersion":"1.0.2","process":{"args":["/bin/true"],"cwd":"/"},"root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}]}`

// bundle makes a bundle directory with the given config.json (none when
// config is "") and, when mkRoot, a rootfs directory.
func bundle(t *testing.T, config string, mkRoot bool) string {
	t.Helper()
	dir := t.TempDir()
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if mkRoot {
		if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadSpec(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  string // "" = no config.json
		wantErr string
	}{
		{name: "good", config: goodConfig},
		{name: "no config", wantErr: "has no config.json"},
		{name: "not json", config: "hello", wantErr: "invalid JSON"},
		{name: "truncated", config: `{"process":`, wantErr: "invalid JSON"},
		{name: "wrong type", config: `{"process":{"args":"x"}}`, wantErr: "invalid JSON"},
		{name: "no process", config: `{"root":{"path":"rootfs"}}`, wantErr: "process is missing"},
		{name: "no args", config: `{"process":{"cwd":"/"},"root":{"path":"rootfs"}}`, wantErr: "process.args is missing"},
		{name: "empty args", config: `{"process":{"args":[],"cwd":"/"},"root":{"path":"rootfs"}}`, wantErr: "process.args is missing"},
		{name: "relative cwd", config: `{"process":{"args":["x"],"cwd":"tmp"},"root":{"path":"rootfs"}}`, wantErr: "not an absolute path"},
		{name: "no root", config: `{"process":{"args":["x"]}}`, wantErr: "root.path is missing"},
		{name: "empty root", config: `{"process":{"args":["x"]},"root":{"path":""}}`, wantErr: "root.path is missing"},
		{name: "relative mount", config: `{"process":{"args":["x"]},"root":{"path":"r"},"mounts":[{"destination":"proc"}]}`, wantErr: "mounts[0].destination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := bundle(t, tc.config, true)
			spec, err := ReadSpec(dir)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ReadSpec: %v", err)
				}
				if got := spec.Process.Args; !reflect.DeepEqual(got, []string{"/bin/true"}) {
					t.Errorf("args = %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ReadSpec error = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestReadSpecBundleMissing(t *testing.T) {
	_, err := ReadSpec(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("ReadSpec(missing) = %v", err)
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := ReadSpec(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("ReadSpec(file) = %v", err)
	}
}

func TestEmptyCwdDefaultsToRoot(t *testing.T) {
	spec, err := ParseSpec([]byte(`{"process":{"args":["x"]},"root":{"path":"r"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Process.Cwd != "/" {
		t.Errorf("cwd = %q, want /", spec.Process.Cwd)
	}
}

func TestRootPath(t *testing.T) {
	dir := bundle(t, goodConfig, true)
	spec, err := ReadSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RootPath(dir, spec)
	if err != nil || got != filepath.Join(dir, "rootfs") {
		t.Errorf("RootPath = %q, %v; want %q", got, err, filepath.Join(dir, "rootfs"))
	}

	spec.Root.Path = dir // absolute paths are taken as they are
	if got, err := RootPath("/elsewhere", spec); err != nil || got != dir {
		t.Errorf("RootPath(abs) = %q, %v", got, err)
	}

	spec.Root.Path = "missing"
	if _, err := RootPath(dir, spec); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("RootPath(missing) = %v", err)
	}

	os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644)
	spec.Root.Path = "afile"
	if _, err := RootPath(dir, spec); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("RootPath(file) = %v", err)
	}
}

func TestDoSpec(t *testing.T) {
	spec := DoSpec(DoOptions{
		Args:     []string{"sh", "-c", "exit 7"},
		HostEnv:  []string{"PATH=/bin", "HOME=/root", "A=1"},
		ExtraEnv: []string{"A=2", "B=3"},
		Cwd:      "/work",
	})
	if err := ValidateSpec(spec); err != nil {
		t.Fatalf("do spec does not validate: %v", err)
	}
	if !reflect.DeepEqual(spec.Process.Args, []string{"sh", "-c", "exit 7"}) {
		t.Errorf("args = %q", spec.Process.Args)
	}
	if want := []string{"PATH=/bin", "HOME=/root", "A=2", "B=3"}; !reflect.DeepEqual(spec.Process.Env, want) {
		t.Errorf("env = %q, want %q", spec.Process.Env, want)
	}
	if spec.Process.Cwd != "/work" || spec.Process.Terminal {
		t.Errorf("cwd = %q, terminal = %t", spec.Process.Cwd, spec.Process.Terminal)
	}
	if spec.Root.Path != "/" || spec.Root.Readonly {
		t.Errorf("root = %+v, want / and writable (into the overlay)", spec.Root)
	}
	if spec.Hostname != DoHostname {
		t.Errorf("hostname = %q", spec.Hostname)
	}
	mounts := map[string]string{}
	for _, m := range spec.Mounts {
		mounts[m.Destination] = m.Type
	}
	if want := map[string]string{"/proc": "proc", "/dev": "tmpfs", "/sys": "sysfs"}; !reflect.DeepEqual(mounts, want) {
		t.Errorf("mounts = %v, want %v", mounts, want)
	}
	if _, ok := mounts["/tmp"]; ok {
		t.Error("do must keep the host's /tmp (through the overlay), not mount a fresh one")
	}
}

func TestMergeEnv(t *testing.T) {
	got := MergeEnv([]string{"A=1", "B=2"}, []string{"B=x=y", "C=", "A=3"})
	if want := []string{"A=3", "B=x=y", "C="}; !reflect.DeepEqual(got, want) {
		t.Errorf("MergeEnv = %q, want %q", got, want)
	}
}

// TestValidateNamesTheField checks that invalid values fail with a message
// naming the field, and that unknown fields are accepted (forward
// compatibility).
func TestValidateNamesTheField(t *testing.T) {
	base := `"process": {"args": ["/bin/true"], "cwd": "/"%s}, "root": {"path": "rootfs"}`
	for _, tc := range []struct {
		name, json, wantErr string
	}{
		{"unknown field", `{"ociVersion": "1.0.2-dev", "futureField": {"x": 1}, ` + fmt.Sprintf(base, "") + `}`, ""},
		{"version", `{"ociVersion": "1.2.0", ` + fmt.Sprintf(base, "") + `}`, ""},
		{"bad version", `{"ociVersion": "banana", ` + fmt.Sprintf(base, "") + `}`, "ociVersion"},
		{"version 2", `{"ociVersion": "2.0.0", ` + fmt.Sprintf(base, "") + `}`, "ociVersion"},
		{"negative uid", `{` + fmt.Sprintf(base, `, "user": {"uid": -1, "gid": 0}`) + `}`, "uid"},
		{"unknown namespace", `{` + fmt.Sprintf(base, "") + `, "linux": {"namespaces": [{"type": "pid"}, {"type": "bogus"}]}}`, "linux.namespaces[1].type"},
		{"namespace twice", `{` + fmt.Sprintf(base, "") + `, "linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}}`, "linux.namespaces[1].type"},
		{"relative mount", `{` + fmt.Sprintf(base, "") + `, "mounts": [{"destination": "tmp", "type": "tmpfs"}]}`, "mounts[0].destination"},
		{"no args", `{"process": {"args": []}, "root": {"path": "rootfs"}}`, "process.args"},
		{"relative hook", `{` + fmt.Sprintf(base, "") + `, "hooks": {"poststart": [{"path": "/bin/true"}, {"path": "hook.sh"}]}}`, "hooks.poststart[1].path"},
		{"zero hook timeout", `{` + fmt.Sprintf(base, "") + `, "hooks": {"createRuntime": [{"path": "/bin/true", "timeout": 0}]}}`, "hooks.createRuntime[0].timeout"},
		{"bad capability", `{` + fmt.Sprintf(base, `, "capabilities": {"bounding": ["CAP_CHOWN", "CAP_FLY"]}`) + `}`, "process.capabilities.bounding"},
		{"bad rlimit", `{` + fmt.Sprintf(base, `, "rlimits": [{"type": "RLIMIT_WINGS", "soft": 1, "hard": 1}]`) + `}`, "process.rlimits[0].type"},
		{"soft above hard", `{` + fmt.Sprintf(base, `, "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 1}]`) + `}`, "process.rlimits[0]"},
	} {
		_, err := ParseSpec([]byte(tc.json))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v, want it accepted", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestDefaultSpecValid(t *testing.T) {
	for _, rootless := range []bool{false, true} {
		s := DefaultSpec(rootless)
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSpec(data); err != nil {
			t.Errorf("DefaultSpec(rootless=%t) does not validate: %v", rootless, err)
		}
		hasUserNS := false
		for _, ns := range s.Linux.Namespaces {
			hasUserNS = hasUserNS || ns.Type == "user"
		}
		if hasUserNS != rootless || (len(s.Linux.UIDMappings) == 1) != rootless {
			t.Errorf("DefaultSpec(rootless=%t): user namespace %t, uid mappings %v", rootless, hasUserNS, s.Linux.UIDMappings)
		}
	}
}

func TestCheckBindSources(t *testing.T) {
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	ok := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/data", Type: "bind", Source: "data"},
		{Destination: "/etc/hosts", Type: "none", Source: "/etc/hosts", Options: []string{"rbind", "ro"}},
	}}
	if err := CheckBindSources(bundle, ok); err != nil {
		t.Errorf("existing sources: %v", err)
	}
	bad := &specs.Spec{Mounts: []specs.Mount{ok.Mounts[0], {Destination: "/x", Type: "bind", Source: "/nonexistent/cocoon"}}}
	if err := CheckBindSources(bundle, bad); err == nil || !strings.Contains(err.Error(), "mounts[1].source") {
		t.Errorf("missing source: %v, want an error naming mounts[1].source", err)
	}
}

func TestCheckNamespacePaths(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ns      specs.LinuxNamespace
		wantErr string
	}{
		{"no path", specs.LinuxNamespace{Type: specs.IPCNamespace}, ""},
		{"matching", specs.LinuxNamespace{Type: specs.IPCNamespace, Path: "/proc/self/ns/ipc"}, ""},
		{"mount is mnt", specs.LinuxNamespace{Type: specs.MountNamespace, Path: "/proc/self/ns/mnt"}, ""},
		{"wrong type", specs.LinuxNamespace{Type: specs.CgroupNamespace, Path: "/proc/self/ns/ipc"}, "is not a namespace of type cgroup"},
		{"not a namespace", specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/proc/self/status"}, "is not a namespace"},
		{"missing", specs.LinuxNamespace{Type: specs.UTSNamespace, Path: "/no/such/ns"}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{tc.ns}}}
			err := CheckNamespacePaths(spec)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("CheckNamespacePaths(%+v) = %v, want %q", tc.ns, err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "linux.namespaces[0].path") {
				t.Errorf("error %q does not name the field", err)
			}
		})
	}
}
