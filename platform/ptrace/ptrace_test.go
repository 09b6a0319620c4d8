package ptrace

import (
	"errors"
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/platformtest"
)

// TestPlatform runs the conformance suite on the registered constructor.
func TestPlatform(t *testing.T) {
	c, err := platform.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	platformtest.Run(t, c)
}

func TestRequirements(t *testing.T) {
	req := Constructor{}.Requirements()
	if want := []uintptr{unix.CAP_KILL, unix.CAP_SYS_PTRACE}; !slices.Equal(req.Capabilities, want) {
		t.Errorf("capabilities %v, want %v", req.Capabilities, want)
	}
	if !req.PIDNamespace || len(req.Devices) != 0 {
		t.Errorf("requirements %+v, want an own PID namespace and no devices", req)
	}
}

// TestNewRefusesDevices checks that devices given to a platform that asked
// for none are refused and closed.
func TestNewRefusesDevices(t *testing.T) {
	mf := platformtest.NewMemoryFile(t)
	dev, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Constructor{}.New(platform.Options{MemoryFileFD: mf.FD(), Devices: []*os.File{dev}})
	if !errors.Is(err, errDevices) || p != nil {
		t.Errorf("New with a device: %v, %v; want errDevices and no platform", p, err)
	}
	if _, err := dev.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the refused device is still open (Stat: %v)", err)
	}
}
