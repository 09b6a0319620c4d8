package testutil

import (
	"fmt"
	"os/exec"
)

// CFlags are the flags every C test program is compiled with.
var CFlags = []string{"-O2", "-Wall", "-Werror", "-D_GNU_SOURCE"}

// CompileC compiles the C source src into the executable out with gcc,
// statically linked if static is set, dynamically otherwise. extra flags
// (include paths, -lpthread) go after CFlags.
func CompileC(src, out string, static bool, extra ...string) error {
	args := append([]string{}, CFlags...)
	if static {
		args = append(args, "-static")
	}
	args = append(args, extra...)
	args = append(args, "-o", out, src)
	cmd := exec.Command("gcc", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gcc %v: %w\n%s", args, err, b)
	}
	return nil
}
