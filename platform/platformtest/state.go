package platformtest

import (
	"encoding/binary"
	"testing"

	"github.com/cocoon-sandbox/cocoon/platform"
)

func testRegisters(t *testing.T, e *env) {
	st := e.code(e.as, addR12)
	r := &st.Regs
	r.R12, r.Rbx, r.Rbp, r.R13, r.R14, r.R15 = 0x1000, 0xb, 0xb9, 0x13, 0x14, 0x15
	r.Rcx, r.R11 = 0xc, 0x11 // the syscall instruction clobbers these on hardware
	r.Rsp = 0x5000
	r.Fs_base, r.Gs_base = 0x12345000, 0x23456000
	e.expect(e.as, st, platform.EventSyscall)
	if r.R12 != 0x1005 {
		t.Errorf("r12 = %#x, want 0x1005", r.R12)
	}
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"rbx", r.Rbx, 0xb}, {"rbp", r.Rbp, 0xb9}, {"r13", r.R13, 0x13}, {"r14", r.R14, 0x14}, {"r15", r.R15, 0x15},
		{"rsp", r.Rsp, 0x5000}, {"fs_base", r.Fs_base, 0x12345000}, {"gs_base", r.Gs_base, 0x23456000},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func testFP(t *testing.T, e *env) {
	st := e.code(e.as, fpCode)
	binary.LittleEndian.PutUint64(st.FP[xsaveXMM0:], 0x1122334455667788)
	st.FP[xsaveXStateBV] |= xfeatureSSE
	st.FPDirty = true
	e.expect(e.as, st, platform.EventSyscall)
	if st.Regs.Rdi != 0x1122334455667788 {
		t.Errorf("xmm0 seen by the application = %#x, want 0x1122334455667788", st.Regs.Rdi)
	}
	if st.FPDirty {
		t.Errorf("FPDirty still set after Switch")
	}
	if err := e.ctx.SaveFP(e.as, st); err != nil {
		t.Fatalf("SaveFP: %v", err)
	}
	if len(st.FP) < xsaveXStateBV+64 {
		t.Fatalf("SaveFP returned %d bytes", len(st.FP))
	}
	if got := binary.LittleEndian.Uint64(st.FP[xsaveXMM1:]); got != fpXMM1Value {
		t.Errorf("saved xmm1 = %#x, want %#x", got, fpXMM1Value)
	}
	if got := binary.LittleEndian.Uint64(st.FP[xsaveXMM0:]); got != 0x1122334455667788 {
		t.Errorf("saved xmm0 = %#x, want 0x1122334455667788", got)
	}

	// The saved state loads back: xmm0 from a full-size buffer.
	binary.LittleEndian.PutUint64(st.FP[xsaveXMM0:], 0xabcdef)
	st.FPDirty = true
	st.Regs.Rip = codeAddr
	e.expect(e.as, st, platform.EventSyscall)
	if st.Regs.Rdi != 0xabcdef {
		t.Errorf("xmm0 after reloading saved state = %#x, want 0xabcdef", st.Regs.Rdi)
	}
}

func testIsolation(t *testing.T, e *env) {
	as2, err := e.p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as2.Release()
	st1 := e.code(e.as, loadRBX)
	st2 := e.code(as2, loadRBX)
	e.mapPage(e.as, dataAddr, e.page(word(111)), platform.Read)
	e.mapPage(as2, dataAddr, e.page(word(222)), platform.Read)
	st1.Regs.Rbx, st2.Regs.Rbx = dataAddr, dataAddr
	for i := 0; i < 2; i++ {
		st1.Regs.Rip, st2.Regs.Rip = codeAddr, codeAddr
		e.expect(e.as, st1, platform.EventSyscall)
		e.expect(as2, st2, platform.EventSyscall)
		if st1.Regs.Rdi != 111 || st2.Regs.Rdi != 222 {
			t.Fatalf("round %d: loaded %d and %d, want 111 and 222", i, st1.Regs.Rdi, st2.Regs.Rdi)
		}
	}
	// A mapping in one is absent from the other.
	e.mapPage(e.as, otherAddr, e.page(word(1)), platform.Read)
	st2.Regs.Rip, st2.Regs.Rbx = codeAddr, otherAddr
	if info := e.expect(as2, st2, platform.EventFault); info.Addr != otherAddr {
		t.Errorf("fault at %#x, want %#x", info.Addr, otherAddr)
	}
}
