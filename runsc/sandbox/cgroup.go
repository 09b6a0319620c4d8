package sandbox

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cocoon-sandbox/cocoon/runsc/cgroup"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// enterCgroup makes the container's cgroup (linux.cgroupsPath, with
// linux.resources applied) and moves runsc into it, so that the gofer and
// the sandbox start in it and every stub they fork is born there; the
// returned function moves runsc back. Without a cgroupsPath, or with
// --ignore-cgroups, there is nothing to do.
func (s *Sandbox) enterCgroup(args *Args) (leave func(), err error) {
	l := args.Spec.Linux
	if l == nil || l.CgroupsPath == "" || args.Conf.IgnoreCgroups {
		if l != nil && l.Resources != nil && l.CgroupsPath == "" && !args.Conf.IgnoreCgroups {
			log.Warningf("linux.resources given without linux.cgroupsPath: not applied")
		}
		return func() {}, nil
	}
	home, err := cgroup.Current()
	if err != nil {
		return nil, err
	}
	cg, err := cgroup.Resolve(l.CgroupsPath, args.Conf.SystemdCgroup)
	if err != nil {
		return nil, err
	}
	if err := cg.Create(); err != nil {
		return nil, err
	}
	s.Cgroup = cg
	warnings, err := cg.Apply(l.Resources)
	for _, w := range warnings {
		log.Warningf("%v", w)
	}
	if err != nil {
		return nil, err
	}
	back := func() {
		if err := home.Join(os.Getpid()); err != nil {
			log.Warningf("returning runsc to its cgroup: %v", err)
		}
	}
	if err := cg.Join(os.Getpid()); err != nil {
		back() // from the hierarchies joined before the failure
		return nil, err
	}
	return back, nil
}

// cgroupRemoveTimeout bounds how long removeCgroup waits for the last
// processes (stubs dying with their sentry) to leave the cgroup.
const cgroupRemoveTimeout = 5 * time.Second

// removeCgroup removes the container's cgroup once its processes are
// gone.
func (s *Sandbox) removeCgroup() error {
	if s.Cgroup == nil {
		return nil
	}
	deadline := time.Now().Add(cgroupRemoveTimeout)
	for {
		err := s.Cgroup.Destroy()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (processes still in it after %v)", err, cgroupRemoveTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// errNoCgroup is returned by Stats for a sandbox without a cgroup.
var errNoCgroup = errors.New("the container has no cgroup (no linux.cgroupsPath)")

// Stats returns the figures of the sandbox's cgroup.
func (s *Sandbox) Stats() (cgroup.Stats, error) {
	if s.Cgroup == nil {
		return cgroup.Stats{}, errNoCgroup
	}
	return s.Cgroup.Stats(), nil
}
