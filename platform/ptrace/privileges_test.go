package ptrace

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// procStatus returns the "Key:\tvalue" lines of /proc/pid/status.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("reading status of %d: %v", pid, err)
	}
	m := make(map[string]string)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// TestStubsHaveNoPrivileges checks, from /proc, that the template and
// every stub (not yet seized, and seized and running application code) run
// as nobody with no capability in any set, under no_new_privs and their
// seccomp filter, and are not dumpable.
func TestStubsHaveNoPrivileges(t *testing.T) {
	if unix.Geteuid() != 0 {
		t.Skip("stubs run as their unprivileged caller when it is not root")
	}
	before := children(t)
	p, mf := newPlatform(t)
	idle, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Release()

	// A stub that runs application code: one system call.
	ran := make(chan error)
	release := make(chan struct{})
	go func() {
		ctx, _ := p.NewContext()
		as, err := p.NewAddressSpace()
		if err != nil {
			ran <- err
			return
		}
		defer as.Release()
		code := mf.Page(t, []byte{0x0f, 0x05}) // syscall
		if err := as.MapFile(0x400000, mf.FD(), code, linux.PageSize, platform.AnyAccess); err != nil {
			ran <- err
			return
		}
		st := arch.NewInitialState(0x400000, 0x500000)
		ev, _, err := ctx.Switch(as, &st)
		if err == nil && ev != platform.EventSyscall {
			err = fmt.Errorf("event %v, want a system call", ev)
		}
		ran <- err
		<-release // keep the stub seized while it is inspected
	}()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	defer close(release)

	var stubs []int
	for _, pid := range children(t) {
		if !slices.Contains(before, pid) {
			stubs = append(stubs, pid)
		}
	}
	if len(stubs) != 3 {
		t.Fatalf("new children %v, want the template and 2 stubs", stubs)
	}
	nobody := fmt.Sprintf("%d\t%d\t%d\t%d", stubUID, stubUID, stubUID, stubUID)
	nogroup := fmt.Sprintf("%d\t%d\t%d\t%d", stubGID, stubGID, stubGID, stubGID)
	const none = "0000000000000000"
	want := map[string]string{
		"Uid": nobody, "Gid": nogroup, "Groups": "",
		"CapInh": none, "CapPrm": none, "CapEff": none, "CapBnd": none, "CapAmb": none,
		"NoNewPrivs": "1", "Seccomp": "2",
	}
	traced := 0
	for _, pid := range stubs {
		st := procStatus(t, pid)
		for k, v := range want {
			if st[k] != v {
				t.Errorf("stub %d: %s %q, want %q", pid, k, st[k], v)
			}
		}
		if st["TracerPid"] != "0" {
			traced++
		}
		// The files of a non-dumpable process in /proc/PID belong to
		// root (task_dump_owner() in fs/proc/base.c).
		var s syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/environ", pid), &s); err != nil {
			t.Fatal(err)
		}
		if s.Uid != 0 {
			t.Errorf("stub %d: /proc/%d/environ owned by %d: the stub is dumpable", pid, pid, s.Uid)
		}
	}
	// Every stub process is traced: the template and the stub leaders
	// by the factory (the context's thread is not a process of its own).
	if traced != 3 {
		t.Errorf("%d of the stubs are traced, want 3 (the template and both stubs' leaders)", traced)
	}
}

// TestStubsInheritNoFD checks that a stub holds the memory file only, even
// when the sentry has FDs that are not close-on-exec (as `runsc boot` has
// the gofer socket and the container's stdio).
func TestStubsInheritNoFD(t *testing.T) {
	leak, err := unix.Open(os.DevNull, unix.O_RDONLY, 0) // not O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(leak)
	p, _ := newPlatform(t)
	pas, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer pas.Release()
	pid := pas.(*AddressSpace).pid
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != fmt.Sprint(stubMemFD) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("stub %d holds FDs %v, want only the memory file (%d)", pid, names, stubMemFD)
	}
}
