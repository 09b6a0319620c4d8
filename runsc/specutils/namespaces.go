package specutils

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsGetNstype is ioctl_ns(2)'s NS_GET_NSTYPE, _IO(0xb7, 0x3): the
// CLONE_NEW* flag of the namespace a file refers to.
const nsGetNstype = 0xb703

// cloneFlags are the CLONE_NEW* flags of the namespace types.
var cloneFlags = map[specs.LinuxNamespaceType]int{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// CheckNamespacePaths checks that every linux.namespaces entry with a
// path names a namespace of the entry's type, as runc fails a create
// whose setns(2) with that type answers EINVAL (the runtime spec: "a
// runtime MUST generate an error" when the path's type does not match).
func CheckNamespacePaths(spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	for i, ns := range spec.Linux.Namespaces {
		if ns.Path == "" {
			continue
		}
		field := fmt.Sprintf("linux.namespaces[%d].path", i)
		fd, err := unix.Open(ns.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		got, err := unix.IoctlRetInt(fd, nsGetNstype)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("%s: %q is not a namespace: %w", field, ns.Path, err)
		}
		if want, ok := cloneFlags[ns.Type]; ok && got != want {
			return fmt.Errorf("%s: %q is not a namespace of type %s", field, ns.Path, ns.Type)
		}
	}
	return nil
}
