package platforms

import (
	"slices"
	"testing"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// TestRegistered checks that every platform is registered and says
// something the launcher and boot can use.
func TestRegistered(t *testing.T) {
	if !slices.Contains(platform.Names(), "ptrace") {
		t.Fatalf("registered platforms %v lack ptrace", platform.Names())
	}
	for _, name := range platform.Names() {
		t.Run(name, func(t *testing.T) {
			c, err := platform.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			req := c.Requirements()
			for _, cp := range req.Capabilities {
				if cp >= 64 {
					t.Errorf("capability %d is not one", cp)
				}
			}
			rules := c.SeccompRules()
			if len(rules) == 0 {
				t.Errorf("no seccomp rules: a platform that makes no host call is unlikely")
			}
			f := seccomp.Filter{Rules: rules, Default: seccomp.ActionKillProcess, BadArch: seccomp.ActionKillProcess}
			if _, err := f.Build(); err != nil {
				t.Errorf("its seccomp rules do not build: %v", err)
			}
		})
	}
}
