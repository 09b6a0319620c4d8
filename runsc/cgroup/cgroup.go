// Package cgroup puts a sandbox's host processes (the sandbox, its stubs and
// the gofer) into the cgroup that linux.cgroupsPath names and applies the
// spec's linux.resources there, on cgroup v1, v2 or the hybrid layout (v1
// controllers with an empty unified tree) that this workplace's machines
// use. Limits bind the whole sandbox: the sentry and every application
// process are host processes charged to the cgroup.
//
// A Cgroup is a value saved in the container's state; its methods touch
// only the cgroup file system and keep no locks.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Cgroup is one container's cgroup: its directory in each hierarchy.
type Cgroup struct {
	// Dirs are the cgroup's directories, one per mounted hierarchy
	// (v1 controllers; on v2 the one unified directory).
	Dirs []string `json:"dirs"`
	// V2 says the cgroup is in a cgroup v2 (unified) hierarchy.
	V2 bool `json:"v2,omitempty"`
}

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct {
	mount       string   // where it is mounted
	controllers []string // v1: its controllers; nil for v2
	v2          bool
	self        string // this process's cgroup in it (from /proc/self/cgroup)
}

// hierarchies returns the mounted cgroup hierarchies that runsc manages:
// every v1 controller hierarchy when there is one (v1 or hybrid), else
// the v2 hierarchy.
func hierarchies() ([]hierarchy, error) {
	self, err := selfCgroups()
	if err != nil {
		return nil, err
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var v1 []hierarchy
	var v2 *hierarchy
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		switch qf[0] {
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(qf[2], ",") {
				if o != "rw" && o != "ro" && !strings.HasPrefix(o, "name=") && !strings.Contains(o, "=") {
					ctrls = append(ctrls, o)
				}
			}
			if len(ctrls) == 0 {
				continue // a named hierarchy (name=systemd): no controller
			}
			v1 = append(v1, hierarchy{mount: pf[4], controllers: ctrls, self: self[strings.Join(ctrls, ",")]})
		case "cgroup2":
			v2 = &hierarchy{mount: pf[4], v2: true, self: self[""]}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(v1) > 0 {
		return v1, nil
	}
	if v2 != nil {
		return []hierarchy{*v2}, nil
	}
	return nil, errors.New("no cgroup file system is mounted")
}

// selfCgroups reads /proc/self/cgroup: this process's cgroup by
// controller list ("" for v2).
func selfCgroups() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			m[parts[1]] = parts[2]
		}
	}
	return m, nil
}

// Resolve turns a spec's cgroupsPath into the cgroup's directories: an
// absolute path is below each hierarchy's root, a relative one below
// runsc's own cgroup (as runc reads them); with systemd, "slice:prefix:name"
// is the directory slice/prefix-name.scope. The path may not climb out
// with "..".
func Resolve(cgroupsPath string, systemd bool) (*Cgroup, error) {
	rel := cgroupsPath
	if systemd && strings.Count(cgroupsPath, ":") == 2 {
		parts := strings.SplitN(cgroupsPath, ":", 3)
		slice := parts[0]
		if slice == "" {
			slice = "system.slice"
		}
		rel = "/" + slice + "/" + parts[1] + "-" + parts[2] + ".scope"
	}
	for _, el := range strings.Split(rel, "/") {
		if el == ".." {
			return nil, fmt.Errorf("linux.cgroupsPath %q: must not contain \"..\"", cgroupsPath)
		}
	}
	hs, err := hierarchies()
	if err != nil {
		return nil, err
	}
	c := &Cgroup{}
	for _, h := range hs {
		base := "/"
		if !filepath.IsAbs(rel) {
			base = h.self
		}
		c.Dirs = append(c.Dirs, filepath.Join(h.mount, base, rel))
		c.V2 = h.v2
	}
	return c, nil
}

// Create makes the cgroup's directories; a directory that exists already
// is used as it is (a pod's sandbox cgroup made by its caller).
func (c *Cgroup) Create() error {
	for _, d := range c.Dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", d, err)
		}
	}
	return nil
}

// Join moves process pid (all its threads) into the cgroup.
func (c *Cgroup) Join(pid int) error {
	for _, d := range c.Dirs {
		if err := write(d, "cgroup.procs", fmt.Sprint(pid)); err != nil {
			return err
		}
	}
	return nil
}

// Destroy removes the cgroup's directories. It fails with the processes
// still in one; directories that are gone already are fine.
func (c *Cgroup) Destroy() error {
	var errs []error
	for _, d := range c.Dirs {
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

// write writes value to the control file name of cgroup dir.
func write(dir, name, value string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0); err != nil {
		return fmt.Errorf("cgroup %s: writing %q to %s: %w", dir, value, name, err)
	}
	return nil
}

// Current returns the cgroup this process is in, in the hierarchies
// runsc manages: where the launcher returns after starting a sandbox in
// another one.
func Current() (*Cgroup, error) {
	hs, err := hierarchies()
	if err != nil {
		return nil, err
	}
	c := &Cgroup{}
	for _, h := range hs {
		c.Dirs = append(c.Dirs, filepath.Join(h.mount, h.self))
		c.V2 = h.v2
	}
	return c, nil
}
