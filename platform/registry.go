package platform

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// Constructor makes one kind of platform. Each platform's package
// registers one under its --platform name from init (Register); runsc
// finds it by name (Lookup) and asks it, instead of knowing any platform:
// the launcher reads Requirements before it starts the sandbox process,
// boot adds SeccompRules to the sentry's filter and calls New.
type Constructor interface {
	// Requirements says what the sandbox process needs for this
	// platform. It is fixed: the same before and after New.
	Requirements() Requirements

	// SeccompRules are the host system calls that the platform's
	// objects make once the sentry is confined, each with the reason
	// it is needed and its arguments restricted where that is
	// practical. The sentry's filter allows them besides its own.
	SeccompRules() []seccomp.SyscallRule

	// New makes the platform. It runs in the sandbox process before the
	// process confines itself (it may still need a host path or a
	// privilege that confinement takes away), with the capabilities the
	// launcher gave the process.
	New(Options) (Platform, error)
}

// Requirements is what a platform needs from the process that runs it.
type Requirements struct {
	// Capabilities are the capabilities (unix.CAP_*) the sandbox
	// process must keep once it has confined itself.
	Capabilities []uintptr

	// PIDNamespace says the sandbox process must be in a PID namespace
	// of its own: the platform's seccomp rules let it signal or wait
	// for any PID, which is safe only if the namespace holds nothing but
	// the sandbox.
	PIDNamespace bool

	// Devices are host device paths to open read-write before
	// confinement (OpenDevices); New gets them in Options.Devices, in
	// this order.
	Devices []string
}

// Options are what New builds a platform from.
type Options struct {
	// MemoryFileFD is the host FD of the sandbox's memory file: the
	// file that MapFile maps most (its fast path). The caller owns it
	// and keeps it open for as long as the platform lives.
	MemoryFileFD int

	// Devices are Requirements.Devices, opened (OpenDevices). The
	// platform owns them from New on, and closes them on Release (or
	// when New fails).
	Devices []*os.File
}

// OpenDevices opens the devices that req names, read-write and
// close-on-exec, in order. On error it closes what it opened; the error
// wraps the one of os.OpenFile (os.ErrNotExist for a missing device).
func OpenDevices(req Requirements) ([]*os.File, error) {
	devs := make([]*os.File, 0, len(req.Devices))
	for _, path := range req.Devices {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			for _, d := range devs {
				d.Close()
			}
			return nil, fmt.Errorf("opening platform device: %w", err)
		}
		devs = append(devs, f)
	}
	return devs, nil
}

// ErrUnknown is wrapped by Lookup's error for a name nothing registered.
var ErrUnknown = errors.New("unknown platform")

var (
	registryMu sync.Mutex
	// registry holds the constructors by name; written by Register
	// from init functions, read by Lookup and Names.
	registry = make(map[string]Constructor)
)

// Register makes c the constructor of the platform called name. It is
// meant for init functions, and panics if name is empty or taken, or c is
// nil: those are mistakes in the program, not in its input.
func Register(name string, c Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if name == "" || c == nil {
		panic(fmt.Sprintf("platform.Register(%q, %v): empty name or nil constructor", name, c))
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("platform.Register: platform %q registered twice", name))
	}
	registry[name] = c
}

// Lookup returns the constructor registered as name. For any other name
// the error wraps ErrUnknown and lists the known names.
func Lookup(name string) (Constructor, error) {
	registryMu.Lock()
	c, ok := registry[name]
	registryMu.Unlock()
	if !ok {
		known := strings.Join(Names(), ", ")
		if known == "" {
			known = "none"
		}
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, known)
	}
	return c, nil
}

// Names returns the registered platform names, sorted.
func Names() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
