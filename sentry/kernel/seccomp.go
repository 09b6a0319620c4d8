package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
)

// The application's seccomp filters (seccomp(2)), checked by the sentry on
// every system call of a task that has any, as Linux's
// kernel/seccomp.c: a task in strict mode may only read, write, exit and
// rt_sigreturn; a task in filter mode runs every filter of its chain and
// acts on the result of highest precedence.
//
// A task's state is an immutable seccompState swapped atomically: only
// its own goroutine reads it on the syscall path (one atomic load, and
// nothing more for a task without filters). It changes under its
// process's sigMu, by the task itself or by a thread of its process that
// synchronizes its chain (TSYNC), as Linux changes it under siglock.

// Seccomp modes, as PR_GET_SECCOMP and /proc/[pid]/status show them.
const (
	SeccompModeDisabled = 0
	SeccompModeStrict   = 1
	SeccompModeFilter   = 2
)

// Seccomp filter flags (SECCOMP_FILTER_FLAG_*).
const (
	SeccompFlagTsync      = 1
	SeccompFlagLog        = 2
	SeccompFlagSpecAllow  = 4
	SeccompFlagListener   = 8
	SeccompFlagTsyncEsrch = 16
	SeccompFlagKillable   = 32
)

// PtraceEventSeccomp is the stop of a SECCOMP_RET_TRACE result.
const PtraceEventSeccomp = 7

// maxSeccompPathInsns is MAX_INSNS_PER_PATH: the instructions a system
// call may run through the whole chain, counting 4 more per older filter
// as Linux's penalty.
const maxSeccompPathInsns = 32768

// Seccomp return values: the action in the high 16 bits (or the whole
// word for KILL_PROCESS), data in the low 16.
const (
	seccompRetActionFull = 0xffff0000
	seccompRetData       = 0x0000ffff
	seccompMaxErrno      = 4095
)

// seccompFilter is one installed filter, linked to the filters installed
// before it. Immutable; shared by the chains of every task that inherited
// it.
type seccompFilter struct {
	prog *bpf.Program
	prev *seccompFilter
	// count is the number of filters in the chain ending here, and
	// pathInsns the instructions they run, with the per-filter penalty.
	count     int
	pathInsns int
}

// seccompState is a task's seccomp mode and, in filter mode, its newest
// filter. Immutable.
type seccompState struct {
	mode   int
	filter *seccompFilter
}

var strictState = &seccompState{mode: SeccompModeStrict}

// SeccompMode returns the task's mode (PR_GET_SECCOMP, /proc).
func (t *Task) SeccompMode() int {
	if s := t.seccomp.Load(); s != nil {
		return s.mode
	}
	return SeccompModeDisabled
}

// SeccompFilters returns the number of filters on the task's chain.
func (t *Task) SeccompFilters() int {
	if s := t.seccomp.Load(); s != nil && s.filter != nil {
		return s.filter.count
	}
	return 0
}

// NoNewPrivs reports the task's no_new_privs bit.
func (t *Task) NoNewPrivs() bool { return t.noNewPrivs.Load() }

// SetNoNewPrivs sets the no_new_privs bit, which is never cleared.
func (t *Task) SetNoNewPrivs() { t.noNewPrivs.Store(true) }

// SetSeccompStrict puts the task in strict mode (SECCOMP_SET_MODE_STRICT),
// or answers EINVAL if it has filters.
func (t *Task) SetSeccompStrict() error {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	if s := t.seccomp.Load(); s != nil && s.mode != SeccompModeStrict {
		return unix.EINVAL
	}
	t.seccomp.Store(strictState)
	return nil
}

// AddSeccompFilter stacks prog on the task's chain
// (SECCOMP_SET_MODE_FILTER). With SeccompFlagTsync every thread of the
// process gets the new chain, provided each one's chain is the caller's
// or an ancestor of it; if one's is not, nothing changes and the answer
// is that thread's TID (or ESRCH with SeccompFlagTsyncEsrch), as Linux's
// seccomp_can_sync_threads.
// Preconditions: the caller checked flags and no_new_privs.
func (t *Task) AddSeccompFilter(prog *bpf.Program, flags uint32) (int32, error) {
	tg := t.tg
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	var prev *seccompFilter
	if s := t.seccomp.Load(); s != nil {
		if s.mode != SeccompModeFilter {
			return 0, unix.EINVAL
		}
		prev = s.filter
	}
	f := &seccompFilter{prog: prog, prev: prev, count: 1, pathInsns: prog.Len() + 4}
	if prev != nil {
		f.count += prev.count
		f.pathInsns += prev.pathInsns
	}
	// As Linux counts it: the new program, and the older ones with
	// their penalty.
	if f.pathInsns-4 > maxSeccompPathInsns {
		return 0, unix.ENOMEM
	}
	if flags&SeccompFlagTsync != 0 {
		for _, o := range tg.tasks {
			if o != t && !o.seccompSyncableLocked(prev) {
				if flags&SeccompFlagTsyncEsrch != 0 {
					return 0, unix.ESRCH
				}
				return o.TID(), nil
			}
		}
	}
	s := &seccompState{mode: SeccompModeFilter, filter: f}
	t.seccomp.Store(s)
	if flags&SeccompFlagTsync != 0 {
		nnp := t.noNewPrivs.Load()
		for _, o := range tg.tasks {
			o.seccomp.Store(s)
			if nnp {
				o.noNewPrivs.Store(true)
			}
		}
	}
	return 0, nil
}

// seccompSyncableLocked reports whether t's chain may be replaced by one
// stacked on chain: t has no filters, or its newest filter is on chain.
// Preconditions: t.tg.sigMu is held.
func (t *Task) seccompSyncableLocked(chain *seccompFilter) bool {
	s := t.seccomp.Load()
	if s == nil {
		return true
	}
	if s.mode != SeccompModeFilter {
		return false
	}
	for f := chain; f != nil; f = f.prev {
		if f == s.filter {
			return true
		}
	}
	return false
}

// inheritSeccompLocked gives child, a new thread or process, t's filters
// and no_new_privs bit.
// Preconditions: t.tg.sigMu is held.
func (t *Task) inheritSeccompLocked(child *Task) {
	child.seccomp.Store(t.seccomp.Load())
	child.noNewPrivs.Store(t.noNewPrivs.Load())
}

// seccompData returns what the filters see of the task's system call.
func (t *Task) seccompData() bpf.Data {
	r := &t.st.Regs
	return bpf.Data{
		Nr:   int32(r.Orig_rax),
		Arch: bpf.AuditArchX86_64,
		IP:   r.Rip,
		Args: [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9},
	}
}

// runSeccomp runs every filter of the chain ending at f and returns the
// result of highest precedence; among equals, the newest filter's (its
// data), as Linux's seccomp_run_filters. Precedence is the action's
// order as a signed number: KILL_PROCESS (negative) first, ALLOW last.
func runSeccomp(f *seccompFilter, d *bpf.Data) uint32 {
	ret := uint32(unix.SECCOMP_RET_ALLOW)
	for ; f != nil; f = f.prev {
		cur := f.prog.Run(d)
		if int32(cur&seccompRetActionFull) < int32(ret&seccompRetActionFull) {
			ret = cur
		}
	}
	return ret
}

// seccompAllows checks the task's system call against its seccomp state
// and carries out the verdict; it reports whether the call may run. If
// not, the registers already hold the result, or the task is dying.
func (t *Task) seccompAllows(s *seccompState) bool {
	d := t.seccompData()
	if s.mode == SeccompModeStrict {
		switch d.Nr {
		case unix.SYS_READ, unix.SYS_WRITE, unix.SYS_EXIT, unix.SYS_RT_SIGRETURN:
			return true
		}
		// Linux's do_exit(SIGKILL): the thread alone dies.
		t.seccompKillThread(linux.SIGKILL, false)
		return false
	}
	return t.seccompAct(runSeccomp(s.filter, &d), &d, false)
}

// seccompAct carries out filter result ret for the call d, as Linux's
// __seccomp_filter; recheck is set for the second run after a tracer
// let a traced call go on, where TRACE means ALLOW.
func (t *Task) seccompAct(ret uint32, d *bpf.Data, recheck bool) bool {
	data := ret & seccompRetData
	switch ret & seccompRetActionFull {
	case unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_LOG:
		return true
	case unix.SECCOMP_RET_ERRNO:
		if data > seccompMaxErrno {
			data = seccompMaxErrno
		}
		t.st.Regs.Rax = uint64(-int64(data))
		return false
	case unix.SECCOMP_RET_TRAP:
		// The handler sees the call's number in rax, as after Linux's
		// syscall_rollback.
		t.st.Regs.Rax = t.st.Regs.Orig_rax
		t.forceSignal(&linux.SignalInfo{Signo: int32(linux.SIGSYS), Code: linux.SYS_SECCOMP,
			Errno: int32(data), Addr: d.IP, Syscall: d.Nr, Arch: d.Arch})
		return false
	case unix.SECCOMP_RET_USER_NOTIF:
		// No filter has a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER
		// is refused): Linux answers ENOSYS then.
		t.setErrno(unix.ENOSYS)
		return false
	case unix.SECCOMP_RET_TRACE:
		if recheck {
			return true
		}
		return t.seccompTrace(data)
	case unix.SECCOMP_RET_KILL_THREAD:
		t.seccompKillThread(linux.SIGSYS, true)
		return false
	}
	// SECCOMP_RET_KILL_PROCESS and any unknown action.
	t.exitGroup(linux.Killed(linux.SIGSYS, true))
	return false
}

// seccompTrace is SECCOMP_RET_TRACE: a PTRACE_EVENT_SECCOMP stop with the
// data as event message if the tracer asked for it (else ENOSYS); the
// tracer may skip the call (orig_rax = -1) or change it, and a changed
// call is checked again. A tracer that resumes with PTRACE_SYSCALL gets
// the call's syscall-exit stop, as since Linux 4.8.
func (t *Task) seccompTrace(data uint32) bool {
	t.setErrno(unix.ENOSYS)
	if !t.ptraceEvent(PtraceEventSeccomp, PtraceOTraceSeccomp, uint64(data)) || t.dying() {
		return false
	}
	t.k.mu.Lock()
	if t.ptrace.mode == resumeSyscall {
		t.ptrace.inSyscall = true
	}
	t.k.mu.Unlock()
	if int64(t.st.Regs.Orig_rax) < 0 {
		return false
	}
	s := t.seccomp.Load()
	d := t.seccompData()
	return t.seccompAct(runSeccomp(s.filter, &d), &d, true)
}

// seccompKillThread ends the thread with signal sig, as Linux's
// do_exit(sig); the last thread of a process takes the whole process
// down instead, with a core dump if core says so (force_sig_seccomp).
func (t *Task) seccompKillThread(sig linux.Signal, core bool) {
	t.tg.sigMu.Lock()
	last := len(t.tg.tasks) == 1
	t.tg.sigMu.Unlock()
	if last {
		t.exitGroup(linux.Killed(sig, core))
		return
	}
	t.exitThread = true
	t.exitCode = linux.Killed(sig, false)
}
