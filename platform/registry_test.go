package platform

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// fakeConstructor is a Constructor that makes nothing.
type fakeConstructor struct{ req Requirements }

func (c fakeConstructor) Requirements() Requirements        { return c.req }
func (fakeConstructor) SeccompRules() []seccomp.SyscallRule { return nil }
func (fakeConstructor) New(Options) (Platform, error)       { return nil, errors.New("fake") }

// withRegistry runs the test against an empty registry and restores the
// real one (the platforms' init registrations) afterwards.
func withRegistry(t *testing.T) {
	registryMu.Lock()
	saved := registry
	registry = make(map[string]Constructor)
	registryMu.Unlock()
	t.Cleanup(func() {
		registryMu.Lock()
		registry = saved
		registryMu.Unlock()
	})
}

func TestRegistry(t *testing.T) {
	withRegistry(t)
	if _, err := Lookup("ptrace"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "(known: none)") {
		t.Errorf("Lookup in an empty registry: %v, want ErrUnknown listing none", err)
	}
	kvm := fakeConstructor{req: Requirements{Devices: []string{"/dev/kvm"}}}
	Register("systrap", fakeConstructor{})
	Register("kvm", kvm)
	Register("ptrace", fakeConstructor{req: Requirements{PIDNamespace: true}})
	if got, want := Names(), []string{"kvm", "ptrace", "systrap"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name    string
		want    Constructor
		wantErr string
	}{
		{name: "kvm", want: kvm},
		{name: "bogus", wantErr: `unknown platform "bogus" (known: kvm, ptrace, systrap)`},
		{name: "", wantErr: `unknown platform "" (known: kvm, ptrace, systrap)`},
		{name: "PTRACE", wantErr: `unknown platform "PTRACE"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Lookup(tc.name)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Lookup(%q) error %v, want ErrUnknown with %q", tc.name, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Requirements(); !slices.Equal(got.Devices, tc.want.Requirements().Devices) {
				t.Errorf("Lookup(%q) returned a constructor requiring %+v", tc.name, got)
			}
		})
	}
}

func TestRegisterRefusesMistakes(t *testing.T) {
	withRegistry(t)
	Register("ptrace", fakeConstructor{})
	for _, tc := range []struct {
		name  string
		pname string
		c     Constructor
	}{
		{"twice", "ptrace", fakeConstructor{}},
		{"empty name", "", fakeConstructor{}},
		{"nil constructor", "kvm", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, %v) did not panic", tc.pname, tc.c)
				}
			}()
			Register(tc.pname, tc.c)
		})
	}
}

func TestOpenDevices(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "dev")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	devs, err := OpenDevices(Requirements{Devices: []string{dev, dev}})
	if err != nil || len(devs) != 2 {
		t.Fatalf("OpenDevices: %v, %v", devs, err)
	}
	for _, d := range devs {
		d.Close()
	}
	if devs, err := OpenDevices(Requirements{}); err != nil || len(devs) != 0 {
		t.Errorf("OpenDevices with none: %v, %v", devs, err)
	}
	if _, err := OpenDevices(Requirements{Devices: []string{dev, filepath.Join(dir, "kvm")}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenDevices of a missing device: %v, want ErrNotExist", err)
	}
}
