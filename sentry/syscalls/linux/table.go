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
	noteRlimit = "limits are kept per process; only RLIMIT_NOFILE and RLIMIT_FSIZE are enforced " +
		"(stacks grow to 8 MiB whatever RLIMIT_STACK says; RLIMIT_AS, RLIMIT_DATA, RLIMIT_NPROC, " +
		"RLIMIT_CPU, RLIMIT_MEMLOCK are only reported); until a setrlimit, the FD table allows " +
		"65536 descriptors while RLIMIT_NOFILE reports 1024"
	noteAccess = "permission checks, here as for every path, ignore supplementary groups"
	noteSetID  = "root (EUID 0) holds every capability and other users none, so the privileged " +
		"rules apply to EUID 0"
	notePollTimeout = "the timeout is not updated with the time left (Linux updates it)"
	noteSigqueue    = "queueing to another process skips kill(2)'s permission check and the container " +
		"init's protection, and signal 0 (an existence probe on Linux) answers EINVAL"
	noteSockets = "sockets are not implemented yet (no network stack: --network=none only)"
	noteEpoll   = "epoll is not implemented yet; poll, ppoll, select and pselect6 are"
	noteFDEvent = "not implemented yet (eventfd, timerfd, signalfd, inotify)"
	noteTimers  = "POSIX timers are not implemented yet; alarm and setitimer(ITIMER_REAL) are"
	noteSysV    = "System V IPC is not implemented"
	noteNS      = "namespaces and mounts cannot be changed from inside the sandbox"
	noteSched   = "scheduling policies are not implemented; nice values are (setpriority)"
	noteSplice  = "not implemented; sendfile is"
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
	unix.SYS_MREMAP:   {"mremap", Mremap, Partial, "MREMAP_DONTUNMAP and an old_size of 0 answer EINVAL"},
	unix.SYS_MADVISE: {"madvise", Madvise, Partial, "MADV_DONTNEED, MADV_FREE and MADV_REMOVE drop private pages; " +
		"other advice is accepted and ignored, including MADV_DONTFORK and MADV_WIPEONFORK, so a child still " +
		"gets those pages"},
	unix.SYS_MSYNC:      {"msync", Msync, Partial, "checks the range only: shared file mappings are private copies, nothing is written back"},
	unix.SYS_MLOCK:      {"mlock", Mlock, Supported, "nothing to lock (the sentry never swaps); the range must be mapped; RLIMIT_MEMLOCK is not checked"},
	unix.SYS_MUNLOCK:    {"munlock", Mlock, Supported, "the range must be mapped"},
	unix.SYS_MLOCKALL:   {"mlockall", Mlockall, Supported, "checks the flags only: nothing to lock"},
	unix.SYS_MUNLOCKALL: {"munlockall", Munlockall, Supported, ""},
	unix.SYS_MINCORE:    {"mincore", Mincore, Supported, "a page is resident once the sandbox populated it"},
	unix.SYS_MEMBARRIER: {"membarrier", nil, Unsupported, "not implemented (no threads yet)"},

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
	unix.SYS_SETITIMER:         {"setitimer", Setitimer, Partial, "ITIMER_REAL only: ITIMER_VIRTUAL and ITIMER_PROF answer EINVAL"},
	unix.SYS_GETITIMER:         {"getitimer", Getitimer, Partial, "ITIMER_REAL only: ITIMER_VIRTUAL and ITIMER_PROF answer EINVAL"},
	unix.SYS_KILL:              {"kill", Kill, Supported, ""},
	unix.SYS_TKILL:             {"tkill", Tkill, Supported, ""},
	unix.SYS_TGKILL:            {"tgkill", Tgkill, Supported, "every process has one thread: tid must be tgid"},
	unix.SYS_SIGNALFD:          {"signalfd", nil, Unsupported, noteFDEvent},
	unix.SYS_SIGNALFD4:         {"signalfd4", nil, Unsupported, noteFDEvent},
	unix.SYS_TIMER_CREATE:      {"timer_create", nil, Unsupported, noteTimers},
	unix.SYS_TIMER_SETTIME:     {"timer_settime", nil, Unsupported, noteTimers},
	unix.SYS_TIMER_GETTIME:     {"timer_gettime", nil, Unsupported, noteTimers},
	unix.SYS_TIMER_GETOVERRUN:  {"timer_getoverrun", nil, Unsupported, noteTimers},
	unix.SYS_TIMER_DELETE:      {"timer_delete", nil, Unsupported, noteTimers},

	// Processes.
	unix.SYS_GETPID:  {"getpid", Getpid, Supported, ""},
	unix.SYS_GETTID:  {"gettid", Gettid, Supported, ""},
	unix.SYS_GETPPID: {"getppid", Getppid, Supported, ""},
	unix.SYS_FORK:    {"fork", Fork, Supported, ""},
	unix.SYS_VFORK:   {"vfork", Vfork, Supported, ""},
	unix.SYS_CLONE: {"clone", Clone, Partial, "no threads yet: CLONE_THREAD, and CLONE_VM without CLONE_VFORK, " +
		"answer EINVAL; CLONE_FILES, CLONE_FS and CLONE_SIGHAND copy instead of sharing; CLONE_PIDFD is " +
		"accepted but makes no pidfd; CLONE_NEW* answer EPERM"},
	unix.SYS_CLONE3:          {"clone3", nil, Unsupported, "not implemented: glibc falls back to clone(2) on ENOSYS"},
	unix.SYS_EXECVE:          {"execve", Execve, Partial, "set-user-ID and set-group-ID bits are ignored"},
	unix.SYS_EXECVEAT:        {"execveat", Execveat, Partial, "dirfd must be AT_FDCWD and flags 0, else ENOSYS (so no fexecve); set-ID bits are ignored"},
	unix.SYS_EXIT:            {"exit", Exit, Supported, "every process has one thread: exits the process"},
	unix.SYS_EXIT_GROUP:      {"exit_group", ExitGroup, Supported, ""},
	unix.SYS_WAIT4:           {"wait4", Wait4, Partial, "the rusage is all zeros"},
	unix.SYS_WAITID:          {"waitid", Waitid, Partial, "P_PIDFD answers EINVAL; the rusage argument is not written"},
	unix.SYS_SET_TID_ADDRESS: {"set_tid_address", SetTidAddress, Supported, ""},
	unix.SYS_SET_ROBUST_LIST: {"set_robust_list", SetRobustList, Partial, "the list is accepted and never walked: " +
		"a process dying with a robust mutex in shared memory leaves it locked"},
	unix.SYS_FUTEX: {"futex", Futex, Partial, "FUTEX_WAIT, FUTEX_WAKE and their _BITSET forms only (others ENOSYS), " +
		"the bitset ignored; WAKE wakes nobody, so a waiter in memory shared with another process " +
		"(MAP_SHARED across fork) wakes only on its timeout or a signal"},
	unix.SYS_GETPGID:           {"getpgid", Getpgid, Supported, ""},
	unix.SYS_GETPGRP:           {"getpgrp", Getpgrp, Supported, ""},
	unix.SYS_SETPGID:           {"setpgid", Setpgid, Supported, ""},
	unix.SYS_GETSID:            {"getsid", Getsid, Supported, ""},
	unix.SYS_SETSID:            {"setsid", Setsid, Supported, ""},
	unix.SYS_PTRACE:            {"ptrace", nil, Unsupported, "not implemented"},
	unix.SYS_PIDFD_OPEN:        {"pidfd_open", nil, Unsupported, "pidfds are not implemented"},
	unix.SYS_PIDFD_SEND_SIGNAL: {"pidfd_send_signal", nil, Unsupported, "pidfds are not implemented"},
	unix.SYS_RSEQ:              {"rseq", nil, Unsupported, "restartable sequences are not implemented: glibc runs without them on ENOSYS"},

	// Identity and capabilities.
	unix.SYS_UNAME:     {"uname", Uname, Supported, "the sandbox's own release and version, never the host's; domainname is (none)"},
	unix.SYS_GETUID:    {"getuid", Getuid, Supported, ""},
	unix.SYS_GETEUID:   {"geteuid", Geteuid, Supported, ""},
	unix.SYS_GETGID:    {"getgid", Getgid, Supported, ""},
	unix.SYS_GETEGID:   {"getegid", Getegid, Supported, ""},
	unix.SYS_GETRESUID: {"getresuid", Getresuid, Supported, ""},
	unix.SYS_GETRESGID: {"getresgid", Getresgid, Supported, ""},
	unix.SYS_GETGROUPS: {"getgroups", Getgroups, Supported, ""},
	unix.SYS_SETGROUPS: {"setgroups", Setgroups, Supported, noteSetID},
	unix.SYS_SETUID:    {"setuid", Setuid, Supported, noteSetID},
	unix.SYS_SETGID:    {"setgid", Setgid, Supported, noteSetID},
	unix.SYS_SETRESUID: {"setresuid", Setresuid, Supported, noteSetID},
	unix.SYS_SETRESGID: {"setresgid", Setresgid, Supported, noteSetID},
	unix.SYS_SETREUID:  {"setreuid", Setreuid, Supported, noteSetID},
	unix.SYS_SETREGID:  {"setregid", Setregid, Supported, noteSetID},
	unix.SYS_SETFSUID:  {"setfsuid", Setfsuid, Partial, "the file-system IDs always follow the effective ones: it changes nothing and returns the EUID"},
	unix.SYS_SETFSGID:  {"setfsgid", Setfsgid, Partial, "the file-system IDs always follow the effective ones: it changes nothing and returns the EGID"},
	unix.SYS_CAPGET: {"capget", Capget, Partial, "root has every capability, others none; the header's pid is ignored " +
		"and its version neither checked nor written back, and the two-word (v2/v3) layout is written even " +
		"for a v1 header"},
	unix.SYS_CAPSET:     {"capset", nil, Unsupported, "capability sets cannot be changed: they follow the EUID"},
	unix.SYS_ARCH_PRCTL: {"arch_prctl", ArchPrctl, Partial, "ARCH_SET_FS, ARCH_GET_FS, ARCH_SET_GS and ARCH_GET_GS only; others answer EINVAL"},
	unix.SYS_PRCTL: {"prctl", Prctl, Partial, "PR_SET/GET_NAME and PR_SET/GET_PDEATHSIG work; PR_SET_NO_NEW_PRIVS, " +
		"PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_KEEPCAPS and PR_SET_TIMERSLACK are accepted and do " +
		"nothing (orphans still go to init, not to a subreaper); PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS and " +
		"PR_CAPBSET_READ always answer 1, PR_GET_CHILD_SUBREAPER, PR_GET_SECCOMP and PR_GET_KEEPCAPS 0; " +
		"other options (PR_SET_SECCOMP, PR_CAP_AMBIENT, ...) answer EINVAL"},
	unix.SYS_SECCOMP: {"seccomp", nil, Unsupported, "seccomp filters are not implemented; the sandbox's own filter confines the sentry"},

	// Resources, scheduling, randomness.
	unix.SYS_GETRANDOM: {"getrandom", Getrandom, Partial, "at most 1 MiB per call (a short count beyond); " +
		"GRND_RANDOM with GRND_INSECURE is not refused (EINVAL on Linux)"},
	unix.SYS_PRLIMIT64: {"prlimit64", Prlimit64, Partial, "for the caller only: other pids answer EPERM; " + noteRlimit},
	unix.SYS_GETRLIMIT: {"getrlimit", Getrlimit, Partial, noteRlimit},
	unix.SYS_SETRLIMIT: {"setrlimit", Setrlimit, Partial, noteRlimit},
	unix.SYS_GETRUSAGE: {"getrusage", Getrusage, Partial, "only ru_utime, the time the application ran; ru_stime " +
		"and the other fields are zero; RUSAGE_THREAD is RUSAGE_SELF"},
	unix.SYS_SYSINFO: {"sysinfo", Sysinfo, Partial, "uptime, the host's total and free RAM and the process count; " +
		"loads, shared and buffer RAM and swap are zero"},
	unix.SYS_SCHED_GETAFFINITY: {"sched_getaffinity", SchedGetaffinity, Partial, "every host CPU (up to 64), whatever the pid"},
	unix.SYS_SCHED_SETAFFINITY: {"sched_setaffinity", SchedSetaffinity, Partial, "any mask and pid are accepted and nothing changes"},
	unix.SYS_SCHED_YIELD:       {"sched_yield", SchedYield, Supported, ""},
	unix.SYS_GETCPU:            {"getcpu", Getcpu, Partial, "always CPU 0 on node 0 (the vDSO and the vsyscall page answer the same)"},
	unix.SYS_GETPRIORITY:       {"getpriority", Getpriority, Partial, "PRIO_PROCESS only: PRIO_PGRP and PRIO_USER answer EINVAL"},
	unix.SYS_SETPRIORITY: {"setpriority", Setpriority, Partial, "PRIO_PROCESS only; nice values are recorded, " +
		"not scheduled by; lowering one checks the target's EUID, not the caller's, and any process may " +
		"renice any other"},
	unix.SYS_SCHED_GETSCHEDULER: {"sched_getscheduler", nil, Unsupported, noteSched},
	unix.SYS_SCHED_SETSCHEDULER: {"sched_setscheduler", nil, Unsupported, noteSched},
	unix.SYS_SCHED_GETPARAM:     {"sched_getparam", nil, Unsupported, noteSched},
	unix.SYS_SCHED_SETPARAM:     {"sched_setparam", nil, Unsupported, noteSched},

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
	unix.SYS_MEMFD_CREATE:      {"memfd_create", nil, Unsupported, "not implemented; open(2) with O_TMPFILE makes unnamed files"},
	unix.SYS_EVENTFD:           {"eventfd", nil, Unsupported, noteFDEvent},
	unix.SYS_EVENTFD2:          {"eventfd2", nil, Unsupported, noteFDEvent},
	unix.SYS_TIMERFD_CREATE:    {"timerfd_create", nil, Unsupported, noteFDEvent},
	unix.SYS_TIMERFD_SETTIME:   {"timerfd_settime", nil, Unsupported, noteFDEvent},
	unix.SYS_TIMERFD_GETTIME:   {"timerfd_gettime", nil, Unsupported, noteFDEvent},
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
	unix.SYS_UNSHARE:    {"unshare", nil, Unsupported, noteNS},
	unix.SYS_SETNS:      {"setns", nil, Unsupported, noteNS},

	// Directories.
	unix.SYS_GETDENTS64: {"getdents64", Getdents64, Supported, "the listing is taken by the first call after open or a rewind"},
	unix.SYS_GETDENTS:   {"getdents", Getdents, Supported, "the listing is taken by the first call after open or a rewind"},

	// File control.
	unix.SYS_FCNTL: {"fcntl", Fcntl, Partial, "F_SETOWN, F_GETOWN, F_SETSIG and F_GETSIG are accepted and do nothing " +
		"(no SIGIO; F_GETOWN answers 0); F_GETPIPE_SZ is always 64 KiB and EBADF on a named FIFO; F_SETPIPE_SZ " +
		"resizes nothing and returns its argument unrounded; F_GETOWN_EX, F_SETOWN_EX, leases, F_NOTIFY and " +
		"seals answer EINVAL; F_DUPFD at exactly RLIMIT_NOFILE answers EMFILE (Linux: EINVAL)"},
	unix.SYS_FLOCK:     {"flock", Flock, Supported, ""},
	unix.SYS_FSYNC:     {"fsync", Fsync, Partial, noteSync},
	unix.SYS_FDATASYNC: {"fdatasync", Fdatasync, Partial, noteSync},
	unix.SYS_SYNC:      {"sync", Sync, Partial, noteSync},
	unix.SYS_SYNCFS:    {"syncfs", Syncfs, Partial, noteSync},
	unix.SYS_FADVISE64: {"fadvise64", Fadvise64, Supported, "advice is checked and ignored"},
	unix.SYS_FALLOCATE: {"fallocate", Fallocate, Partial, "tmpfs only, with mode 0 or FALLOC_FL_KEEP_SIZE; other " +
		"modes and other file systems answer EOPNOTSUPP"},
	unix.SYS_IOCTL: {"ioctl", Ioctl, Partial, "FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC (which sets O_ASYNC but sends " +
		"no SIGIO); FIONREAD on pipes; TCGETS, TCSETS*, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ and " +
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
	unix.SYS_EPOLL_CREATE:  {"epoll_create", nil, Unsupported, noteEpoll},
	unix.SYS_EPOLL_CREATE1: {"epoll_create1", nil, Unsupported, noteEpoll},
	unix.SYS_EPOLL_CTL:     {"epoll_ctl", nil, Unsupported, noteEpoll},
	unix.SYS_EPOLL_WAIT:    {"epoll_wait", nil, Unsupported, noteEpoll},
	unix.SYS_EPOLL_PWAIT:   {"epoll_pwait", nil, Unsupported, noteEpoll},
	unix.SYS_EPOLL_PWAIT2:  {"epoll_pwait2", nil, Unsupported, noteEpoll},

	// Sockets.
	unix.SYS_SOCKET:      {"socket", nil, Unsupported, noteSockets},
	unix.SYS_SOCKETPAIR:  {"socketpair", nil, Unsupported, noteSockets},
	unix.SYS_CONNECT:     {"connect", nil, Unsupported, noteSockets},
	unix.SYS_ACCEPT:      {"accept", nil, Unsupported, noteSockets},
	unix.SYS_ACCEPT4:     {"accept4", nil, Unsupported, noteSockets},
	unix.SYS_BIND:        {"bind", nil, Unsupported, noteSockets},
	unix.SYS_LISTEN:      {"listen", nil, Unsupported, noteSockets},
	unix.SYS_SENDTO:      {"sendto", nil, Unsupported, noteSockets},
	unix.SYS_RECVFROM:    {"recvfrom", nil, Unsupported, noteSockets},
	unix.SYS_SENDMSG:     {"sendmsg", nil, Unsupported, noteSockets},
	unix.SYS_RECVMSG:     {"recvmsg", nil, Unsupported, noteSockets},
	unix.SYS_SHUTDOWN:    {"shutdown", nil, Unsupported, noteSockets},
	unix.SYS_GETSOCKNAME: {"getsockname", nil, Unsupported, noteSockets},
	unix.SYS_GETPEERNAME: {"getpeername", nil, Unsupported, noteSockets},
	unix.SYS_SETSOCKOPT:  {"setsockopt", nil, Unsupported, noteSockets},
	unix.SYS_GETSOCKOPT:  {"getsockopt", nil, Unsupported, noteSockets},

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
