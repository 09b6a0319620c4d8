package vdso

import (
	"bufio"
	"bytes"
	"os"
	"strings"

	"github.com/cocoon-sandbox/cocoon/sentry/mm"
)

// ShowHostVsyscall makes every /proc/[pid]/maps show the legacy vsyscall
// page if the host kernel has one, with the host's permissions ("--xp"
// for vsyscall=xonly, "r-xp" for emulate): calls into it work in the
// sandbox exactly when they work on the host (the platform serves them,
// see platform/ptrace/vsyscall.go), so programs that look for the line
// find it when it is true. It reads /proc/self/maps, so it must run
// before the sentry gives up its host paths.
func ShowHostVsyscall() {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	if perms, ok := vsyscallPerms(b); ok {
		mm.SetVsyscallPage(perms)
	}
}

// vsyscallPerms finds the [vsyscall] line of a maps file.
func vsyscallPerms(maps []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 6 && f[5] == "[vsyscall]" && f[0] == "ffffffffff600000-ffffffffff601000" && len(f[1]) == 4 {
			return f[1], true
		}
	}
	return "", false
}
