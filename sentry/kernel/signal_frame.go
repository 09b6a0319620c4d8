package kernel

import (
	"encoding/binary"
	"fmt"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// The x86-64 rt_sigframe, as arch/x86/kernel/signal.c builds it:
//
//	pretcode   8   return address (sa_restorer)
//	ucontext 304   uc_flags, uc_link, uc_stack (24), sigcontext (256), sigmask (8)
//	siginfo  128
//
// with the XSAVE area (64-byte aligned) above it and rsp = &pretcode, so that
// (rsp+8) is 16-byte aligned as after a call.
const (
	ucFlagsOff        = 8
	ucStackOff        = ucFlagsOff + 16
	mcontextOff       = ucFlagsOff + 40
	sigmaskOff        = mcontextOff + 256
	siginfoOff        = sigmaskOff + 8
	frameSize         = siginfoOff + linux.SignalInfoSize
	redZone           = 128
	fpMagic1          = 0x46505853
	fpMagic2          = 0x46505845
	fpMagic2Size      = 4
	swReservedOff     = 464
	ucFPXstate        = 0x1
	ucSigcontextSS    = 0x2
	ucStrictRestoreSS = 0x4
)

// sigcontext register order (struct sigcontext in asm/sigcontext.h).
func sigcontextRegs(r *arch.Registers) []*uint64 {
	return []*uint64{&r.R8, &r.R9, &r.R10, &r.R11, &r.R12, &r.R13, &r.R14, &r.R15,
		&r.Rdi, &r.Rsi, &r.Rbp, &r.Rbx, &r.Rdx, &r.Rax, &r.Rcx, &r.Rsp, &r.Rip, &r.Eflags}
}

// pushSignalFrame writes a signal frame for info on the task's stack (or
// its alternate stack) and points the registers at the handler.
func (t *Task) pushSignalFrame(info *linux.SignalInfo, act *linux.SigAction, oldMask linux.SignalSet, alt altStack) error {
	if err := t.ctx.SaveFP(t.mm.AddressSpace(), &t.st); err != nil {
		return fmt.Errorf("saving FP state: %w", err)
	}
	regs := &t.st.Regs
	sp := regs.Rsp
	onAlt := alt.size != 0 && sp-alt.sp < alt.size
	if act.Flags&linux.SA_ONSTACK != 0 && alt.size != 0 && !onAlt {
		sp = alt.sp + alt.size
	} else {
		sp -= redZone
	}
	fpSize := uint64(len(t.st.FP))
	fpAddr := (sp - fpSize - fpMagic2Size) &^ 63
	frame := ((fpAddr - frameSize) &^ 15) - 8

	buf := make([]byte, frameSize)
	le := binary.LittleEndian
	le.PutUint64(buf[0:], act.Restorer)
	le.PutUint64(buf[ucFlagsOff:], ucFPXstate|ucSigcontextSS|ucStrictRestoreSS)
	le.PutUint64(buf[ucStackOff:], alt.sp)
	le.PutUint32(buf[ucStackOff+8:], uint32(alt.flags))
	le.PutUint64(buf[ucStackOff+16:], alt.size)
	mc := buf[mcontextOff:]
	for i, p := range sigcontextRegs(regs) {
		le.PutUint64(mc[i*8:], *p)
	}
	le.PutUint16(mc[144:], uint16(regs.Cs))
	le.PutUint16(mc[146:], uint16(regs.Gs))
	le.PutUint16(mc[148:], uint16(regs.Fs))
	le.PutUint16(mc[150:], uint16(regs.Ss))
	// err, trapno, oldmask, cr2.
	le.PutUint64(mc[152:], 0)
	le.PutUint64(mc[160:], 0)
	le.PutUint64(mc[168:], uint64(oldMask))
	le.PutUint64(mc[176:], info.Addr)
	le.PutUint64(mc[184:], fpAddr)
	le.PutUint64(buf[sigmaskOff:], uint64(oldMask))
	info.Encode(buf[siginfoOff:])

	// The XSAVE area with the software-reserved bytes saying its size, and
	// the trailing magic that sigreturn checks.
	fp := make([]byte, fpSize+fpMagic2Size)
	copy(fp, t.st.FP)
	if fpSize >= swReservedOff+48 {
		sw := fp[swReservedOff:]
		le.PutUint32(sw[0:], fpMagic1)
		le.PutUint32(sw[4:], uint32(fpSize+fpMagic2Size))
		le.PutUint32(sw[16:], uint32(fpSize))
	}
	le.PutUint32(fp[fpSize:], fpMagic2)
	if _, err := t.CopyOut(uintptr(fpAddr), fp); err != nil {
		return err
	}
	if _, err := t.CopyOut(uintptr(frame), buf); err != nil {
		return err
	}
	regs.Rsp = frame
	regs.Rip = act.Handler
	regs.Rdi = uint64(info.Signo)
	regs.Rsi = frame + siginfoOff
	regs.Rdx = frame + ucFlagsOff
	regs.Rax = 0
	regs.Eflags &^= 0x400 | 0x100 // DF and TF cleared for the handler.
	return nil
}

// User-changeable rflags bits (FIX_EFLAGS in the kernel): CF PF AF ZF SF TF
// DF OF NT RF AC ID.
const userFlagsMask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4000 | 0x10000 | 0x40000 | 0x200000

// SigReturn restores the state saved by pushSignalFrame (rt_sigreturn).
// A corrupt frame kills the process with SIGSEGV, as Linux does.
func (t *Task) SigReturn() error {
	frame := t.st.Regs.Rsp - 8
	buf := t.Scratch(frameSize)
	if _, err := t.CopyIn(uintptr(frame), buf); err != nil {
		t.forceSignal(&linux.SignalInfo{Signo: int32(linux.SIGSEGV), Code: linux.SI_KERNEL})
		return ErrNoReturn
	}
	le := binary.LittleEndian
	regs := &t.st.Regs
	mc := buf[mcontextOff:]
	flags := regs.Eflags
	for i, p := range sigcontextRegs(regs) {
		*p = le.Uint64(mc[i*8:])
	}
	regs.Eflags = (flags &^ userFlagsMask) | (regs.Eflags & userFlagsMask) | arch.RflagsIF
	regs.Cs = arch.UserCS
	regs.Ss = arch.UserSS
	// No syscall restart after a sigreturn.
	regs.Orig_rax = ^uint64(0)
	mask := linux.SignalSet(le.Uint64(buf[sigmaskOff:]))
	fpAddr := le.Uint64(mc[184:])
	t.SetSignalMask(mask)
	if fpAddr != 0 {
		size := len(t.st.FP)
		if size == 0 {
			size = len(arch.InitialFP())
		}
		fp := make([]byte, size)
		if _, err := t.CopyIn(uintptr(fpAddr), fp); err != nil {
			t.forceSignal(&linux.SignalInfo{Signo: int32(linux.SIGSEGV), Code: linux.SI_KERNEL})
			return ErrNoReturn
		}
		// Only the legacy area's software bytes are ours; clear them
		// and the XSAVE header's reserved bits so the host accepts it.
		sanitizeFP(fp, t.st.FP)
		t.st.FP = fp
		t.st.FPDirty = true
	} else {
		t.st.FP = arch.InitialFP()
		t.st.FPDirty = true
	}
	return ErrNoReturn
}

const (
	fxsaveSize     = 512
	mxcsrOff       = 24
	mxcsrValidBits = 0xffff
)

// sanitizeFP makes an XSAVE image from application memory acceptable to the
// host: reserved MXCSR bits cleared, the software bytes cleared, the
// standard (uncompacted) format, and no component the thread did not have.
func sanitizeFP(fp, current []byte) {
	le := binary.LittleEndian
	le.PutUint32(fp[mxcsrOff:], le.Uint32(fp[mxcsrOff:])&mxcsrValidBits)
	clear(fp[swReservedOff:fxsaveSize])
	if len(fp) < fxsaveSize+64 {
		return
	}
	allowed := uint64(0x3) // x87 and SSE
	if len(current) >= fxsaveSize+8 {
		allowed |= le.Uint64(current[fxsaveSize:])
	}
	le.PutUint64(fp[fxsaveSize:], le.Uint64(fp[fxsaveSize:])&allowed)
	clear(fp[fxsaveSize+8 : fxsaveSize+64])
}
