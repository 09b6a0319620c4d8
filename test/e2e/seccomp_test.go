package e2e

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestOCISeccomp runs a bundle whose linux.seccomp denies mkdir with
// EPERM: under --oci-seccomp the container sees EPERM (and everything
// else works); without the flag the profile is ignored, as gVisor
// ignores it; a bad profile fails the run with the field named.
func TestOCISeccomp(t *testing.T) {
	needSetup(t)
	script := `mkdir /tmp/d 2>&1 && echo made; echo after`
	profile := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat", "not_a_syscall"}, Action: specs.ActErrno},
		},
	}
	bundle := t.TempDir()
	if err := testutil.MakeBusyboxBundle(bundle, testutil.BundleOptions{
		Args: []string{"/bin/sh", "-c", script}, Seccomp: profile,
	}); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"enforced", []string{"--oci-seccomp"}, "mkdir: can't create directory '/tmp/d': Operation not permitted\nafter\n"},
		{"ignored without the flag", nil, "made\nafter\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			args := append([]string{"--root", root}, tc.flags...)
			r := runRunsc(t, append(args, "run", "--bundle", bundle, "c1")...)
			noFilesUnder(t, root)
			wantExit(t, r, 0)
			if r.Stdout != tc.want {
				t.Errorf("stdout %q, want %q", r.Stdout, tc.want)
			}
		})
	}

	t.Run("exec", func(t *testing.T) {
		c := newContainer(t, "/bin/sh", "-c", "echo started; sleep 1000")
		spec := testutil.BundleSpec(testutil.BundleOptions{
			Args: []string{"/bin/sh", "-c", "grep NoNewPrivs /proc/self/status; echo started; sleep 1000"}, Seccomp: profile,
		})
		spec.Process.NoNewPrivileges = true
		if err := testutil.WriteSpec(c.bundle, spec); err != nil {
			t.Fatal(err)
		}
		c.must("--oci-seccomp", "run", "--detach", c.id)
		c.awaitOutput("started")
		if out := c.output(); !strings.Contains(out, "NoNewPrivs:\t1\n") {
			t.Errorf("the init's output %q: no_new_privs is not set (process.noNewPrivileges)", out)
		}
		r := c.query("exec", c.id, "/bin/sh", "-c", script+"; grep NoNewPrivs /proc/self/status")
		if want := "mkdir: can't create directory '/tmp/d': Operation not permitted\nafter\nNoNewPrivs:\t1\n"; r.ExitCode != 0 || r.Stdout != want {
			t.Errorf("exec: %v, want stdout %q", r, want)
		}
		c.must("kill", c.id, "KILL")
		c.wait()
		c.must("delete", c.id)
		c.deleted()
	})

	t.Run("bad profile", func(t *testing.T) {
		bad := t.TempDir()
		if err := testutil.MakeBusyboxBundle(bad, testutil.BundleOptions{
			Args: []string{"/bin/true"},
			Seccomp: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir"}, Action: "SCMP_ACT_SOMETIMES"},
			}},
		}); err != nil {
			t.Fatalf("making bundle: %v", err)
		}
		root := t.TempDir()
		r := runRunsc(t, "--root", root, "--oci-seccomp", "run", "--bundle", bad, "c2")
		noFilesUnder(t, root)
		if r.ExitCode == 0 {
			t.Fatalf("run succeeded with a bad profile: %v", r)
		}
		if want := `linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_SOMETIMES"`; !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr %q does not say %q", r.Stderr, want)
		}
	})
}
