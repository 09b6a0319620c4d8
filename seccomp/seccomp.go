// Package seccomp compiles small system-call allowlists into classic BPF
// programs for seccomp(2) and installs them.
//
// A Filter is data: a list of SyscallRules (a system call number, optional
// matchers on its six arguments, and the action when they match), a default
// action and the action for a foreign architecture. Build turns it into a
// []unix.SockFilter; Install and InstallAllThreads load a program. Each
// process's own filter lives next to its owner (the stub's in
// platform/ptrace, the sentry's and the gofer's beside them); this package
// only compiles and installs.
//
// Eval interprets the subset of classic BPF that Build emits, so rules can
// be tested table-driven without installing anything.
//
// Locking: none; everything here is pure functions over values, except
// Install, which acts on the calling thread.
package seccomp

import (
	"encoding/binary"
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
)

// Action is a seccomp return value (SECCOMP_RET_*, with data for ERRNO).
type Action uint32

// Actions.
const (
	ActionKillProcess Action = unix.SECCOMP_RET_KILL_PROCESS
	ActionKillThread  Action = unix.SECCOMP_RET_KILL_THREAD
	ActionTrap        Action = unix.SECCOMP_RET_TRAP
	ActionLog         Action = unix.SECCOMP_RET_LOG
	ActionAllow       Action = unix.SECCOMP_RET_ALLOW
	// ActionTrace stops the thread for its ptracer
	// (PTRACE_EVENT_SECCOMP); without one the call fails with ENOSYS.
	ActionTrace Action = unix.SECCOMP_RET_TRACE
)

// ActionErrno fails the system call with e.
func ActionErrno(e unix.Errno) Action {
	return Action(unix.SECCOMP_RET_ERRNO | uint32(e)&unix.SECCOMP_RET_DATA)
}

// Arg matches one 64-bit system-call argument: by default (arg & mask) ==
// value, or an unsigned comparison with value (GreaterThan and the
// others). The zero Arg matches anything. The 64 bits are compared as two
// 32-bit halves, since classic BPF loads 32 bits at a time.
type Arg struct {
	mask, value uint64
	op          cmpOp
}

// cmpOp is how an Arg compares; the zero value is the masked equality.
type cmpOp uint8

const (
	opMaskedEq cmpOp = iota
	opNE
	opLT
	opLE
	opGE
	opGT
)

// Any matches every value.
var Any = Arg{}

// EqualTo matches exactly v (all 64 bits).
func EqualTo(v uint64) Arg { return Arg{mask: ^uint64(0), value: v} }

// MaskedEqual matches arguments a with a&mask == v.
func MaskedEqual(mask, v uint64) Arg { return Arg{mask: mask, value: v & mask} }

// NotEqual matches every argument but v.
func NotEqual(v uint64) Arg { return Arg{mask: ^uint64(0), value: v, op: opNE} }

// LessThan, LessOrEqual, GreaterOrEqual and GreaterThan compare the
// argument with v as unsigned 64-bit numbers, as libseccomp's
// SCMP_CMP_LT, _LE, _GE and _GT.
func LessThan(v uint64) Arg       { return Arg{mask: ^uint64(0), value: v, op: opLT} }
func LessOrEqual(v uint64) Arg    { return Arg{mask: ^uint64(0), value: v, op: opLE} }
func GreaterOrEqual(v uint64) Arg { return Arg{mask: ^uint64(0), value: v, op: opGE} }
func GreaterThan(v uint64) Arg    { return Arg{mask: ^uint64(0), value: v, op: opGT} }

// Matches reports whether argument v passes the matcher.
func (a Arg) Matches(v uint64) bool {
	switch a.op {
	case opNE:
		return v != a.value
	case opLT:
		return v < a.value
	case opLE:
		return v <= a.value
	case opGE:
		return v >= a.value
	case opGT:
		return v > a.value
	}
	return v&a.mask == a.value
}

// Example returns a value the matcher accepts (for tests of allowlists).
func (a Arg) Example() uint64 {
	switch a.op {
	case opNE, opGT:
		return a.value + 1
	case opLT:
		return a.value - 1
	}
	return a.value
}

// String describes the matcher.
func (a Arg) String() string {
	switch a.op {
	case opNE:
		return fmt.Sprintf("!=%#x", a.value)
	case opLT:
		return fmt.Sprintf("<%#x", a.value)
	case opLE:
		return fmt.Sprintf("<=%#x", a.value)
	case opGE:
		return fmt.Sprintf(">=%#x", a.value)
	case opGT:
		return fmt.Sprintf(">%#x", a.value)
	}
	switch a.mask {
	case 0:
		return "*"
	case ^uint64(0):
		return fmt.Sprintf("%#x", a.value)
	}
	return fmt.Sprintf("&%#x==%#x", a.mask, a.value)
}

// SyscallRule is one form of a system call and what to do with it.
type SyscallRule struct {
	// Nr is the x86-64 system call number.
	Nr uintptr
	// Args are matchers on rdi, rsi, rdx, r10, r8, r9; the zero Arg
	// matches anything.
	Args [6]Arg
	// IP matches the instruction pointer (seccomp_data's
	// instruction_pointer); the zero Arg matches anything.
	IP Arg
	// Action is returned when Nr, IP and every Arg match.
	Action Action
}

// Allow returns a rule allowing nr when its leading arguments match args.
func Allow(nr uintptr, args ...Arg) SyscallRule {
	return Rule(nr, ActionAllow, args...)
}

// Rule returns a rule with the given action.
func Rule(nr uintptr, action Action, args ...Arg) SyscallRule {
	r := SyscallRule{Nr: nr, Action: action}
	copy(r.Args[:], args)
	return r
}

// Filter is a whole seccomp policy for x86-64.
type Filter struct {
	// Rules are tried in order for a system call; the first whose
	// arguments match decides.
	Rules []SyscallRule
	// Default is the action when no rule matches.
	Default Action
	// BadArch is the action when the calling convention is not x86-64.
	BadArch Action
}

// Offsets in struct seccomp_data.
const (
	dataNr      = 0
	dataArch    = 4
	dataIP      = 8
	dataArgs    = 16
	seccompData = 64
)

// BPF opcodes used by Build.
const (
	ldAbsW = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	andK   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	jeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	jgtK   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	jgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	ja     = unix.BPF_JMP | unix.BPF_JA
	retK   = unix.BPF_RET | unix.BPF_K
)

// maxInsns is BPF_MAXINSNS.
const maxInsns = 4096

// asm accumulates instructions with forward jumps to labels.
type asm struct {
	prog []unix.SockFilter
	// fixups maps a label to the indexes of the ja instructions that jump
	// to it.
	fixups map[int][]int
	labels int
}

func (a *asm) emit(code uint16, jt, jf uint8, k uint32) {
	a.prog = append(a.prog, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
}

func (a *asm) newLabel() int { a.labels++; return a.labels }

// jumpTo emits an unconditional jump to label.
func (a *asm) jumpTo(label int) {
	a.fixups[label] = append(a.fixups[label], len(a.prog))
	a.emit(ja, 0, 0, 0)
}

// bind makes label point at the next instruction.
func (a *asm) bind(label int) {
	for _, i := range a.fixups[label] {
		a.prog[i].K = uint32(len(a.prog) - i - 1)
	}
	delete(a.fixups, label)
}

// skipUnlessEqual emits "if A != k goto label". The conditional jump only
// ever skips one instruction; the far jump is a ja with a 32-bit offset, so
// programs of any size assemble without branch-range trouble.
func (a *asm) skipUnlessEqual(k uint32, label int) {
	a.emit(jeqK, 1, 0, k)
	a.jumpTo(label)
}

// match emits "if the 64-bit word of seccomp_data at off does not match m
// goto label".
func (a *asm) match(off uint32, m Arg, label int) {
	hi, lo := uint32(m.value>>32), uint32(m.value)
	switch m.op {
	case opNE:
		ok := a.newLabel()
		a.emit(ldAbsW, 0, 0, off+4)
		a.emit(jeqK, 1, 0, hi)
		a.jumpTo(ok)
		a.emit(ldAbsW, 0, 0, off)
		a.emit(jeqK, 0, 1, lo)
		a.jumpTo(label)
		a.bind(ok)
	case opGT, opGE, opLT, opLE:
		// The high halves decide unless they are equal: a greater one
		// makes GT and GE hold, LT and LE fail; then the low halves.
		ok := a.newLabel()
		greater, less := ok, label
		if m.op == opLT || m.op == opLE {
			greater, less = label, ok
		}
		a.emit(ldAbsW, 0, 0, off+4)
		a.emit(jgtK, 0, 1, hi)
		a.jumpTo(greater)
		a.emit(jeqK, 1, 0, hi)
		a.jumpTo(less)
		a.emit(ldAbsW, 0, 0, off)
		a.emit(lowJump(m.op), 0, 1, lo)
		a.jumpTo(greater)
		if less != ok {
			a.jumpTo(less)
		}
		a.bind(ok)
	default:
		a.matchMasked(off, m, label)
	}
}

// lowJump is the jump on the low halves once the high ones are equal,
// taken where a greater high half would go: JGT for GT (which holds when
// lo > v) and LE (which fails then), JGE for GE and LT.
func lowJump(op cmpOp) uint16 {
	if op == opGT || op == opLE {
		return jgtK
	}
	return jgeK
}

// matchMasked emits the masked equality, half by half; nothing for a half
// that m ignores.
func (a *asm) matchMasked(off uint32, m Arg, label int) {
	for half := 0; half < 2; half++ {
		shift := 32 * uint(half)
		mask, val := uint32(m.mask>>shift), uint32(m.value>>shift)
		if mask == 0 {
			continue
		}
		a.emit(ldAbsW, 0, 0, off+4*uint32(half))
		if mask != 0xffffffff {
			a.emit(andK, 0, 0, mask)
		}
		a.skipUnlessEqual(val, label)
	}
}

// leafNumbers is how many numbers search compares one by one: below it,
// a binary split costs more than it saves.
const leafNumbers = 4

// search emits the rules of the sorted numbers nrs as a binary search on
// the number (in A on entry), so that a call runs about 3*log2(len(nrs))
// instructions to find its rules, not 3*len(nrs); each leaf tries its few
// numbers in turn, and ends with the default action.
func (a *asm) search(nrs []uintptr, byNr map[uintptr][]SyscallRule, def Action) {
	if len(nrs) > leafNumbers {
		mid := len(nrs) / 2
		upper := a.newLabel()
		a.emit(jgeK, 0, 1, uint32(nrs[mid]))
		a.jumpTo(upper)
		a.search(nrs[:mid], byNr, def)
		a.bind(upper)
		a.search(nrs[mid:], byNr, def)
		return
	}
	for i, nr := range nrs {
		nextNr := a.newLabel()
		if i > 0 {
			// The rules of the number before loaded arguments.
			a.emit(ldAbsW, 0, 0, dataNr)
		}
		a.skipUnlessEqual(uint32(nr), nextNr)
		for _, r := range byNr[nr] {
			nextRule := a.newLabel()
			a.match(dataIP, r.IP, nextRule)
			for i, m := range r.Args {
				a.match(uint32(dataArgs+8*i), m, nextRule)
			}
			a.emit(retK, 0, 0, uint32(r.Action))
			a.bind(nextRule)
		}
		// No form of this number matched.
		a.emit(retK, 0, 0, uint32(def))
		a.bind(nextNr)
	}
	a.emit(retK, 0, 0, uint32(def))
}

// Build compiles f into a BPF program.
func (f *Filter) Build() ([]unix.SockFilter, error) {
	a := &asm{fixups: make(map[int][]int)}
	a.emit(ldAbsW, 0, 0, dataArch)
	a.emit(jeqK, 1, 0, unix.AUDIT_ARCH_X86_64)
	a.emit(retK, 0, 0, uint32(f.BadArch))

	// Group rules by number, keeping their order within a number.
	byNr := make(map[uintptr][]SyscallRule)
	var nrs []uintptr
	for _, r := range f.Rules {
		if _, ok := byNr[r.Nr]; !ok {
			nrs = append(nrs, r.Nr)
		}
		byNr[r.Nr] = append(byNr[r.Nr], r)
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })

	for _, nr := range nrs {
		if uint64(nr) > 0xffffffff {
			return nil, fmt.Errorf("system call number %#x out of range", nr)
		}
	}
	a.emit(ldAbsW, 0, 0, dataNr)
	a.search(nrs, byNr, f.Default)
	if len(a.prog) > maxInsns {
		return nil, fmt.Errorf("seccomp program has %d instructions, more than %d", len(a.prog), maxInsns)
	}
	return a.prog, nil
}

// Marshal returns prog as the bytes of a struct sock_filter array, for
// embedding in a program that installs it itself (the ptrace stub).
func Marshal(prog []unix.SockFilter) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		b = binary.LittleEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.LittleEndian.AppendUint32(b, in.K)
	}
	return b
}
