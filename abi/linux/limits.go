package linux

// Limits on paths and exec arguments (include/uapi/linux/limits.h,
// include/uapi/linux/binfmts.h).
const (
	// PATH_MAX is the longest path a system call takes, NUL included.
	PATH_MAX = 4096
	// NAME_MAX is the longest path component.
	NAME_MAX = 255
	// MAX_ARG_STRLEN is the longest single argv or envp string of execve,
	// NUL included.
	MAX_ARG_STRLEN = 32 * PageSize
)
