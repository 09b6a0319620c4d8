package linux

import (
	"bytes"
	"crypto/rand"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Uname implements Linux syscall uname(2): the sentry's own kernel, never
// the host's.
func Uname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	const field = 65
	var b [6 * field]byte
	k := t.Kernel()
	for i, s := range []string{"Linux", k.Hostname, k.Release, k.Version, "x86_64", "(none)"} {
		copy(b[i*field:(i+1)*field-1], s)
	}
	_, err := t.CopyOut(a[0], b[:])
	return 0, err
}

// Getuid implements Linux syscall getuid(2).
func Getuid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().RUID), nil
}

// Geteuid implements Linux syscall geteuid(2).
func Geteuid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().EUID), nil
}

// Getgid implements Linux syscall getgid(2).
func Getgid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().RGID), nil
}

// Getegid implements Linux syscall getegid(2).
func Getegid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().EGID), nil
}

// Getresuid implements Linux syscall getresuid(2).
func Getresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a, c.RUID, c.EUID, c.SUID)
}

// Getresgid implements Linux syscall getresgid(2).
func Getresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a, c.RGID, c.EGID, c.SGID)
}

func copyOutIDs(t *kernel.Task, a arch.SyscallArgs, ids ...uint32) error {
	for i, id := range ids {
		var b [4]byte
		le.PutUint32(b[:], id)
		if _, err := t.CopyOut(a[i], b[:]); err != nil {
			return err
		}
	}
	return nil
}

// Getgroups implements Linux syscall getgroups(2).
func Getgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	groups := t.Credentials().Groups
	size := int(int32(a[0]))
	if size < 0 {
		return 0, unix.EINVAL
	}
	if size == 0 {
		return uintptr(len(groups)), nil
	}
	if size < len(groups) {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*len(groups))
	for i, g := range groups {
		le.PutUint32(b[4*i:], g)
	}
	_, err := t.CopyOut(a[1], b)
	return uintptr(len(groups)), err
}

// The set*id calls: the rules, and their effect on capabilities, live in
// sentry/kernel/task_identity.go.

// Setuid implements Linux syscall setuid(2).
func Setuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetUID(uint32(a[0]))
}

// Setgid implements Linux syscall setgid(2).
func Setgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetGID(uint32(a[0]))
}

// Setresuid implements Linux syscall setresuid(2).
func Setresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESUID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

// Setresgid implements Linux syscall setresgid(2).
func Setresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESGID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

// Setreuid implements Linux syscall setreuid(2).
func Setreuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREUID(uint32(a[0]), uint32(a[1]))
}

// Setregid implements Linux syscall setregid(2).
func Setregid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREGID(uint32(a[0]), uint32(a[1]))
}

// Setfsuid implements Linux syscall setfsuid(2): it returns the previous
// file-system user ID, changed or not.
func Setfsuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSUID(uint32(a[0]))), nil
}

// Setfsgid implements Linux syscall setfsgid(2).
func Setfsgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSGID(uint32(a[0]))), nil
}

// Setgroups implements Linux syscall setgroups(2).
func Setgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if !t.Credentials().HasCapability(unix.CAP_SETGID) {
		return 0, unix.EPERM
	}
	n := int(int32(a[0]))
	if n < 0 || n > kernel.MaxGroups {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*n)
	if _, err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = le.Uint32(b[4*i:])
	}
	return 0, t.SetGroups(groups)
}

// Capget implements Linux syscall capget(2) for the caller's own sets
// (any version: the two 32-bit halves of each set).
func Capget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, nil
	}
	c := t.Credentials()
	var b [24]byte
	for i, set := range []kernel.CapabilitySet{c.EffectiveCaps, c.PermittedCaps, c.InheritableCaps} {
		le.PutUint32(b[4*i:], uint32(set))
		le.PutUint32(b[12+4*i:], uint32(set>>32))
	}
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}

// ARCH_* codes of arch_prctl(2).
const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

// ArchPrctl implements Linux syscall arch_prctl(2).
func ArchPrctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	regs := &t.State().Regs
	switch a[0] {
	case archSetFS:
		if a[1] >= 1<<47 {
			return 0, unix.EPERM
		}
		regs.Fs_base = uint64(a[1])
	case archSetGS:
		if a[1] >= 1<<47 {
			return 0, unix.EPERM
		}
		regs.Gs_base = uint64(a[1])
	case archGetFS, archGetGS:
		v := regs.Fs_base
		if a[0] == archGetGS {
			v = regs.Gs_base
		}
		var b [8]byte
		le.PutUint64(b[:], v)
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	default:
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Prctl implements Linux syscall prctl(2) for the options programs use.
func Prctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	switch int(a[0]) {
	case unix.PR_SET_NAME:
		// The name is up to 16 bytes with its NUL: longer ones are cut.
		var b [16]byte
		n, err := t.CopyIn(a[1], b[:])
		if n == 0 && err != nil {
			return 0, err
		}
		name := b[:n]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		t.SetName(string(name))
		return 0, nil
	case unix.PR_SET_PDEATHSIG:
		sig := linux.Signal(a[1])
		if sig != 0 && !sig.Valid() {
			return 0, unix.EINVAL
		}
		t.SetPdeathSignal(sig)
		return 0, nil
	case unix.PR_GET_PDEATHSIG:
		var b [4]byte
		le.PutUint32(b[:], uint32(t.PdeathSignal()))
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	case unix.PR_GET_NAME:
		var b [16]byte
		copy(b[:15], t.Name())
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	case unix.PR_SET_NO_NEW_PRIVS, unix.PR_SET_DUMPABLE,
		unix.PR_SET_CHILD_SUBREAPER, unix.PR_SET_KEEPCAPS, unix.PR_SET_TIMERSLACK:
		return 0, nil
	case unix.PR_GET_DUMPABLE, unix.PR_GET_NO_NEW_PRIVS, unix.PR_CAPBSET_READ:
		return 1, nil
	case unix.PR_GET_CHILD_SUBREAPER:
		var b [4]byte
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	case unix.PR_GET_SECCOMP, unix.PR_GET_KEEPCAPS:
		return 0, nil
	}
	return 0, unix.EINVAL
}

// Getrandom implements Linux syscall getrandom(2).
func Getrandom(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[2]&^uintptr(unix.GRND_NONBLOCK|unix.GRND_RANDOM|unix.GRND_INSECURE) != 0 {
		return 0, unix.EINVAL
	}
	n := min(int(a[1]), 1<<20)
	if int(a[1]) < 0 {
		n = 1 << 20
	}
	b := t.Scratch(n)
	rand.Read(b)
	c, err := t.CopyOut(a[0], b)
	if c > 0 {
		return uintptr(c), nil
	}
	return 0, err
}

// Prlimit64 implements Linux syscall prlimit64(2) for the caller itself.
func Prlimit64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, res, newAddr, oldAddr := int32(a[0]), int(a[1]), a[2], a[3]
	if pid != 0 && pid != t.TID() {
		return 0, unix.EPERM
	}
	return 0, rlimit(t, res, newAddr, oldAddr)
}

// Getrlimit implements Linux syscall getrlimit(2).
func Getrlimit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, rlimit(t, int(a[0]), 0, a[1])
}

// Setrlimit implements Linux syscall setrlimit(2).
func Setrlimit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, rlimit(t, int(a[0]), a[1], 0)
}

func rlimit(t *kernel.Task, res int, newAddr, oldAddr uintptr) error {
	var b [16]byte
	var newLim *kernel.RLimit
	if newAddr != 0 {
		if _, err := t.CopyIn(newAddr, b[:]); err != nil {
			return err
		}
		newLim = &kernel.RLimit{Cur: le.Uint64(b[0:]), Max: le.Uint64(b[8:])}
	}
	old, err := t.Rlimit(res, newLim)
	if err != nil {
		return err
	}
	if newLim != nil && res == unix.RLIMIT_NOFILE {
		lim := min(newLim.Cur, 1<<20)
		t.FDTable().SetLimit(int32(lim))
	}
	if oldAddr != 0 {
		le.PutUint64(b[0:], old.Cur)
		le.PutUint64(b[8:], old.Max)
		if _, err := t.CopyOut(oldAddr, b[:]); err != nil {
			return err
		}
	}
	return nil
}

// getrusage(2) who values.
const (
	rusageSelf     = 0
	rusageChildren = -1
	rusageThread   = 1
)

// Getrusage implements Linux syscall getrusage(2): user time is the time
// the application ran (system time is not accounted yet).
func Getrusage(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var utime time.Duration
	switch int32(a[0]) {
	case rusageSelf, rusageThread:
		utime = t.UserTime()
	case rusageChildren:
		utime = t.ChildrenUserTime()
	default:
		return 0, unix.EINVAL
	}
	var b [144]byte
	le.PutUint64(b[0:], uint64(utime/time.Second))
	le.PutUint64(b[8:], uint64(utime%time.Second/time.Microsecond))
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}

// Sysinfo implements Linux syscall sysinfo(2).
func Sysinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [112]byte
	k := t.Kernel()
	uptime := int64(kernelUptime(k).Seconds())
	le.PutUint64(b[0:], uint64(uptime))
	var si unix.Sysinfo_t
	unix.Sysinfo(&si)
	le.PutUint64(b[32:], si.Totalram*uint64(si.Unit))
	le.PutUint64(b[40:], si.Freeram*uint64(si.Unit))
	le.PutUint16(b[80:], uint16(len(k.TIDs())))
	le.PutUint32(b[104:], 1)
	_, err := t.CopyOut(a[0], b[:])
	return 0, err
}

// SchedGetaffinity implements Linux syscall sched_getaffinity(2): every
// CPU of the host is available.
func SchedGetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	size := int(a[1])
	if size < 8 || size%8 != 0 {
		return 0, unix.EINVAL
	}
	b := make([]byte, 8)
	n := runtime.NumCPU()
	for i := 0; i < n && i < 64; i++ {
		b[i/8] |= 1 << (i % 8)
	}
	if _, err := t.CopyOut(a[2], b); err != nil {
		return 0, err
	}
	return 8, nil
}

// SchedSetaffinity implements sched_setaffinity(2) by accepting any mask.
func SchedSetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) { return 0, nil }

// SchedYield implements Linux syscall sched_yield(2).
func SchedYield(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	runtime.Gosched()
	return 0, nil
}

// Getcpu implements Linux syscall getcpu(2).
func Getcpu(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [4]byte
	for _, addr := range []uintptr{a[0], a[1]} {
		if addr != 0 {
			if _, err := t.CopyOut(addr, b[:]); err != nil {
				return 0, err
			}
		}
	}
	return 0, nil
}

// prioProcess is PRIO_PROCESS; process groups and users are not
// supported yet.
const prioProcess = 0

// Getpriority implements Linux syscall getpriority(2) for PRIO_PROCESS (the
// raw syscall returns 20 - nice).
func Getpriority(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := priorityTarget(t, a)
	if err != nil {
		return 0, err
	}
	return uintptr(20 - target.Nice()), nil
}

// Setpriority implements Linux syscall setpriority(2) for PRIO_PROCESS.
// Nice values only order the sandbox's own tasks, which the host schedules
// as it likes, so they are recorded and reported.
func Setpriority(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := priorityTarget(t, a)
	if err != nil {
		return 0, err
	}
	return 0, t.SetNice(target, int32(a[2]))
}

func priorityTarget(t *kernel.Task, a arch.SyscallArgs) (*kernel.Task, error) {
	if int(a[0]) != prioProcess {
		return nil, unix.EINVAL
	}
	return taskOrSelf(t, int32(a[1]))
}

// SetRobustList implements set_robust_list(2): robust futexes only matter
// for threads, which come later; the list is accepted.
func SetRobustList(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != 24 {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// futex(2) operations and flags.
const (
	futexWait          = 0
	futexWake          = 1
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	userAddressLimit   = 1 << 47
)

// Futex implements the futex(2) operations a single-threaded process can
// meaningfully make: WAIT returns EAGAIN if the word changed and otherwise
// waits for a signal or the timeout (ETIMEDOUT); WAKE wakes nobody, since
// no other thread can be waiting. Addresses are checked as Linux does.
func Futex(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, op, val, timeoutAddr := a[0], int(a[1]), uint32(a[2]), a[3]
	private := op&futexPrivateFlag != 0
	realtime := op&futexClockRealtime != 0
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	if cmd != futexWait && cmd != futexWake && cmd != futexWaitBitset && cmd != futexWakeBitset {
		return 0, unix.ENOSYS
	}
	if addr%4 != 0 {
		return 0, unix.EINVAL
	}
	if addr >= userAddressLimit {
		return 0, unix.EFAULT
	}
	if cmd == futexWake || cmd == futexWakeBitset {
		if !private && t.MemoryManager().AccessibleLength(addr, 4, false) < 4 {
			return 0, unix.EFAULT
		}
		return 0, nil
	}
	var deadline time.Duration
	if timeoutAddr != 0 {
		ns, err := copyInTimespec(t, timeoutAddr)
		if err != nil {
			return 0, err
		}
		deadline = time.Duration(ns)
		if cmd == futexWaitBitset {
			// An absolute time on the chosen clock.
			clock := int32(unix.CLOCK_MONOTONIC)
			if realtime {
				clock = unix.CLOCK_REALTIME
			}
			now, _ := clockNow(t, clock)
			deadline = time.Duration(ns - now)
		}
	}
	var b [4]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	if le.Uint32(b[:]) != val {
		return 0, unix.EAGAIN
	}
	var expired <-chan struct{}
	if timeoutAddr != 0 {
		if deadline <= 0 {
			return 0, unix.ETIMEDOUT
		}
		done := make(chan struct{})
		timer := time.AfterFunc(deadline, func() { close(done) })
		defer timer.Stop()
		expired = done
	}
	if err := t.Block(expired); err != nil {
		return 0, err
	}
	return 0, unix.ETIMEDOUT
}

// The task is what file systems see of the caller.
var _ vfs.Context = (*kernel.Task)(nil)
