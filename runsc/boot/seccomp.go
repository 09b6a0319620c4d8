package boot

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

// The OCI spec's linux.seccomp, applied by the sentry to the container's
// processes under --oci-seccomp (as gVisor's flag): the profile is
// compiled with the seccomp package's builder into one classic BPF
// program that the sentry runs on every system call of the container's
// init and exec'd processes (and, inherited, of their children). Without
// the flag the profile is ignored, as gVisor ignores it: the sandbox
// itself is the boundary.

// knownArches are the SCMP_ARCH_* names libseccomp knows. Only x86-64
// matters here: the sentry serves no other calling convention.
var knownArches = map[specs.Arch]bool{
	specs.ArchX86: true, specs.ArchX86_64: true, specs.ArchX32: true, specs.ArchARM: true,
	specs.ArchAARCH64: true, specs.ArchMIPS: true, specs.ArchMIPS64: true, specs.ArchMIPS64N32: true,
	specs.ArchMIPSEL: true, specs.ArchMIPSEL64: true, specs.ArchMIPSEL64N32: true, specs.ArchPPC: true,
	specs.ArchPPC64: true, specs.ArchPPC64LE: true, specs.ArchS390: true, specs.ArchS390X: true,
	specs.ArchPARISC: true, specs.ArchPARISC64: true, specs.ArchRISCV64: true,
	specs.ArchLOONGARCH64: true, specs.ArchM68K: true, specs.ArchSH: true, specs.ArchSHEB: true,
}

// knownSeccompFlags are the flags runc passes to seccomp(2); none changes
// what the sentry enforces.
var knownSeccompFlags = map[specs.LinuxSeccompFlag]bool{
	specs.LinuxSeccompFlagLog:              true,
	specs.LinuxSeccompFlagSpecAllow:        true,
	specs.LinuxSeccompFlagWaitKillableRecv: true,
	"SECCOMP_FILTER_FLAG_TSYNC":            true,
}

// CompileOCISeccomp compiles an OCI seccomp profile to a verified
// program. Names the sentry's syscall table does not know are skipped,
// as runc and libseccomp skip names unknown on the architecture. An
// error names the field at fault.
func CompileOCISeccomp(s *specs.LinuxSeccomp) (*bpf.Program, error) {
	f, err := ociSeccompFilter(s)
	if err != nil {
		return nil, err
	}
	prog, err := f.Build()
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	p, err := bpf.Compile(bpf.FromSockFilter(prog))
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: the compiled program is invalid: %w", err)
	}
	return p, nil
}

// ociSeccompFilter turns the profile into the builder's rules.
func ociSeccompFilter(s *specs.LinuxSeccomp) (*seccomp.Filter, error) {
	def, err := ociAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp.defaultAction: %w", err)
	}
	for i, a := range s.Architectures {
		if !knownArches[a] {
			return nil, fmt.Errorf("linux.seccomp.architectures[%d]: unknown architecture %q", i, a)
		}
	}
	for i, fl := range s.Flags {
		if !knownSeccompFlags[fl] {
			return nil, fmt.Errorf("linux.seccomp.flags[%d]: unknown flag %q", i, fl)
		}
	}
	if s.ListenerPath != "" {
		return nil, fmt.Errorf("linux.seccomp.listenerPath: seccomp user notification is not supported")
	}
	f := &seccomp.Filter{Default: def, BadArch: seccomp.ActionKillThread}
	for i, sc := range s.Syscalls {
		field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		act, err := ociAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("%s.action: %w", field, err)
		}
		forms, err := ociArgForms(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("%s.%w", field, err)
		}
		for j, name := range sc.Names {
			if name == "" {
				return nil, fmt.Errorf("%s.names[%d]: empty system call name", field, j)
			}
			nr, ok := linuxsys.Number(name)
			if !ok || act == def {
				// Unknown here, or the default anyway (runc drops
				// those too).
				continue
			}
			for _, args := range forms {
				f.Rules = append(f.Rules, seccomp.Rule(nr, act, args[:]...))
			}
		}
	}
	return f, nil
}

// ociAction returns the seccomp action of an OCI action name; errnoRet is
// the data of ERRNO (EPERM if unset) and TRACE, as runc sets them.
func ociAction(a specs.LinuxSeccompAction, errnoRet *uint) (seccomp.Action, error) {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		if *errnoRet > 0xffff {
			return 0, fmt.Errorf("errnoRet %d does not fit in 16 bits", *errnoRet)
		}
		data = uint32(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return seccomp.ActionKillThread, nil
	case specs.ActKillProcess:
		return seccomp.ActionKillProcess, nil
	case specs.ActTrap:
		return seccomp.ActionTrap, nil
	case specs.ActErrno:
		return seccomp.Action(unix.SECCOMP_RET_ERRNO | data), nil
	case specs.ActTrace:
		return seccomp.Action(unix.SECCOMP_RET_TRACE | data), nil
	case specs.ActAllow:
		return seccomp.ActionAllow, nil
	case specs.ActLog:
		return seccomp.ActionLog, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("%s is not supported (no seccomp user notification)", a)
	case "":
		return 0, fmt.Errorf("missing")
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

// ociArgForms returns the argument matchers of one syscalls[] entry: one
// form with every condition (all must hold) when each names a different
// argument, else one form per condition (any may hold), as runc builds
// them for libseccomp. A form that can never match (a MASKED_EQ whose
// value has bits outside its mask) is dropped.
func ociArgForms(conds []specs.LinuxSeccompArg) ([][6]seccomp.Arg, error) {
	var all [6]seccomp.Arg
	var each [][6]seccomp.Arg
	var seen [6]bool
	repeated, never := false, false
	for i, c := range conds {
		if c.Index >= 6 {
			return nil, fmt.Errorf("args[%d].index: %d is not an argument index (0 to 5)", i, c.Index)
		}
		m, ok, err := ociArg(c)
		if err != nil {
			return nil, fmt.Errorf("args[%d].op: %w", i, err)
		}
		repeated = repeated || seen[c.Index]
		seen[c.Index] = true
		if !ok {
			never = true
			continue
		}
		all[c.Index] = m
		var one [6]seccomp.Arg
		one[c.Index] = m
		each = append(each, one)
	}
	switch {
	case repeated:
		return each, nil
	case never:
		return nil, nil
	}
	return [][6]seccomp.Arg{all}, nil
}

// ociArg returns the matcher of one condition; ok is false for one that
// never matches.
func ociArg(c specs.LinuxSeccompArg) (m seccomp.Arg, ok bool, err error) {
	switch c.Op {
	case specs.OpEqualTo:
		return seccomp.EqualTo(c.Value), true, nil
	case specs.OpNotEqual:
		return seccomp.NotEqual(c.Value), true, nil
	case specs.OpLessThan:
		return seccomp.LessThan(c.Value), true, nil
	case specs.OpLessEqual:
		return seccomp.LessOrEqual(c.Value), true, nil
	case specs.OpGreaterEqual:
		return seccomp.GreaterOrEqual(c.Value), true, nil
	case specs.OpGreaterThan:
		return seccomp.GreaterThan(c.Value), true, nil
	case specs.OpMaskedEqual:
		// (arg & value) == valueTwo, as libseccomp.
		return seccomp.MaskedEqual(c.Value, c.ValueTwo), c.ValueTwo&^c.Value == 0, nil
	}
	return seccomp.Arg{}, false, fmt.Errorf("unknown operator %q", c.Op)
}
