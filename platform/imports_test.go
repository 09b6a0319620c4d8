package platform

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/cocoon-sandbox/cocoon/"

// allowedDep reports whether a platform package may depend on the module's
// package rel: nothing of the sentry but its register state (sentry/arch),
// so that a platform stays below the memory manager and the kernel and
// takes what it maps as host FDs.
func allowedDep(rel string) bool {
	for _, prefix := range []string{"platform", "abi/", "seccomp"} {
		if strings.HasPrefix(rel, prefix) {
			return true
		}
	}
	return rel == "sentry/arch"
}

// TestImports checks the transitive imports of the platform packages, and
// of their tests, against allowedDep.
func TestImports(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	var walk func(rel, from string, tests bool)
	walk = func(rel, from string, tests bool) {
		if seen[rel] && !tests {
			return
		}
		seen[rel] = true
		if !allowedDep(rel) {
			t.Errorf("%s imports %s", from, rel)
			return
		}
		pkg, err := build.ImportDir(filepath.Join(root, rel), 0)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		imports := pkg.Imports
		if tests {
			imports = append(append(imports, pkg.TestImports...), pkg.XTestImports...)
		}
		for _, imp := range imports {
			if dep, ok := strings.CutPrefix(imp, module); ok {
				walk(dep, rel, false)
			}
		}
	}
	for _, rel := range []string{"platform", "platform/ptrace", "platform/platformtest", "platform/platforms"} {
		walk(rel, rel, true)
	}
}
