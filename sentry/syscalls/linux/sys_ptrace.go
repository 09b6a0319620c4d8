package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// ptrace(2) requests.
const (
	ptraceTraceme         = 0
	ptracePeektext        = 1
	ptracePeekdata        = 2
	ptracePeekuser        = 3
	ptracePoketext        = 4
	ptracePokedata        = 5
	ptracePokeuser        = 6
	ptraceCont            = 7
	ptraceKill            = 8
	ptraceSinglestep      = 9
	ptraceGetregs         = 12
	ptraceSetregs         = 13
	ptraceGetfpregs       = 14
	ptraceSetfpregs       = 15
	ptraceAttach          = 16
	ptraceDetach          = 17
	ptraceSyscall         = 24
	ptraceSysemu          = 31
	ptraceSysemuStep      = 32
	ptraceSetoptions      = 0x4200
	ptraceGeteventmsg     = 0x4201
	ptraceGetsiginfo      = 0x4202
	ptraceSetsiginfo      = 0x4203
	ptraceGetregset       = 0x4204
	ptraceSetregset       = 0x4205
	ptraceSeize           = 0x4206
	ptraceInterrupt       = 0x4207
	ptraceListen          = 0x4208
	ptraceGetsigmask      = 0x420a
	ptraceSetsigmask      = 0x420b
	ptraceGetSyscallInfo  = 0x420e
	ntPrstatus            = 1
	ntPrfpreg             = 2
	ntX86Xstate           = 0x202
	userRegsSize          = 27 * 8
	userFPRegsSize        = 512
	userDebugregOffset    = 848
	userSize              = 912
	auditArchX86_64       = 0xc000003e
	eflagsUserMask        = 0x54dd5
	syscallInfoEntrySize  = 80
	syscallInfoExitSize   = 33
	syscallInfoHeaderSize = 24
)

// regFields are the registers in user_regs_struct order.
func regFields(r *arch.Registers) [27]*uint64 {
	return [27]*uint64{&r.R15, &r.R14, &r.R13, &r.R12, &r.Rbp, &r.Rbx, &r.R11, &r.R10, &r.R9, &r.R8,
		&r.Rax, &r.Rcx, &r.Rdx, &r.Rsi, &r.Rdi, &r.Orig_rax, &r.Rip, &r.Cs, &r.Eflags, &r.Rsp, &r.Ss,
		&r.Fs_base, &r.Gs_base, &r.Ds, &r.Es, &r.Fs, &r.Gs}
}

// Register indexes in user_regs_struct that a tracer may not set freely.
const (
	regEflags = 18
	regCS     = 17
	regSS     = 20
	regFSBase = 21
	regGSBase = 22
	regDS     = 23
)

func encodeRegs(r *arch.Registers, b []byte) {
	for i, p := range regFields(r) {
		le.PutUint64(b[i*8:], *p)
	}
}

// setReg sets register i to v as Linux's putreg does: segment selectors
// stay the user ones, eflags only changes in its user bits, and the base
// registers must be user addresses (EIO).
func setReg(r *arch.Registers, i int, v uint64) error {
	p := regFields(r)[i]
	switch {
	case i == regEflags:
		*p = *p&^eflagsUserMask | v&eflagsUserMask
	case i == regCS || i == regSS || i >= regDS:
		// Selectors are fixed for a 64-bit process.
	case (i == regFSBase || i == regGSBase) && v >= linux.TaskSize:
		return unix.EIO
	default:
		*p = v
	}
	return nil
}

func decodeRegs(r *arch.Registers, b []byte) error {
	n := *r
	for i := range regFields(&n) {
		if err := setReg(&n, i, le.Uint64(b[i*8:])); err != nil {
			return err
		}
	}
	*r = n
	return nil
}

// Ptrace implements Linux syscall ptrace(2) between the sandbox's
// processes.
func Ptrace(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	req, pid, addr, data := int(a[0]), int32(a[1]), a[2], a[3]
	switch req {
	case ptraceTraceme:
		return 0, t.PtraceTraceme()
	case ptraceAttach, ptraceSeize:
		if req == ptraceSeize && addr != 0 {
			return 0, unix.EIO
		}
		target := t.Kernel().TaskByTID(pid)
		if target == nil || target.IsZombie() {
			return 0, unix.ESRCH
		}
		var opts uint32
		if req == ptraceSeize {
			opts = uint32(data)
		}
		return 0, t.PtraceAttach(target, req == ptraceSeize, opts)
	case ptraceKill:
		return 0, t.PtraceKill(pid)
	case ptraceInterrupt:
		return 0, t.PtraceInterrupt(pid)
	case ptraceListen:
		return 0, t.PtraceListen(pid)
	case ptraceCont, ptraceSyscall, ptraceSinglestep, ptraceSysemu, ptraceSysemuStep:
		mode := map[int]kernel.PtraceResume{ptraceCont: kernel.PtraceResumeCont, ptraceSyscall: kernel.PtraceResumeSyscall,
			ptraceSinglestep: kernel.PtraceResumeSingleStep, ptraceSysemu: kernel.PtraceResumeSysemu,
			ptraceSysemuStep: kernel.PtraceResumeSysemuSingleStep}[req]
		return 0, t.PtraceResume(pid, mode, linux.Signal(data))
	case ptraceDetach:
		return 0, t.PtraceDetach(pid, linux.Signal(data))
	case ptraceSetoptions:
		return 0, t.PtraceSetOptions(pid, uint32(data))
	case ptraceGeteventmsg:
		msg, err := t.PtraceEventMsg(pid)
		if err != nil {
			return 0, err
		}
		return 0, putWord(t, data, msg)
	case ptraceGetsiginfo, ptraceSetsiginfo:
		return 0, ptraceSigInfo(t, req, pid, data)
	}
	tracee, err := t.PtraceTracee(pid)
	if err != nil {
		return 0, err
	}
	st := tracee.State()
	switch req {
	case ptracePeektext, ptracePeekdata:
		var b [8]byte
		if n, _ := tracee.MemoryManager().CopyIn(addr, b[:]); n != len(b) {
			return 0, unix.EIO
		}
		return 0, putWord(t, data, le.Uint64(b[:]))
	case ptracePoketext, ptracePokedata:
		var b [8]byte
		le.PutUint64(b[:], uint64(data))
		if n, _ := tracee.MemoryManager().ForceCopyOut(addr, b[:]); n != len(b) {
			return 0, unix.EIO
		}
		return 0, nil
	case ptracePeekuser:
		v, err := peekUser(st, addr)
		if err != nil {
			return 0, err
		}
		return 0, putWord(t, data, v)
	case ptracePokeuser:
		return 0, pokeUser(st, addr, uint64(data))
	case ptraceGetregs:
		b := t.Scratch(userRegsSize)
		encodeRegs(&st.Regs, b)
		_, err := t.CopyOut(data, b)
		return 0, err
	case ptraceSetregs:
		b := t.Scratch(userRegsSize)
		if _, err := t.CopyIn(data, b); err != nil {
			return 0, err
		}
		return 0, decodeRegs(&st.Regs, b)
	case ptraceGetfpregs:
		_, err := t.CopyOut(data, fpLegacy(st))
		return 0, err
	case ptraceSetfpregs:
		if _, err := t.CopyIn(data, fpLegacy(st)); err != nil {
			return 0, err
		}
		st.FPDirty = true
		return 0, nil
	case ptraceGetregset, ptraceSetregset:
		return 0, ptraceRegset(t, st, req == ptraceSetregset, addr, data)
	case ptraceGetsigmask, ptraceSetsigmask:
		if addr != 8 {
			return 0, unix.EINVAL
		}
		if req == ptraceGetsigmask {
			return 0, putWord(t, data, uint64(tracee.SignalMask()))
		}
		m, err := copyInSigset(t, data)
		if err != nil {
			return 0, err
		}
		tracee.SetSignalMask(m)
		return 0, nil
	case ptraceGetSyscallInfo:
		return ptraceSyscallInfo(t, pid, addr, data)
	}
	return 0, unix.EIO
}

func putWord(t *kernel.Task, addr uintptr, v uint64) error {
	var b [8]byte
	le.PutUint64(b[:], v)
	_, err := t.CopyOut(addr, b[:])
	return err
}

// fpLegacy is the FXSAVE part of the tracee's FP state (user_fpregs_struct).
func fpLegacy(st *arch.State) []byte {
	if len(st.FP) < userFPRegsSize {
		st.FP = append(st.FP, make([]byte, userFPRegsSize-len(st.FP))...)
	}
	return st.FP[:userFPRegsSize]
}

// peekUser reads a word of struct user: a register, or a debug register
// (always 0: the sentry gives no hardware breakpoints); EIO when off is
// misaligned or beyond the struct.
func peekUser(st *arch.State, off uintptr) (uint64, error) {
	if off%8 != 0 || off >= userSize {
		return 0, unix.EIO
	}
	if off < userRegsSize {
		return *regFields(&st.Regs)[off/8], nil
	}
	return 0, nil
}

// pokeUser writes a word of struct user: a register, or zero to a debug
// register (anything else there is EIO: no hardware breakpoints).
func pokeUser(st *arch.State, off uintptr, v uint64) error {
	if off%8 != 0 || off >= userSize {
		return unix.EIO
	}
	if off < userRegsSize {
		return setReg(&st.Regs, int(off/8), v)
	}
	if off >= userDebugregOffset && off < userDebugregOffset+64 && v == 0 {
		return nil
	}
	return unix.EIO
}

// ptraceRegset is PTRACE_GETREGSET and SETREGSET: iov at addr describes
// the buffer; NT_PRSTATUS, NT_PRFPREG and NT_X86_XSTATE are known.
func ptraceRegset(t *kernel.Task, st *arch.State, set bool, note, iovAddr uintptr) error {
	var iov [16]byte
	if _, err := t.CopyIn(iovAddr, iov[:]); err != nil {
		return err
	}
	base, n := uintptr(le.Uint64(iov[0:])), int(le.Uint64(iov[8:]))
	var regs []byte
	switch note {
	case ntPrstatus:
		regs = t.Scratch(userRegsSize)
		encodeRegs(&st.Regs, regs)
	case ntPrfpreg:
		regs = fpLegacy(st)
	case ntX86Xstate:
		regs = st.FP
	default:
		return unix.EINVAL
	}
	n = min(n, len(regs))
	if set {
		buf := make([]byte, n)
		if _, err := t.CopyIn(base, buf); err != nil {
			return err
		}
		if note == ntPrstatus {
			if n != userRegsSize {
				return unix.EINVAL
			}
			if err := decodeRegs(&st.Regs, buf); err != nil {
				return err
			}
		} else {
			copy(regs, buf)
			st.FPDirty = true
		}
	} else if _, err := t.CopyOut(base, regs[:n]); err != nil {
		return err
	}
	le.PutUint64(iov[8:], uint64(n))
	_, err := t.CopyOut(iovAddr, iov[:])
	return err
}

// ptraceSigInfo is PTRACE_GETSIGINFO and SETSIGINFO.
func ptraceSigInfo(t *kernel.Task, req int, pid int32, data uintptr) error {
	var b [linux.SignalInfoSize]byte
	var set *linux.SignalInfo
	if req == ptraceSetsiginfo {
		if _, err := t.CopyIn(data, b[:]); err != nil {
			return err
		}
		set = &linux.SignalInfo{Signo: int32(le.Uint32(b[0:])), Errno: int32(le.Uint32(b[4:])), Code: int32(le.Uint32(b[8:])),
			PID: int32(le.Uint32(b[16:])), UID: le.Uint32(b[20:]), Value: le.Uint64(b[24:])}
	}
	info, err := t.PtraceSigInfo(pid, set)
	if err != nil || set != nil {
		return err
	}
	info.Encode(b[:])
	_, err = t.CopyOut(data, b[:])
	return err
}

// ptraceSyscallInfo is PTRACE_GET_SYSCALL_INFO: it writes up to size
// bytes of struct ptrace_syscall_info and returns its full size.
func ptraceSyscallInfo(t *kernel.Task, pid int32, size, addr uintptr) (uintptr, error) {
	op, tracee, err := t.PtraceSyscallInfo(pid)
	if err != nil {
		return 0, err
	}
	st := tracee.State()
	var b [syscallInfoEntrySize]byte
	b[0] = op
	le.PutUint32(b[4:], auditArchX86_64)
	le.PutUint64(b[8:], st.Regs.Rip)
	le.PutUint64(b[16:], st.Regs.Rsp)
	n := syscallInfoHeaderSize
	switch op {
	case 1:
		le.PutUint64(b[24:], st.Regs.Orig_rax)
		for i, v := range st.SyscallArgs() {
			le.PutUint64(b[32+8*i:], uint64(v))
		}
		n = syscallInfoEntrySize
	case 2:
		rv := int64(st.Regs.Rax)
		le.PutUint64(b[24:], uint64(rv))
		if rv < 0 && rv >= -4095 {
			b[32] = 1
		}
		n = syscallInfoExitSize
	}
	if _, err := t.CopyOut(addr, b[:min(int(size), n)]); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}
