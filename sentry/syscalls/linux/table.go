package linux

import (
	"golang.org/x/sys/unix"
)

// maxSyscall bounds the table (x86-64 numbers stay below it).
const maxSyscall = 512

// Notes shared by several rows.
const (
	noteXattr = "no extended attributes are stored: get and remove answer ENODATA, list an empty " +
		"list, set EOPNOTSUPP, as on a file system without xattrs"
	noteSync = "nothing is flushed: tmpfs and overlay layers live in memory, and gofer files, " +
		"whose writes reach the host file at once, are not fsynced on the host"
	noteRlimit = "limits are kept per process, start from process.rlimits, and RLIMIT_NOFILE and RLIMIT_FSIZE " +
		"are enforced (stacks grow to 8 MiB whatever RLIMIT_STACK says; RLIMIT_AS, RLIMIT_DATA, RLIMIT_NPROC, " +
		"RLIMIT_CPU, RLIMIT_MEMLOCK are only reported)"
	noteAccess = "permission checks, here as for every path, ignore supplementary groups"
	noteSetID  = "root (EUID 0) holds every capability and other users none, so the privileged " +
		"rules apply to EUID 0"
	notePollTimeout = "the timeout is not updated with the time left (Linux updates it)"
	noteSigqueue    = "queueing to another process skips kill(2)'s permission check and the container " +
		"init's protection, and signal 0 (an existence probe on Linux) answers EINVAL"
	noteSocket = "AF_UNIX only (sentry/socket/unix): other families answer ENOSYS, as there is no network " +
		"stack yet (--network=none only)"
	noteUnixNames  = "abstract names and autobind; path names answer EOPNOTSUPP (no socket files in the VFS yet)"
	noteSocketData = "MSG_OOB answers EOPNOTSUPP; SCM_RIGHTS and SCM_CREDENTIALS only; sockets in flight " +
		"that nobody can receive are collected at the next socket release, as by Linux's unix_gc; the files " +
		"in flight in the sandbox are capped at the sender's RLIMIT_NOFILE (ETOOMANYREFS), for root too " +
		"(Linux exempts CAP_SYS_ADMIN)"
	noteSockopt = "SOL_SOCKET only (other levels answer EOPNOTSUPP): SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, " +
		"SO_SNDBUF, SO_RCVBUF, SO_ACCEPTCONN, SO_PEERCRED, SO_PASSCRED, SO_RCVTIMEO, SO_SNDTIMEO; SO_LINGER, " +
		"SO_REUSEADDR, SO_KEEPALIVE and a few others are kept and change nothing; the rest answer ENOPROTOOPT"
	noteEpoll   = "EPOLLWAKEUP is accepted and has no effect (nothing suspends); max_user_watches (ENOSPC) is not enforced"
	noteEventfd = "no /proc/[pid]/fdinfo (eventfd-count); lseek answers ESPIPE where Linux's noop_llseek answers 0"
	noteFDEvent = "not implemented yet (inotify)"
	noteCPUTime = "CPU time is the time threads run application code (user time); CPU-time timers " +
		"(ITIMER_VIRTUAL, ITIMER_PROF, CPU clocks) are checked every 4 ms and ITIMER_PROF counts as ITIMER_VIRTUAL"
	noteSysV   = "System V IPC is not implemented"
	noteNS     = "namespaces and mounts cannot be changed from inside the sandbox"
	notePtrace = "between the sandbox's processes; any thread of the tracing process may make requests; " +
		"no hardware breakpoints (debug registers read 0 and only 0 may be written); a traced child's " +
		"parent is told of its exit without waiting for the tracer; PTRACE_O_SUSPEND_SECCOMP is accepted and ignored"
	noteSched = "policies and priorities are recorded and reported per thread, checked as Linux checks them; " +
		"the host schedules every thread as SCHED_OTHER"
	noteSplice = "not implemented; sendfile is"
)

// syscalls is the system-call table: for each number the sentry knows, its
// name, handler and how complete it is. Anything with no handler, listed
// or not, answers ENOSYS and is logged once (with --debug).
var syscalls = map[uintptr]entry{
	// Memory.
	unix.SYS_MMAP: {"mmap", Mmap, Partial, "MAP_SHARED file mappings are private copies: writes never reach " +
		"the file or other mappings of it; MAP_POPULATE, MAP_LOCKED, MAP_HUGETLB and MAP_NORESERVE have no effect"},
	unix.SYS_MPROTECT: {"mprotect", Mprotect, Partial, "PROT_GROWSDOWN and PROT_GROWSUP are accepted and ignored"},
	unix.SYS_MUNMAP:   {"munmap", Munmap, Supported, ""},
	unix.SYS_BRK:      {"brk", Brk, Supported, ""},
	unix.SYS_MREMAP:   {"mremap", Mremap, Partial, "an old_size of 0 (duplicating a shared mapping) answers EINVAL"},
	unix.SYS_MADVISE: {"madvise", Madvise, Supported, "MADV_DONTNEED, MADV_FREE and MADV_REMOVE drop private pages; " +
		"MADV_DONTFORK/DOFORK and MADV_WIPEONFORK/KEEPONFORK change what fork copies; other advice is accepted and ignored"},
	unix.SYS_MSYNC:      {"msync", Msync, Partial, "checks the range only: tmpfs shared mappings are the file already; gofer files' shared mappings are private copies, nothing is written back"},
	unix.SYS_MLOCK:      {"mlock", Mlock, Supported, "accounting only (the sentry never swaps): RLIMIT_MEMLOCK without CAP_IPC_LOCK, VmLck"},
	unix.SYS_MLOCK2:     {"mlock2", Mlock2, Supported, "as mlock; MLOCK_ONFAULT accepted"},
	unix.SYS_MUNLOCK:    {"munlock", Munlock, Supported, "the range must be mapped"},
	unix.SYS_MLOCKALL:   {"mlockall", Mlockall, Supported, "MCL_CURRENT and MCL_FUTURE, accounted as mlock"},
	unix.SYS_MUNLOCKALL: {"munlockall", Munlockall, Supported, ""},
	unix.SYS_MINCORE:    {"mincore", Mincore, Supported, "a page is resident once the sandbox populated it"},
	unix.SYS_MEMBARRIER: {"membarrier", Membarrier, Partial, "every barrier is the host's MEMBARRIER_CMD_GLOBAL " +
		"(an RCU grace period, slower than Linux's expedited IPIs); MEMBARRIER_CMD_*_RSEQ answer EINVAL"},

	// Signals.
	unix.SYS_RT_SIGACTION:   {"rt_sigaction", RtSigaction, Supported, ""},
	unix.SYS_RT_SIGPROCMASK: {"rt_sigprocmask", RtSigprocmask, Supported, ""},
	unix.SYS_RT_SIGRETURN:   {"rt_sigreturn", RtSigreturn, Supported, ""},
	unix.SYS_RT_SIGPENDING:  {"rt_sigpending", RtSigpending, Supported, ""},
	unix.SYS_RT_SIGSUSPEND:  {"rt_sigsuspend", RtSigsuspend, Supported, ""},
	unix.SYS_SIGALTSTACK: {"sigaltstack", Sigaltstack, Partial, "SS_AUTODISARM, and SS_ONSTACK as an input flag " +
		"(accepted by Linux for compatibility), answer EINVAL"},
	unix.SYS_RT_SIGTIMEDWAIT:   {"rt_sigtimedwait", RtSigtimedwait, Supported, ""},
	unix.SYS_RT_SIGQUEUEINFO:   {"rt_sigqueueinfo", RtSigqueueinfo, Partial, noteSigqueue},
	unix.SYS_RT_TGSIGQUEUEINFO: {"rt_tgsigqueueinfo", RtTgsigqueueinfo, Partial, noteSigqueue + "; tgid must be tid (no threads)"},
	unix.SYS_PAUSE:             {"pause", Pause, Supported, ""},
	unix.SYS_ALARM:             {"alarm", Alarm, Supported, ""},
	unix.SYS_SETITIMER:         {"setitimer", Setitimer, Partial, noteCPUTime},
	unix.SYS_GETITIMER:         {"getitimer", Getitimer, Partial, noteCPUTime},
	unix.SYS_KILL:              {"kill", Kill, Supported, ""},
	unix.SYS_TKILL:             {"tkill", Tkill, Supported, ""},
	unix.SYS_TGKILL:            {"tgkill", Tgkill, Supported, ""},
	unix.SYS_SIGNALFD:          {"signalfd", Signalfd, Partial, noteSignalfd},
	unix.SYS_SIGNALFD4:         {"signalfd4", Signalfd4, Partial, noteSignalfd},
	unix.SYS_TIMER_CREATE:      {"timer_create", TimerCreate, Partial, noteCPUTime},
	unix.SYS_TIMER_SETTIME:     {"timer_settime", TimerSettime, Supported, ""},
	unix.SYS_TIMER_GETTIME:     {"timer_gettime", TimerGettime, Supported, ""},
	unix.SYS_TIMER_GETOVERRUN:  {"timer_getoverrun", TimerGetoverrun, Supported, ""},
	unix.SYS_TIMER_DELETE:      {"timer_delete", TimerDelete, Supported, ""},

	// Processes.
	unix.SYS_GETPID:  {"getpid", Getpid, Supported, ""},
	unix.SYS_GETTID:  {"gettid", Gettid, Supported, ""},
	unix.SYS_GETPPID: {"getppid", Getppid, Supported, ""},
	unix.SYS_FORK:    {"fork", Fork, Supported, ""},
	unix.SYS_VFORK:   {"vfork", Vfork, Supported, ""},
	unix.SYS_CLONE: {"clone", Clone, Partial, "CLONE_SIGHAND without CLONE_THREAD copies the handlers instead of " +
		"sharing them; CLONE_SYSVSEM has nothing to share (no System V " +
		"IPC); CLONE_NEW* answer EPERM"},
	unix.SYS_CLONE3: {"clone3", Clone3, Partial, "set_tid answers EPERM (no CAP_SYS_ADMIN in the sandbox's PID namespace); " +
		"CLONE_INTO_CGROUP and CLONE_CLEAR_SIGHAND answer EINVAL"},
	unix.SYS_EXECVE:          {"execve", Execve, Partial, "set-user-ID and set-group-ID bits are ignored"},
	unix.SYS_EXECVEAT:        {"execveat", Execveat, Partial, "relative to dirfd, and fexecve (AT_EMPTY_PATH), by the file's path: an unlinked file or a memfd answers ENOENT; set-ID bits are ignored"},
	unix.SYS_EXIT:            {"exit", Exit, Supported, ""},
	unix.SYS_EXIT_GROUP:      {"exit_group", ExitGroup, Supported, ""},
	unix.SYS_WAIT4:           {"wait4", Wait4, Partial, "the rusage is all zeros"},
	unix.SYS_WAITID:          {"waitid", Waitid, Partial, "the rusage argument is not written"},
	unix.SYS_SET_TID_ADDRESS: {"set_tid_address", SetTidAddress, Supported, ""},
	unix.SYS_SET_ROBUST_LIST: {"set_robust_list", SetRobustList, Supported, "walked at exit and execve (2048 entries at most)"},
	unix.SYS_GET_ROBUST_LIST: {"get_robust_list", GetRobustList, Supported, ""},
	unix.SYS_FUTEX: {"futex", Futex, Partial, "every operation but FUTEX_FD (ENOSYS); PI futexes follow the protocol " +
		"(owner TID, FUTEX_WAITERS, hand-over on unlock, FUTEX_OWNER_DIED from the robust list) but boost no " +
		"priority, and a PI lock whose owner dies without a robust list keeps its waiters waiting; a MAP_SHARED " +
		"file mapping's futexes are keyed by open file and offset"},
	unix.SYS_FUTEX_WAITV:       {"futex_waitv", FutexWaitv, Supported, ""},
	unix.SYS_RESTART_SYSCALL:   {"restart_syscall", RestartSyscall, Supported, "resumes timed futex waits"},
	unix.SYS_GETPGID:           {"getpgid", Getpgid, Supported, ""},
	unix.SYS_GETPGRP:           {"getpgrp", Getpgrp, Supported, ""},
	unix.SYS_SETPGID:           {"setpgid", Setpgid, Supported, ""},
	unix.SYS_GETSID:            {"getsid", Getsid, Supported, ""},
	unix.SYS_SETSID:            {"setsid", Setsid, Supported, ""},
	unix.SYS_PROCESS_VM_READV:  {"process_vm_readv", ProcessVMReadv, Supported, ""},
	unix.SYS_PROCESS_VM_WRITEV: {"process_vm_writev", ProcessVMWritev, Supported, ""},
	unix.SYS_PERSONALITY:       {"personality", Personality, Partial, "kept and reported; every process runs as PER_LINUX"},
	unix.SYS_PTRACE:            {"ptrace", Ptrace, Partial, notePtrace},
	unix.SYS_PIDFD_OPEN:        {"pidfd_open", PidfdOpen, Supported, ""},
	unix.SYS_PIDFD_GETFD:       {"pidfd_getfd", PidfdGetfd, Supported, ""},
	unix.SYS_PIDFD_SEND_SIGNAL: {"pidfd_send_signal", PidfdSendSignal, Supported, ""},
	unix.SYS_RSEQ:              {"rseq", nil, Unsupported, "restartable sequences are not implemented: glibc runs without them on ENOSYS"},

	// Identity and capabilities.
	unix.SYS_UNAME:         {"uname", Uname, Supported, "the sandbox's own release and version, never the host's, and its UTS names"},
	unix.SYS_SETHOSTNAME:   {"sethostname", Sethostname, Supported, "the sandbox's UTS namespace; CAP_SYS_ADMIN"},
	unix.SYS_SETDOMAINNAME: {"setdomainname", Setdomainname, Supported, "the sandbox's UTS namespace; CAP_SYS_ADMIN"},
	unix.SYS_GETUID:        {"getuid", Getuid, Supported, ""},
	unix.SYS_GETEUID:       {"geteuid", Geteuid, Supported, ""},
	unix.SYS_GETGID:        {"getgid", Getgid, Supported, ""},
	unix.SYS_GETEGID:       {"getegid", Getegid, Supported, ""},
	unix.SYS_GETRESUID:     {"getresuid", Getresuid, Supported, ""},
	unix.SYS_GETRESGID:     {"getresgid", Getresgid, Supported, ""},
	unix.SYS_GETGROUPS:     {"getgroups", Getgroups, Supported, ""},
	unix.SYS_SETGROUPS:     {"setgroups", Setgroups, Supported, noteSetID},
	unix.SYS_SETUID:        {"setuid", Setuid, Supported, noteSetID},
	unix.SYS_SETGID:        {"setgid", Setgid, Supported, noteSetID},
	unix.SYS_SETRESUID:     {"setresuid", Setresuid, Supported, noteSetID},
	unix.SYS_SETRESGID:     {"setresgid", Setresgid, Supported, noteSetID},
	unix.SYS_SETREUID:      {"setreuid", Setreuid, Supported, noteSetID},
	unix.SYS_SETREGID:      {"setregid", Setregid, Supported, noteSetID},
	unix.SYS_SETFSUID:      {"setfsuid", Setfsuid, Partial, "the file-system IDs always follow the effective ones: it changes nothing and returns the EUID"},
	unix.SYS_SETFSGID:      {"setfsgid", Setfsgid, Partial, "the file-system IDs always follow the effective ones: it changes nothing and returns the EGID"},
	unix.SYS_CAPGET:        {"capget", Capget, Supported, "any thread's sets; header versions 1 to 3"},
	unix.SYS_CAPSET:        {"capset", Capset, Supported, "the caller's own sets, with Linux's rules (inheritable within the bounding set, permitted only shrinks)"},
	unix.SYS_ARCH_PRCTL:    {"arch_prctl", ArchPrctl, Partial, "ARCH_SET_FS, ARCH_GET_FS, ARCH_SET_GS and ARCH_GET_GS only; others answer EINVAL"},
	unix.SYS_PRCTL: {"prctl", Prctl, Partial, "PR_SET/GET_NAME, PR_SET/GET_PDEATHSIG, PR_SET/GET_NO_NEW_PRIVS, " +
		"PR_SET/GET_SECCOMP, PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT and PR_SET/GET_KEEPCAPS work; PR_SET_DUMPABLE, " +
		"PR_SET_CHILD_SUBREAPER and PR_SET_TIMERSLACK are accepted and do nothing (orphans still go to init, not " +
		"to a subreaper); PR_GET_DUMPABLE answers 1, PR_GET_CHILD_SUBREAPER 0; other options answer EINVAL"},
	unix.SYS_SECCOMP: {"seccomp", Seccomp, Partial, "strict mode and filters, checked by the sentry on every " +
		"system call (TSYNC, LOG and SPEC_ALLOW flags accepted); SECCOMP_FILTER_FLAG_NEW_LISTENER answers EINVAL " +
		"(no user notification: a SECCOMP_RET_USER_NOTIF result answers ENOSYS, as Linux without a listener); " +
		"SECCOMP_RET_LOG writes no audit record; MAX_INSNS_PER_PATH counts classic instructions (Linux counts them " +
		"converted to eBPF, so fewer large filters fit there); a vsyscall's instruction_pointer is its return address, " +
		"not the vsyscall page address"},

	// Resources, scheduling, randomness.
	unix.SYS_GETRANDOM: {"getrandom", Getrandom, Partial, "at most 1 MiB per call (a short count beyond); " +
		"GRND_RANDOM with GRND_INSECURE is not refused (EINVAL on Linux)"},
	unix.SYS_PRLIMIT64: {"prlimit64", Prlimit64, Partial, noteRlimit},
	unix.SYS_GETRLIMIT: {"getrlimit", Getrlimit, Partial, noteRlimit},
	unix.SYS_SETRLIMIT: {"setrlimit", Setrlimit, Partial, noteRlimit},
	unix.SYS_GETRUSAGE: {"getrusage", Getrusage, Partial, "only ru_utime, the time the application ran; ru_stime " +
		"and the other fields are zero; RUSAGE_THREAD is RUSAGE_SELF"},
	unix.SYS_SYSINFO: {"sysinfo", Sysinfo, Partial, "uptime, the host's total and free RAM and the process count; " +
		"loads, shared and buffer RAM and swap are zero"},
	unix.SYS_SCHED_GETAFFINITY: {"sched_getaffinity", SchedGetaffinity, Supported, "the sandbox shows the CPUs the sentry may use, numbered from 0"},
	unix.SYS_SCHED_SETAFFINITY: {"sched_setaffinity", SchedSetaffinity, Partial, "recorded, reported (sched_getaffinity, getcpu) and applied: the thread's host threads are pinned to a CPU of the mask"},
	unix.SYS_SCHED_YIELD:       {"sched_yield", SchedYield, Supported, ""},
	unix.SYS_GETCPU:            {"getcpu", Getcpu, Partial, "the CPU the caller's context is pinned to, inside its affinity (the vDSO reads the same from the host without a trap), on node 0"},
	unix.SYS_GETPRIORITY:       {"getpriority", Getpriority, Partial, "PRIO_PROCESS only: PRIO_PGRP and PRIO_USER answer EINVAL"},
	unix.SYS_SETPRIORITY: {"setpriority", Setpriority, Partial, "PRIO_PROCESS only; nice values are recorded, " +
		"not scheduled by; lowering one checks the target's EUID, not the caller's, and any process may " +
		"renice any other"},
	unix.SYS_SCHED_GETSCHEDULER:     {"sched_getscheduler", SchedGetscheduler, Partial, noteSched},
	unix.SYS_SCHED_SETSCHEDULER:     {"sched_setscheduler", SchedSetscheduler, Partial, noteSched},
	unix.SYS_SCHED_GETPARAM:         {"sched_getparam", SchedGetparam, Partial, noteSched},
	unix.SYS_SCHED_SETPARAM:         {"sched_setparam", SchedSetparam, Partial, noteSched},
	unix.SYS_SCHED_GET_PRIORITY_MAX: {"sched_get_priority_max", SchedGetPriorityMax, Supported, ""},
	unix.SYS_SCHED_GET_PRIORITY_MIN: {"sched_get_priority_min", SchedGetPriorityMin, Supported, ""},
	unix.SYS_SCHED_RR_GET_INTERVAL:  {"sched_rr_get_interval", SchedRRGetInterval, Partial, noteSched},

	// Time.
	unix.SYS_CLOCK_GETTIME: {"clock_gettime", ClockGettime, Partial, "served by the vDSO without a trap for " +
		"REALTIME, MONOTONIC, _RAW, _COARSE and BOOTTIME (sentry/vdso; the syscall reads the same data page); " +
		"MONOTONIC_RAW and BOOTTIME are MONOTONIC, the coarse clocks are the precise ones; " +
		"CPU-time clocks count user time only; " +
		"CLOCK_TAI is CLOCK_REALTIME; other processes' CPU clocks answer EINVAL"},
	unix.SYS_CLOCK_GETRES: {"clock_getres", ClockGetres, Supported, "1 ns for every clock, the coarse ones included (also in the vDSO)"},
	unix.SYS_GETTIMEOFDAY: {"gettimeofday", Gettimeofday, Supported, "the timezone is zero; the vDSO and the vsyscall page serve it too"},
	unix.SYS_TIME:         {"time", Time, Supported, "the vDSO and the vsyscall page serve it too"},
	unix.SYS_NANOSLEEP:    {"nanosleep", Nanosleep, Supported, ""},
	unix.SYS_CLOCK_NANOSLEEP: {"clock_nanosleep", ClockNanosleep, Partial, "on a CPU-time clock it sleeps for " +
		"wall time (Linux: EINVAL for CLOCK_THREAD_CPUTIME_ID)"},
	unix.SYS_TIMES: {"times", Times, Partial, "tms_stime and tms_cstime are zero (system time is not accounted)"},

	// Pipes and I/O.
	unix.SYS_PIPE:            {"pipe", Pipe, Supported, ""},
	unix.SYS_PIPE2:           {"pipe2", Pipe2, Partial, "O_DIRECT is accepted, but the pipe stays a byte stream (no packet mode)"},
	unix.SYS_READ:            {"read", Read, Supported, ""},
	unix.SYS_WRITE:           {"write", Write, Supported, ""},
	unix.SYS_PREAD64:         {"pread64", Pread64, Supported, ""},
	unix.SYS_PWRITE64:        {"pwrite64", Pwrite64, Supported, ""},
	unix.SYS_READV:           {"readv", Readv, Supported, ""},
	unix.SYS_WRITEV:          {"writev", Writev, Supported, ""},
	unix.SYS_PREADV:          {"preadv", Preadv, Supported, ""},
	unix.SYS_PWRITEV:         {"pwritev", Pwritev, Supported, ""},
	unix.SYS_PREADV2:         {"preadv2", Preadv2, Partial, "RWF_* flags are accepted and ignored, unknown ones too (Linux: EOPNOTSUPP)"},
	unix.SYS_PWRITEV2:        {"pwritev2", Pwritev2, Partial, "RWF_* flags are accepted and ignored, unknown ones too (Linux: EOPNOTSUPP)"},
	unix.SYS_LSEEK:           {"lseek", Lseek, Supported, "SEEK_DATA and SEEK_HOLE see no holes: the whole file is data"},
	unix.SYS_SENDFILE:        {"sendfile", Sendfile, Supported, ""},
	unix.SYS_SPLICE:          {"splice", nil, Unsupported, noteSplice},
	unix.SYS_TEE:             {"tee", nil, Unsupported, noteSplice},
	unix.SYS_VMSPLICE:        {"vmsplice", nil, Unsupported, noteSplice},
	unix.SYS_COPY_FILE_RANGE: {"copy_file_range", nil, Unsupported, noteSplice},
	unix.SYS_IO_URING_SETUP:  {"io_uring_setup", nil, Unsupported, "io_uring is not implemented"},

	// Descriptors and the file-system context.
	unix.SYS_OPEN: {"open", Open, Partial, "O_DIRECT has no effect; opening a file without a dentry (a pipe) " +
		"through /proc/PID/fd returns the same description, not a new one"},
	unix.SYS_OPENAT:            {"openat", Openat, Partial, "as open"},
	unix.SYS_CREAT:             {"creat", Creat, Supported, ""},
	unix.SYS_CLOSE:             {"close", Close, Supported, ""},
	unix.SYS_CLOSE_RANGE:       {"close_range", CloseRange, Supported, "CLOSE_RANGE_UNSHARE has nothing to do: FD tables are never shared"},
	unix.SYS_DUP:               {"dup", Dup, Supported, ""},
	unix.SYS_DUP2:              {"dup2", Dup2, Supported, ""},
	unix.SYS_DUP3:              {"dup3", Dup3, Supported, ""},
	unix.SYS_GETCWD:            {"getcwd", Getcwd, Supported, ""},
	unix.SYS_CHDIR:             {"chdir", Chdir, Supported, ""},
	unix.SYS_FCHDIR:            {"fchdir", Fchdir, Supported, ""},
	unix.SYS_CHROOT:            {"chroot", Chroot, Supported, ""},
	unix.SYS_UMASK:             {"umask", Umask, Supported, ""},
	unix.SYS_MEMFD_CREATE:      {"memfd_create", MemfdCreate, Partial, noteMemfd},
	unix.SYS_EVENTFD:           {"eventfd", Eventfd, Partial, noteEventfd},
	unix.SYS_EVENTFD2:          {"eventfd2", Eventfd2, Partial, noteEventfd},
	unix.SYS_TIMERFD_CREATE:    {"timerfd_create", TimerfdCreate, Partial, noteTimerfd},
	unix.SYS_TIMERFD_SETTIME:   {"timerfd_settime", TimerfdSettime, Partial, noteTimerfd},
	unix.SYS_TIMERFD_GETTIME:   {"timerfd_gettime", TimerfdGettime, Supported, ""},
	unix.SYS_INOTIFY_INIT:      {"inotify_init", nil, Unsupported, noteFDEvent},
	unix.SYS_INOTIFY_INIT1:     {"inotify_init1", nil, Unsupported, noteFDEvent},
	unix.SYS_INOTIFY_ADD_WATCH: {"inotify_add_watch", nil, Unsupported, noteFDEvent},
	unix.SYS_INOTIFY_RM_WATCH:  {"inotify_rm_watch", nil, Unsupported, noteFDEvent},

	// Attributes.
	unix.SYS_STAT:       {"stat", Stat, Supported, ""},
	unix.SYS_FSTAT:      {"fstat", Fstat, Supported, ""},
	unix.SYS_LSTAT:      {"lstat", Lstat, Supported, ""},
	unix.SYS_NEWFSTATAT: {"newfstatat", Newfstatat, Supported, ""},
	unix.SYS_STATX:      {"statx", Statx, Supported, "the basic fields (stx_mask says STATX_BASIC_STATS); no btime, attributes or mount ID"},
	unix.SYS_STATFS:     {"statfs", Statfs, Partial, "f_flags and f_fsid are zero: a read-only mount is not reported ST_RDONLY"},
	unix.SYS_FSTATFS:    {"fstatfs", Fstatfs, Partial, "f_flags and f_fsid are zero: a read-only mount is not reported ST_RDONLY"},

	// Paths.
	unix.SYS_ACCESS:     {"access", Access, Partial, noteAccess},
	unix.SYS_FACCESSAT:  {"faccessat", Faccessat, Partial, noteAccess},
	unix.SYS_FACCESSAT2: {"faccessat2", Faccessat2, Partial, noteAccess},
	unix.SYS_MKDIR:      {"mkdir", Mkdir, Supported, ""},
	unix.SYS_MKDIRAT:    {"mkdirat", Mkdirat, Supported, ""},
	unix.SYS_MKNOD:      {"mknod", Mknod, Supported, ""},
	unix.SYS_MKNODAT:    {"mknodat", Mknodat, Supported, ""},
	unix.SYS_RMDIR:      {"rmdir", Rmdir, Supported, ""},
	unix.SYS_UNLINK:     {"unlink", Unlink, Supported, ""},
	unix.SYS_UNLINKAT:   {"unlinkat", Unlinkat, Supported, ""},
	unix.SYS_RENAME:     {"rename", Rename, Supported, ""},
	unix.SYS_RENAMEAT:   {"renameat", Renameat, Supported, ""},
	unix.SYS_RENAMEAT2:  {"renameat2", Renameat2, Partial, "RENAME_NOREPLACE only: RENAME_EXCHANGE and RENAME_WHITEOUT answer EINVAL"},
	unix.SYS_SYMLINK:    {"symlink", Symlink, Supported, ""},
	unix.SYS_SYMLINKAT:  {"symlinkat", Symlinkat, Supported, ""},
	unix.SYS_LINK:       {"link", Link, Supported, ""},
	unix.SYS_LINKAT:     {"linkat", Linkat, Supported, ""},
	unix.SYS_READLINK:   {"readlink", Readlink, Supported, ""},
	unix.SYS_READLINKAT: {"readlinkat", Readlinkat, Partial, "an empty path (the symlink an O_PATH dirfd is open at) answers ENOENT"},
	unix.SYS_CHMOD:      {"chmod", Chmod, Supported, ""},
	unix.SYS_FCHMOD:     {"fchmod", Fchmod, Supported, ""},
	unix.SYS_FCHMODAT:   {"fchmodat", Fchmodat, Supported, ""},
	unix.SYS_CHOWN:      {"chown", Chown, Supported, ""},
	unix.SYS_FCHOWN:     {"fchown", Fchown, Supported, ""},
	unix.SYS_LCHOWN:     {"lchown", Lchown, Supported, ""},
	unix.SYS_FCHOWNAT:   {"fchownat", Fchownat, Supported, ""},
	unix.SYS_TRUNCATE:   {"truncate", Truncate, Supported, ""},
	unix.SYS_FTRUNCATE:  {"ftruncate", Ftruncate, Supported, ""},
	unix.SYS_UTIMENSAT:  {"utimensat", Utimensat, Supported, ""},
	unix.SYS_UTIME:      {"utime", Utime, Supported, ""},
	unix.SYS_UTIMES:     {"utimes", Utimes, Supported, ""},
	unix.SYS_FUTIMESAT:  {"futimesat", Futimesat, Supported, ""},
	unix.SYS_MOUNT:      {"mount", nil, Unsupported, noteNS},
	unix.SYS_UMOUNT2:    {"umount2", nil, Unsupported, noteNS},
	unix.SYS_PIVOT_ROOT: {"pivot_root", nil, Unsupported, noteNS},
	unix.SYS_UNSHARE:    {"unshare", Unshare, Partial, "CLONE_FILES, CLONE_FS and CLONE_NEWUTS; the other namespaces are the sandbox's: EINVAL"},
	unix.SYS_SETNS:      {"setns", nil, Unsupported, noteNS},

	// Directories.
	unix.SYS_GETDENTS64: {"getdents64", Getdents64, Supported, "the listing is taken by the first call after open or a rewind"},
	unix.SYS_GETDENTS:   {"getdents", Getdents, Supported, "the listing is taken by the first call after open or a rewind"},

	// File control.
	unix.SYS_FCNTL: {"fcntl", Fcntl, Partial, "F_SETOWN, F_GETOWN, F_SETSIG and F_GETSIG are accepted and do nothing " +
		"(no SIGIO; F_GETOWN answers 0); F_GETPIPE_SZ is always 64 KiB and EBADF on a named FIFO; F_SETPIPE_SZ " +
		"resizes nothing and returns its argument unrounded; F_GETOWN_EX, F_SETOWN_EX, leases, F_NOTIFY answer " +
		"EINVAL; seals apply to memfds, and other tmpfs files answer EINVAL (Linux: F_SEAL_SEAL); F_DUPFD at exactly RLIMIT_NOFILE answers EMFILE (Linux: EINVAL)"},
	unix.SYS_FLOCK:     {"flock", Flock, Supported, ""},
	unix.SYS_FSYNC:     {"fsync", Fsync, Partial, noteSync},
	unix.SYS_FDATASYNC: {"fdatasync", Fdatasync, Partial, noteSync},
	unix.SYS_SYNC:      {"sync", Sync, Partial, noteSync},
	unix.SYS_SYNCFS:    {"syncfs", Syncfs, Partial, noteSync},
	unix.SYS_FADVISE64: {"fadvise64", Fadvise64, Supported, "advice is checked and ignored"},
	unix.SYS_FALLOCATE: {"fallocate", Fallocate, Partial, "tmpfs only, with mode 0 or FALLOC_FL_KEEP_SIZE; other " +
		"modes and other file systems answer EOPNOTSUPP"},
	unix.SYS_IOCTL: {"ioctl", Ioctl, Partial, "FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC (which sets O_ASYNC but sends " +
		"no SIGIO); FIONREAD on pipes; SIOCINQ (FIONREAD) and SIOCOUTQ on unix sockets; TCGETS, TCSETS*, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ and " +
		"FIONREAD on host terminals; others answer ENOTTY"},

	// Extended attributes.
	unix.SYS_GETXATTR:     {"getxattr", Getxattr, Partial, noteXattr},
	unix.SYS_LGETXATTR:    {"lgetxattr", Lgetxattr, Partial, noteXattr},
	unix.SYS_FGETXATTR:    {"fgetxattr", Fgetxattr, Partial, noteXattr},
	unix.SYS_LISTXATTR:    {"listxattr", Listxattr, Partial, noteXattr},
	unix.SYS_LLISTXATTR:   {"llistxattr", Llistxattr, Partial, noteXattr},
	unix.SYS_FLISTXATTR:   {"flistxattr", Flistxattr, Partial, noteXattr},
	unix.SYS_SETXATTR:     {"setxattr", Setxattr, Partial, noteXattr},
	unix.SYS_LSETXATTR:    {"lsetxattr", Lsetxattr, Partial, noteXattr},
	unix.SYS_FSETXATTR:    {"fsetxattr", Fsetxattr, Partial, noteXattr},
	unix.SYS_REMOVEXATTR:  {"removexattr", Removexattr, Partial, noteXattr},
	unix.SYS_LREMOVEXATTR: {"lremovexattr", Lremovexattr, Partial, noteXattr},
	unix.SYS_FREMOVEXATTR: {"fremovexattr", Fremovexattr, Partial, noteXattr},

	// Waiting for files.
	unix.SYS_POLL:  {"poll", Poll, Supported, ""},
	unix.SYS_PPOLL: {"ppoll", Ppoll, Partial, notePollTimeout},
	unix.SYS_SELECT: {"select", Select, Partial, notePollTimeout + "; an nfds above RLIMIT_NOFILE answers EINVAL " +
		"where Linux caps it to the FD table"},
	unix.SYS_PSELECT6:      {"pselect6", Pselect6, Partial, notePollTimeout},
	unix.SYS_EPOLL_CREATE:  {"epoll_create", EpollCreate, Supported, ""},
	unix.SYS_EPOLL_CREATE1: {"epoll_create1", EpollCreate1, Supported, ""},
	unix.SYS_EPOLL_CTL:     {"epoll_ctl", EpollCtl, Partial, noteEpoll},
	unix.SYS_EPOLL_WAIT:    {"epoll_wait", EpollWait, Supported, ""},
	unix.SYS_EPOLL_PWAIT:   {"epoll_pwait", EpollPwait, Supported, ""},
	unix.SYS_EPOLL_PWAIT2:  {"epoll_pwait2", EpollPwait2, Supported, ""},

	// Sockets.
	unix.SYS_SOCKET:     {"socket", Socket, Partial, noteSocket},
	unix.SYS_SOCKETPAIR: {"socketpair", Socketpair, Partial, noteSocket},
	unix.SYS_CONNECT:    {"connect", Connect, Partial, noteUnixNames},
	unix.SYS_ACCEPT:     {"accept", Accept, Supported, ""},
	unix.SYS_ACCEPT4:    {"accept4", Accept4, Supported, ""},
	unix.SYS_BIND:       {"bind", Bind, Partial, noteUnixNames},
	unix.SYS_LISTEN:     {"listen", Listen, Supported, ""},
	unix.SYS_SENDTO:     {"sendto", Sendto, Partial, noteSocketData},
	unix.SYS_RECVFROM:   {"recvfrom", Recvfrom, Partial, noteSocketData},
	unix.SYS_SENDMSG:    {"sendmsg", Sendmsg, Partial, noteSocketData},
	unix.SYS_RECVMSG:    {"recvmsg", Recvmsg, Partial, noteSocketData},
	unix.SYS_SENDMMSG:   {"sendmmsg", Sendmmsg, Partial, noteSocketData},
	unix.SYS_RECVMMSG: {"recvmmsg", Recvmmsg, Partial, noteSocketData + "; an error after some messages " +
		"is dropped, not kept for the next call"},
	unix.SYS_SHUTDOWN:    {"shutdown", Shutdown, Supported, ""},
	unix.SYS_GETSOCKNAME: {"getsockname", Getsockname, Supported, ""},
	unix.SYS_GETPEERNAME: {"getpeername", Getpeername, Supported, ""},
	unix.SYS_SETSOCKOPT:  {"setsockopt", Setsockopt, Partial, noteSockopt},
	unix.SYS_GETSOCKOPT:  {"getsockopt", Getsockopt, Partial, noteSockopt},

	// System V IPC.
	unix.SYS_SHMGET: {"shmget", nil, Unsupported, noteSysV},
	unix.SYS_SHMAT:  {"shmat", nil, Unsupported, noteSysV},
	unix.SYS_SHMDT:  {"shmdt", nil, Unsupported, noteSysV},
	unix.SYS_SHMCTL: {"shmctl", nil, Unsupported, noteSysV},
	unix.SYS_SEMGET: {"semget", nil, Unsupported, noteSysV},
	unix.SYS_SEMOP:  {"semop", nil, Unsupported, noteSysV},
	unix.SYS_SEMCTL: {"semctl", nil, Unsupported, noteSysV},
	unix.SYS_MSGGET: {"msgget", nil, Unsupported, noteSysV},
	unix.SYS_MSGSND: {"msgsnd", nil, Unsupported, noteSysV},
	unix.SYS_MSGRCV: {"msgrcv", nil, Unsupported, noteSysV},
	unix.SYS_MSGCTL: {"msgctl", nil, Unsupported, noteSysV},
}
