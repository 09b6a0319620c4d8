package e2e

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestBadInput checks that bad input gets one line on stderr, a non-zero
// exit and nothing left behind.
func TestBadInput(t *testing.T) {
	needSetup(t)
	t.Run("missing-binary", func(t *testing.T) {
		oneLineError(t, runRunsc(t, "do", "/nonexistent/cocoon-no-such-binary"))
	})
	t.Run("not-elf", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "not-elf")
		if err := os.WriteFile(f, []byte("this is text, not a program\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		oneLineError(t, runRunsc(t, "do", f))
	})
	t.Run("bundle-without-config", func(t *testing.T) {
		bundle := t.TempDir()
		if err := testutil.MakeBusyboxBundle(bundle, testutil.BundleOptions{Args: []string{"/bin/true"}}); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(bundle, "config.json")); err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		oneLineError(t, runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1"))
		noFilesUnder(t, root)
	})
	t.Run("config-not-json", func(t *testing.T) {
		bundle := t.TempDir()
		if err := testutil.MakeBusyboxBundle(bundle, testutil.BundleOptions{Args: []string{"/bin/true"}}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte("{ this is not json"), 0o644); err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		oneLineError(t, runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1"))
		noFilesUnder(t, root)
	})
	t.Run("bad-spec-values", func(t *testing.T) {
		// Each fails create with the field named, and leaves no state.
		for name, edit := range map[string]func(*specs.Spec){
			"missing bind source": func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "/nonexistent/cocoon"})
			},
			"relative destination": func(s *specs.Spec) { s.Mounts = append(s.Mounts, specs.Mount{Destination: "data", Type: "tmpfs"}) },
			"unknown namespace": func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
			},
			"namespace path of another type": func(s *specs.Spec) {
				s.Linux.Namespaces[1] = specs.LinuxNamespace{Type: specs.IPCNamespace, Path: "/proc/self/ns/net"}
			},
			"no args": func(s *specs.Spec) { s.Process.Args = nil },
		} {
			bundle := makeEditedBundle(t, testutil.BundleOptions{Args: []string{"/bin/true"}}, edit)
			root := t.TempDir()
			r := runRunsc(t, "--root", root, "create", "--bundle", bundle, "c1")
			t.Logf("%s: %s", name, r.Stderr)
			oneLineError(t, r)
			noFilesUnder(t, root)
		}
	})
}
