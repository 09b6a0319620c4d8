// Package platformtest is the conformance suite for platform.Platform: each
// platform's own test calls Run with its registered constructor. It runs hand-assembled machine code in
// real address spaces backed by a real memory file (MemoryFile) and checks what
// the sentry relies on: system calls, faults and their retry, synchronous
// signals, interrupts (and their races), register and FP state, isolation
// of address spaces, and that released address spaces leave nothing behind.
//
// Platforms whose address spaces are host processes may implement
// HostProcess; the suite then also checks those processes on the host.
//
// Locking: none; each test owns its platform.
package platformtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// HostProcess is implemented by address spaces backed by a host process.
type HostProcess interface {
	StubPID() int
}

// Addresses the suite uses; all well inside any platform's user range.
const (
	codeAddr  = 0x400000
	dataAddr  = 0x600000
	otherAddr = 0x700000
	pageSize  = linux.PageSize
)

// Run runs the suite on platforms that c makes. A platform whose device
// is missing on this host is skipped, saying so.
func Run(t *testing.T, c platform.Constructor) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"Syscall", testSyscall},
		{"FaultThenMap", testFaultThenMap},
		{"MapFromOtherGoroutine", testMapFromOtherGoroutine},
		{"WriteReadOnly", testWriteReadOnly},
		{"MapOtherFile", testMapOtherFile},
		{"MapOtherFileFromOtherGoroutine", testMapOtherFileFromOtherGoroutine},
		{"Unmap", testUnmap},
		{"IllegalInstruction", testIllegalInstruction},
		{"Breakpoint", testBreakpoint},
		{"InterruptRunning", testInterruptRunning},
		{"InterruptNotRunning", testInterruptNotRunning},
		{"InterruptRace", testInterruptRace},
		{"Registers", testRegisters},
		{"FP", testFP},
		{"Isolation", testIsolation},
		{"Release", testRelease},
		{"HostProcess", testHostProcess},
		{"StubKilled", testStubKilled},
		{"Threads", testThreads},
		{"ReleaseAfterLateInterrupt", testReleaseAfterLateInterrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newEnv(t, c))
		})
	}
}

// env is one test's platform, address space and context. Its context was
// made on the test's goroutine, which therefore is the one to Switch.
type env struct {
	t   *testing.T
	mf  *MemoryFile
	p   platform.Platform
	as  platform.AddressSpace
	ctx platform.Context
}

func newEnv(t *testing.T, c platform.Constructor) *env {
	mf := NewMemoryFile(t)
	devs, err := platform.OpenDevices(c.Requirements())
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("platform unavailable on this host: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.New(platform.Options{MemoryFileFD: mf.FD(), Devices: devs})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(p.Release)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatalf("NewAddressSpace: %v", err)
	}
	t.Cleanup(as.Release)
	ctx, err := p.NewContext()
	if err != nil {
		t.Fatalf("NewContext: %v", err)
	}
	t.Cleanup(ctx.Release)
	return &env{t: t, mf: mf, p: p, as: as, ctx: ctx}
}

// page allocates a page of the memory file holding content.
func (e *env) page(content []byte) uint64 {
	return e.mf.Page(e.t, content)
}

// word returns a page's content: a little-endian uint64.
func word(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func (e *env) mapPage(as platform.AddressSpace, addr uintptr, off uint64, at platform.AccessType) {
	if err := as.MapFile(addr, e.mf.FD(), off, pageSize, at); err != nil {
		e.t.Fatalf("MapFile(%#x): %v", addr, err)
	}
}

// code maps code executable at codeAddr in as and returns a state ready to
// run it.
func (e *env) code(as platform.AddressSpace, code []byte) *arch.State {
	e.mapPage(as, codeAddr, e.page(code), platform.AccessType{Read: true, Execute: true})
	st := arch.NewInitialState(codeAddr, 0)
	return &st
}

func (e *env) run(as platform.AddressSpace, st *arch.State) (platform.Event, platform.SignalInfo) {
	e.t.Helper()
	ev, info, err := e.ctx.Switch(as, st)
	if err != nil {
		e.t.Fatalf("Switch: %v", err)
	}
	return ev, info
}

func (e *env) expect(as platform.AddressSpace, st *arch.State, want platform.Event) platform.SignalInfo {
	e.t.Helper()
	ev, info := e.run(as, st)
	if ev != want {
		e.t.Fatalf("Switch = event %v (%+v) at rip %#x, want %v", ev, info, st.Regs.Rip, want)
	}
	return info
}

func testSyscall(t *testing.T, e *env) {
	st := e.code(e.as, syscallLoop)
	st.Regs.Rax = unix.SYS_GETPID
	st.Regs.Rdi, st.Regs.Rsi, st.Regs.Rdx, st.Regs.R10, st.Regs.R8, st.Regs.R9 = 1, 2, 3, 4, 5, 6
	e.expect(e.as, st, platform.EventSyscall)
	if st.SyscallNo() != unix.SYS_GETPID {
		t.Errorf("SyscallNo = %d, want %d", st.SyscallNo(), unix.SYS_GETPID)
	}
	if got, want := st.SyscallArgs(), (arch.SyscallArgs{1, 2, 3, 4, 5, 6}); got != want {
		t.Errorf("SyscallArgs = %v, want %v", got, want)
	}
	if st.IP() != codeAddr+2 {
		t.Errorf("rip = %#x, want %#x (after the syscall instruction)", st.IP(), codeAddr+2)
	}
	// The return value reaches the application: the loop's next system
	// call number is the previous one's result.
	st.SetReturn(1234)
	e.expect(e.as, st, platform.EventSyscall)
	if st.SyscallNo() != 1234 {
		t.Errorf("second SyscallNo = %d, want 1234 (the first call's return value)", st.SyscallNo())
	}
}

func testFaultThenMap(t *testing.T, e *env) {
	st := e.code(e.as, loadRBX)
	st.Regs.Rbx = dataAddr + 8
	info := e.expect(e.as, st, platform.EventFault)
	if info.Addr != dataAddr+8 || info.Signo != int32(unix.SIGSEGV) || info.Code != 1 /* SEGV_MAPERR */ {
		t.Errorf("fault = %+v, want SIGSEGV/SEGV_MAPERR at %#x", info, dataAddr+8)
	}
	if st.IP() != codeAddr {
		t.Errorf("rip = %#x, want %#x (the faulting load, not completed)", st.IP(), codeAddr)
	}
	e.mapPage(e.as, dataAddr, e.page(append(make([]byte, 8), word(0xfeedface)...)), platform.Read)
	e.expect(e.as, st, platform.EventSyscall)
	if st.Regs.Rdi != 0xfeedface {
		t.Errorf("loaded %#x, want 0xfeedface", st.Regs.Rdi)
	}
}

// testMapFromOtherGoroutine maps from a goroutine other than the one that
// switches, before and after the first Switch: AddressSpace must allow it.
func testMapFromOtherGoroutine(t *testing.T, e *env) {
	st := e.code(e.as, loadRBX)
	st.Regs.Rbx = dataAddr
	onOther := func(f func()) {
		done := make(chan struct{})
		go func() { defer close(done); f() }()
		<-done
	}
	var err error
	onOther(func() { err = e.as.MapFile(dataAddr, e.mf.FD(), e.page(word(11)), pageSize, platform.Read) })
	if err != nil {
		t.Fatalf("MapFile: %v", err)
	}
	e.expect(e.as, st, platform.EventSyscall)
	if st.Regs.Rdi != 11 {
		t.Fatalf("loaded %d, want 11", st.Regs.Rdi)
	}
	onOther(func() { err = e.as.MapFile(dataAddr, e.mf.FD(), e.page(word(22)), pageSize, platform.Read) })
	if err != nil {
		t.Fatalf("MapFile: %v", err)
	}
	st.Regs.Rip = codeAddr
	e.expect(e.as, st, platform.EventSyscall)
	if st.Regs.Rdi != 22 {
		t.Fatalf("loaded %d after remapping, want 22", st.Regs.Rdi)
	}
	onOther(func() { e.as.Unmap(dataAddr, pageSize) })
	st.Regs.Rip = codeAddr
	e.expect(e.as, st, platform.EventFault)
}

func testWriteReadOnly(t *testing.T, e *env) {
	st := e.code(e.as, storeRBX)
	off := e.page(nil)
	e.mapPage(e.as, dataAddr, off, platform.Read)
	st.Regs.Rbx, st.Regs.Rcx = dataAddr+16, 0x77
	info := e.expect(e.as, st, platform.EventFault)
	if info.Addr != dataAddr+16 || info.Code != 2 /* SEGV_ACCERR */ {
		t.Errorf("fault = %+v, want SEGV_ACCERR at %#x", info, dataAddr+16)
	}
	if got := binary.LittleEndian.Uint64(e.mf.Slice(off+16, 8)); got != 0 {
		t.Fatalf("read-only page was written: %#x", got)
	}
	e.mapPage(e.as, dataAddr, off, platform.ReadWrite)
	e.expect(e.as, st, platform.EventSyscall)
	if got := binary.LittleEndian.Uint64(e.mf.Slice(off+16, 8)); got != 0x77 {
		t.Errorf("memory file holds %#x after the store, want 0x77", got)
	}
}

// otherFile returns a host file of 4 pages, not the memory file, whose
// page i starts with word(0x1000+i); t's cleanup closes it.
func otherFile(t *testing.T) int {
	fd, err := unix.MemfdCreate("platformtest-other", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	for i := 0; i < 4; i++ {
		if _, err := unix.Pwrite(fd, word(0x1000+uint64(i)), int64(i)*pageSize); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Ftruncate(fd, 4*pageSize); err != nil {
		t.Fatal(err)
	}
	return fd
}

// testMapOtherFile maps pages of a host file other than the memory file,
// shared, over a memory-file mapping and back: reads see the file, writes
// reach it.
func testMapOtherFile(t *testing.T, e *env) {
	fd := otherFile(t)
	st := e.code(e.as, loadRBX)
	st.Regs.Rbx = dataAddr
	// Before the first Switch: whatever a platform does to apply it later.
	if err := e.as.MapFile(dataAddr, fd, 2*pageSize, pageSize, platform.Read); err != nil {
		t.Fatalf("MapFile: %v", err)
	}
	e.expect(e.as, st, platform.EventSyscall)
	if st.Regs.Rdi != 0x1002 {
		t.Fatalf("loaded %#x from page 2 of the file, want 0x1002", st.Regs.Rdi)
	}
	// From the switching goroutine, after the first Switch; then the
	// memory file over it again.
	for _, m := range []struct {
		fd   int
		off  uint64
		want uint64
	}{
		{fd, 3 * pageSize, 0x1003},
		{e.mf.FD(), e.page(word(0x77)), 0x77},
		{fd, 0, 0x1000},
	} {
		if err := e.as.MapFile(dataAddr, m.fd, m.off, pageSize, platform.Read); err != nil {
			t.Fatalf("MapFile(fd %d, off %#x): %v", m.fd, m.off, err)
		}
		st.Regs.Rip = codeAddr
		e.expect(e.as, st, platform.EventSyscall)
		if st.Regs.Rdi != m.want {
			t.Fatalf("loaded %#x from fd %d at %#x, want %#x", st.Regs.Rdi, m.fd, m.off, m.want)
		}
	}
	// A shared mapping: the store reaches the file.
	store := e.code(e.as, storeRBX)
	if err := e.as.MapFile(otherAddr, fd, pageSize, pageSize, platform.ReadWrite); err != nil {
		t.Fatalf("MapFile: %v", err)
	}
	store.Regs.Rbx, store.Regs.Rcx = otherAddr+8, 0xabcd
	e.expect(e.as, store, platform.EventSyscall)
	got := make([]byte, 8)
	if _, err := unix.Pread(fd, got, pageSize+8); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint64(got); v != 0xabcd {
		t.Errorf("file holds %#x after the store through the mapping, want 0xabcd", v)
	}
}

// testMapOtherFileFromOtherGoroutine maps another file from a goroutine
// other than the one that switches, and closes the FD before the Switch:
// the caller may close it as soon as MapFile returns.
func testMapOtherFileFromOtherGoroutine(t *testing.T, e *env) {
	file := otherFile(t)
	st := e.code(e.as, loadRBX)
	st.Regs.Rbx = dataAddr
	e.mapPage(e.as, dataAddr, e.page(nil), platform.Read)
	e.expect(e.as, st, platform.EventSyscall) // the stub now runs
	for i, off := range []uint64{pageSize, 3 * pageSize} {
		fd, err := unix.Dup(file)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- e.as.MapFile(dataAddr, fd, off, pageSize, platform.Read) }()
		if err := <-done; err != nil {
			t.Fatalf("MapFile: %v", err)
		}
		unix.Close(fd)
		st.Regs.Rip = codeAddr
		e.expect(e.as, st, platform.EventSyscall)
		if want := 0x1000 + off/pageSize; st.Regs.Rdi != want {
			t.Fatalf("mapping %d: loaded %#x, want %#x", i, st.Regs.Rdi, want)
		}
	}
}

func testUnmap(t *testing.T, e *env) {
	st := e.code(e.as, loadRBX)
	st.Regs.Rbx = dataAddr
	e.mapPage(e.as, dataAddr, e.page(word(5)), platform.Read)
	e.expect(e.as, st, platform.EventSyscall)
	e.as.Unmap(dataAddr, pageSize)
	st.Regs.Rip = codeAddr
	if info := e.expect(e.as, st, platform.EventFault); info.Addr != dataAddr {
		t.Errorf("fault at %#x, want %#x", info.Addr, dataAddr)
	}
}

func testIllegalInstruction(t *testing.T, e *env) {
	st := e.code(e.as, ud2)
	info := e.expect(e.as, st, platform.EventSignal)
	if info.Signo != int32(unix.SIGILL) {
		t.Errorf("signal %d, want SIGILL", info.Signo)
	}
	if st.IP() != codeAddr {
		t.Errorf("rip = %#x, want %#x", st.IP(), codeAddr)
	}
}

func testBreakpoint(t *testing.T, e *env) {
	st := e.code(e.as, int3)
	info := e.expect(e.as, st, platform.EventSignal)
	if info.Signo != int32(unix.SIGTRAP) {
		t.Errorf("signal %d, want SIGTRAP", info.Signo)
	}
	if st.IP() != codeAddr+1 {
		t.Errorf("rip = %#x, want %#x (after int3)", st.IP(), codeAddr+1)
	}
	e.expect(e.as, st, platform.EventSyscall)
}

var errNotHost = errors.New("address space is not a host process")

// stubStatus returns the /proc/PID/status of as's host process.
func stubStatus(as platform.AddressSpace) (int, string, error) {
	hp, ok := as.(HostProcess)
	if !ok {
		return 0, "", errNotHost
	}
	pid := hp.StubPID()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return pid, string(b), err
}

func testHostProcess(t *testing.T, e *env) {
	as2, err := e.p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as2.Release()
	st := e.code(e.as, syscallLoop)
	e.expect(e.as, st, platform.EventSyscall)
	for i, as := range []platform.AddressSpace{e.as, as2} { // run and fresh
		pid, status, err := stubStatus(as)
		if errors.Is(err, errNotHost) {
			t.Skip("address spaces are not host processes")
		}
		if err != nil {
			t.Fatalf("stub %d: %v", i, err)
		}
		if !strings.Contains(status, "\nSeccomp:\t2\n") {
			t.Errorf("stub %d (pid %d) is not in seccomp filter mode:\n%s", i, pid, status)
		}
		if !strings.Contains(status, "\nNoNewPrivs:\t1\n") {
			t.Errorf("stub %d (pid %d) lacks no_new_privs", i, pid)
		}
		if ppid := statusField(status, "PPid"); ppid != fmt.Sprint(os.Getpid()) {
			t.Errorf("stub %d (pid %d) has parent %s, want the sentry %d", i, pid, ppid, os.Getpid())
		}
	}
	// The stub's address space holds nothing but what was mapped and
	// the stub itself above MaxUserAddress.
	pid, _, _ := stubStatus(e.as)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		var start, end uint64
		fmt.Sscanf(line, "%x-%x", &start, &end)
		switch {
		case start == codeAddr:
		case start >= uint64(e.p.MaxUserAddress()) && end <= uint64(e.p.MaxUserAddress())+4*pageSize:
		case strings.Contains(line, "[vsyscall]"):
		default:
			t.Errorf("unexpected mapping in stub: %s", line)
		}
	}
}

func statusField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":\t"); ok {
			return v
		}
	}
	return ""
}

func testRelease(t *testing.T, e *env) {
	seized, err := e.p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	st := e.code(seized, syscallLoop)
	e.expect(seized, st, platform.EventSyscall)
	for _, as := range []platform.AddressSpace{seized, fresh} {
		pid, _, err := stubStatus(as)
		as.Release()
		if errors.Is(err, errNotHost) {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			t.Errorf("stub %d still exists after Release (err %v):\n%s", pid, err, status)
		}
	}
	// A released address space refuses further use.
	if err := seized.MapFile(dataAddr, e.mf.FD(), 0, pageSize, platform.Read); err == nil {
		t.Errorf("MapFile on a released address space succeeded")
	}
}

func testStubKilled(t *testing.T, e *env) {
	st := e.code(e.as, syscallLoop)
	e.expect(e.as, st, platform.EventSyscall)
	hp, ok := e.as.(HostProcess)
	if !ok {
		t.Skip("address spaces are not host processes")
	}
	unix.Kill(hp.StubPID(), unix.SIGKILL)
	_, _, err := e.ctx.Switch(e.as, st)
	if !errors.Is(err, platform.ErrContextBroken) {
		t.Fatalf("Switch into a killed stub: err %v, want ErrContextBroken", err)
	}
}
