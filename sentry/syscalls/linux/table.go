package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// maxSyscall bounds the table (x86-64 numbers stay below it).
const maxSyscall = 512

// processTable lists the process, signal, memory and time system calls; the
// file-system ones are in fsSyscalls (table_fs.go). Anything in neither
// answers ENOSYS and is logged once.
var processTable = map[uintptr]kernel.Syscall{
	unix.SYS_MMAP:              {Name: "mmap", Fn: Mmap},
	unix.SYS_MPROTECT:          {Name: "mprotect", Fn: Mprotect},
	unix.SYS_MUNMAP:            {Name: "munmap", Fn: Munmap},
	unix.SYS_BRK:               {Name: "brk", Fn: Brk},
	unix.SYS_MREMAP:            {Name: "mremap", Fn: Mremap},
	unix.SYS_MADVISE:           {Name: "madvise", Fn: Madvise},
	unix.SYS_MSYNC:             {Name: "msync", Fn: Msync},
	unix.SYS_MLOCK:             {Name: "mlock", Fn: Mlock},
	unix.SYS_MUNLOCK:           {Name: "munlock", Fn: Mlock},
	unix.SYS_MLOCKALL:          {Name: "mlockall", Fn: Mlockall},
	unix.SYS_MUNLOCKALL:        {Name: "munlockall", Fn: Munlockall},
	unix.SYS_MINCORE:           {Name: "mincore", Fn: Mincore},
	unix.SYS_RT_SIGACTION:      {Name: "rt_sigaction", Fn: RtSigaction},
	unix.SYS_RT_SIGPROCMASK:    {Name: "rt_sigprocmask", Fn: RtSigprocmask},
	unix.SYS_RT_SIGRETURN:      {Name: "rt_sigreturn", Fn: RtSigreturn},
	unix.SYS_RT_SIGPENDING:     {Name: "rt_sigpending", Fn: RtSigpending},
	unix.SYS_RT_SIGSUSPEND:     {Name: "rt_sigsuspend", Fn: RtSigsuspend},
	unix.SYS_SIGALTSTACK:       {Name: "sigaltstack", Fn: Sigaltstack},
	unix.SYS_RT_SIGTIMEDWAIT:   {Name: "rt_sigtimedwait", Fn: RtSigtimedwait},
	unix.SYS_RT_SIGQUEUEINFO:   {Name: "rt_sigqueueinfo", Fn: RtSigqueueinfo},
	unix.SYS_RT_TGSIGQUEUEINFO: {Name: "rt_tgsigqueueinfo", Fn: RtTgsigqueueinfo},
	unix.SYS_PAUSE:             {Name: "pause", Fn: Pause},
	unix.SYS_ALARM:             {Name: "alarm", Fn: Alarm},
	unix.SYS_SETITIMER:         {Name: "setitimer", Fn: Setitimer},
	unix.SYS_GETITIMER:         {Name: "getitimer", Fn: Getitimer},
	unix.SYS_KILL:              {Name: "kill", Fn: Kill},
	unix.SYS_TKILL:             {Name: "tkill", Fn: Tkill},
	unix.SYS_TGKILL:            {Name: "tgkill", Fn: Tgkill},
	unix.SYS_GETPID:            {Name: "getpid", Fn: Getpid},
	unix.SYS_GETTID:            {Name: "gettid", Fn: Gettid},
	unix.SYS_GETPPID:           {Name: "getppid", Fn: Getppid},
	unix.SYS_FORK:              {Name: "fork", Fn: Fork},
	unix.SYS_VFORK:             {Name: "vfork", Fn: Vfork},
	unix.SYS_CLONE:             {Name: "clone", Fn: Clone},
	unix.SYS_CLONE3:            {Name: "clone3", Fn: Clone3},
	unix.SYS_EXECVE:            {Name: "execve", Fn: Execve},
	unix.SYS_EXECVEAT:          {Name: "execveat", Fn: Execveat},
	unix.SYS_EXIT:              {Name: "exit", Fn: Exit},
	unix.SYS_EXIT_GROUP:        {Name: "exit_group", Fn: ExitGroup},
	unix.SYS_WAIT4:             {Name: "wait4", Fn: Wait4},
	unix.SYS_WAITID:            {Name: "waitid", Fn: Waitid},
	unix.SYS_SET_TID_ADDRESS:   {Name: "set_tid_address", Fn: SetTidAddress},
	unix.SYS_SET_ROBUST_LIST:   {Name: "set_robust_list", Fn: SetRobustList},
	unix.SYS_FUTEX:             {Name: "futex", Fn: Futex},
	unix.SYS_GETPGID:           {Name: "getpgid", Fn: Getpgid},
	unix.SYS_GETPGRP:           {Name: "getpgrp", Fn: Getpgrp},
	unix.SYS_SETPGID:           {Name: "setpgid", Fn: Setpgid},
	unix.SYS_GETSID:            {Name: "getsid", Fn: Getsid},
	unix.SYS_SETSID:            {Name: "setsid", Fn: Setsid},
	unix.SYS_UNAME:             {Name: "uname", Fn: Uname},
	unix.SYS_GETUID:            {Name: "getuid", Fn: Getuid},
	unix.SYS_GETEUID:           {Name: "geteuid", Fn: Geteuid},
	unix.SYS_GETGID:            {Name: "getgid", Fn: Getgid},
	unix.SYS_GETEGID:           {Name: "getegid", Fn: Getegid},
	unix.SYS_GETRESUID:         {Name: "getresuid", Fn: Getresuid},
	unix.SYS_GETRESGID:         {Name: "getresgid", Fn: Getresgid},
	unix.SYS_GETGROUPS:         {Name: "getgroups", Fn: Getgroups},
	unix.SYS_SETGROUPS:         {Name: "setgroups", Fn: Setgroups},
	unix.SYS_SETUID:            {Name: "setuid", Fn: Setuid},
	unix.SYS_SETGID:            {Name: "setgid", Fn: Setgid},
	unix.SYS_SETRESUID:         {Name: "setresuid", Fn: Setresuid},
	unix.SYS_SETRESGID:         {Name: "setresgid", Fn: Setresgid},
	unix.SYS_SETREUID:          {Name: "setreuid", Fn: Setreuid},
	unix.SYS_SETREGID:          {Name: "setregid", Fn: Setregid},
	unix.SYS_SETFSUID:          {Name: "setfsuid", Fn: Setfsuid},
	unix.SYS_SETFSGID:          {Name: "setfsgid", Fn: Setfsgid},
	unix.SYS_CAPGET:            {Name: "capget", Fn: Capget},
	unix.SYS_ARCH_PRCTL:        {Name: "arch_prctl", Fn: ArchPrctl},
	unix.SYS_PRCTL:             {Name: "prctl", Fn: Prctl},
	unix.SYS_GETRANDOM:         {Name: "getrandom", Fn: Getrandom},
	unix.SYS_PRLIMIT64:         {Name: "prlimit64", Fn: Prlimit64},
	unix.SYS_GETRLIMIT:         {Name: "getrlimit", Fn: Getrlimit},
	unix.SYS_SETRLIMIT:         {Name: "setrlimit", Fn: Setrlimit},
	unix.SYS_GETRUSAGE:         {Name: "getrusage", Fn: Getrusage},
	unix.SYS_SYSINFO:           {Name: "sysinfo", Fn: Sysinfo},
	unix.SYS_SCHED_GETAFFINITY: {Name: "sched_getaffinity", Fn: SchedGetaffinity},
	unix.SYS_SCHED_SETAFFINITY: {Name: "sched_setaffinity", Fn: SchedSetaffinity},
	unix.SYS_SCHED_YIELD:       {Name: "sched_yield", Fn: SchedYield},
	unix.SYS_GETCPU:            {Name: "getcpu", Fn: Getcpu},
	unix.SYS_GETPRIORITY:       {Name: "getpriority", Fn: Getpriority},
	unix.SYS_SETPRIORITY:       {Name: "setpriority", Fn: Setpriority},
	unix.SYS_CLOCK_GETTIME:     {Name: "clock_gettime", Fn: ClockGettime},
	unix.SYS_CLOCK_GETRES:      {Name: "clock_getres", Fn: ClockGetres},
	unix.SYS_GETTIMEOFDAY:      {Name: "gettimeofday", Fn: Gettimeofday},
	unix.SYS_TIME:              {Name: "time", Fn: Time},
	unix.SYS_NANOSLEEP:         {Name: "nanosleep", Fn: Nanosleep},
	unix.SYS_CLOCK_NANOSLEEP:   {Name: "clock_nanosleep", Fn: ClockNanosleep},
	unix.SYS_TIMES:             {Name: "times", Fn: Times},
	unix.SYS_PIPE:              {Name: "pipe", Fn: Pipe},
	unix.SYS_PIPE2:             {Name: "pipe2", Fn: Pipe2},
	unix.SYS_RSEQ:              {Name: "rseq"},
}

// Table returns the system-call table indexed by number.
func Table() []kernel.Syscall {
	table := make([]kernel.Syscall, maxSyscall)
	for nr, s := range processTable {
		table[nr] = s
	}
	for nr, fn := range fsSyscalls {
		table[nr] = kernel.Syscall{Name: fsSyscallName(nr), Fn: kernel.SyscallFn(fn)}
	}
	return table
}
