// Package bpf verifies and runs the classic BPF programs that applications
// install as seccomp filters (seccomp(2), prctl(PR_SET_SECCOMP)).
//
// Compile checks a program as Linux's bpf_check_classic and
// seccomp_check_filter do (net/core/filter.c, kernel/seccomp.c): 1 to
// 4096 instructions, only the opcodes seccomp allows, 32-bit aligned loads
// inside struct seccomp_data, scratch cells written before they are read
// on every path, in-bounds forward jumps, a RET at the end. A Program that
// Compile returned cannot fault: Run needs no bounds checks beyond Go's
// own, never allocates, and always terminates (jumps only go forward).
//
// Locking: none. A Program is immutable once compiled and may be run by
// any number of goroutines at once.
package bpf

import (
	"golang.org/x/sys/unix"
)

// MaxInsns is BPF_MAXINSNS, the most instructions one program may have.
const MaxInsns = 4096

// memWords is BPF_MEMWORDS, the number of scratch cells M[].
const memWords = 16

// DataSize is sizeof(struct seccomp_data).
const DataSize = 64

// AuditArchX86_64 is AUDIT_ARCH_X86_64, seccomp_data.arch of every call.
const AuditArchX86_64 = unix.AUDIT_ARCH_X86_64

// Data is struct seccomp_data: what a filter sees of one system call.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// Insn is struct sock_filter.
type Insn struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// InsnSize is sizeof(struct sock_filter).
const InsnSize = 8

// Program is a verified seccomp filter.
type Program struct {
	insns []Insn
}

// Len returns the number of instructions.
func (p *Program) Len() int { return len(p.insns) }

// Opcodes, as linux/filter.h spells them.
const (
	ld   = unix.BPF_LD
	ldx  = unix.BPF_LDX
	st   = unix.BPF_ST
	stx  = unix.BPF_STX
	alu  = unix.BPF_ALU
	jmp  = unix.BPF_JMP
	ret  = unix.BPF_RET
	misc = unix.BPF_MISC

	opLdAbsW = ld | unix.BPF_W | unix.BPF_ABS
	opLdLen  = ld | unix.BPF_W | unix.BPF_LEN
	opLdxLen = ldx | unix.BPF_W | unix.BPF_LEN
	opLdImm  = ld | unix.BPF_IMM
	opLdxImm = ldx | unix.BPF_IMM
	opLdMem  = ld | unix.BPF_MEM
	opLdxMem = ldx | unix.BPF_MEM
	opNeg    = alu | unix.BPF_NEG
	opJa     = jmp | unix.BPF_JA
	opRetK   = ret | unix.BPF_K
	opRetA   = ret | unix.BPF_A
	opTax    = misc | unix.BPF_TAX
	opTxa    = misc | unix.BPF_TXA
)

// aluOps and jmpOps are the operations seccomp allows with K or X
// (seccomp_check_filter has no BPF_MOD).
var (
	aluOps = [...]uint16{unix.BPF_ADD, unix.BPF_SUB, unix.BPF_MUL, unix.BPF_DIV,
		unix.BPF_AND, unix.BPF_OR, unix.BPF_XOR, unix.BPF_LSH, unix.BPF_RSH}
	jmpOps = [...]uint16{unix.BPF_JEQ, unix.BPF_JGE, unix.BPF_JGT, unix.BPF_JSET}
)

func isALU(code uint16) bool      { return hasOp(code, alu, aluOps[:]) }
func isCondJump(code uint16) bool { return hasOp(code, jmp, jmpOps[:]) }

// hasOp reports whether code is one of ops in class, with K or X and no
// other bits.
func hasOp(code, class uint16, ops []uint16) bool {
	if code&^(0xf0|unix.BPF_X) != class {
		return false
	}
	for _, op := range ops {
		if code&0xf0 == op {
			return true
		}
	}
	return false
}

// Compile verifies insns as a seccomp filter and returns the program, or
// unix.EINVAL. insns is copied.
func Compile(insns []Insn) (*Program, error) {
	n := len(insns)
	if n == 0 || n > MaxInsns {
		return nil, unix.EINVAL
	}
	for pc, in := range insns {
		if !checkInsn(pc, n, in) {
			return nil, unix.EINVAL
		}
	}
	if c := insns[n-1].Code; c != opRetK && c != opRetA {
		return nil, unix.EINVAL
	}
	if !checkLoadsAndStores(insns) {
		return nil, unix.EINVAL
	}
	p := &Program{insns: make([]Insn, n)}
	copy(p.insns, insns)
	return p, nil
}

// checkInsn checks one instruction at pc of an n-instruction program.
func checkInsn(pc, n int, in Insn) bool {
	// Jumps are relative to the next instruction and must stay inside.
	left := uint32(n - pc - 1)
	switch c := in.Code; {
	case c == opLdAbsW:
		return in.K < DataSize && in.K&3 == 0
	case c == opLdLen, c == opLdxLen, c == opLdImm, c == opLdxImm,
		c == opNeg, c == opRetK, c == opRetA, c == opTax, c == opTxa:
		return true
	case c == opLdMem, c == opLdxMem, c == st, c == stx:
		return in.K < memWords
	case isALU(c):
		if c&unix.BPF_X == 0 {
			switch c & 0xf0 {
			case unix.BPF_DIV:
				return in.K != 0
			case unix.BPF_LSH, unix.BPF_RSH:
				return in.K < 32
			}
		}
		return true
	case c == opJa:
		return in.K < left
	case isCondJump(c):
		return uint32(in.Jt) < left && uint32(in.Jf) < left
	}
	return false
}

// checkLoadsAndStores rejects a program that may read a scratch cell
// before writing it, as Linux's check_load_and_stores: the cells known
// written flow forward along jumps; a jump target keeps only what every
// path into it wrote.
// Preconditions: every instruction passed checkInsn.
func checkLoadsAndStores(insns []Insn) bool {
	masks := make([]uint16, len(insns))
	for i := range masks {
		masks[i] = 0xffff
	}
	var valid uint16
	for pc, in := range insns {
		valid &= masks[pc]
		switch c := in.Code; {
		case c == st, c == stx:
			valid |= 1 << in.K
		case c == opLdMem, c == opLdxMem:
			if valid&(1<<in.K) == 0 {
				return false
			}
		case c == opJa:
			masks[pc+1+int(in.K)] &= valid
			valid = 0xffff
		case isCondJump(c):
			masks[pc+1+int(in.Jt)] &= valid
			masks[pc+1+int(in.Jf)] &= valid
			valid = 0xffff
		}
	}
	return true
}

// word returns the 32-bit word of d at offset off (aligned, < DataSize),
// as a little-endian load from struct seccomp_data.
func (d *Data) word(off uint32) uint32 {
	switch off {
	case 0:
		return uint32(d.Nr)
	case 4:
		return d.Arch
	case 8:
		return uint32(d.IP)
	case 12:
		return uint32(d.IP >> 32)
	}
	a := d.Args[(off-16)/8]
	if off&4 != 0 {
		return uint32(a >> 32)
	}
	return uint32(a)
}

// Run runs the program over d and returns its 32-bit result.
func (p *Program) Run(d *Data) uint32 {
	var a, x uint32
	var mem [memWords]uint32
	insns := p.insns
	for pc := 0; pc < len(insns); pc++ {
		in := &insns[pc]
		switch in.Code {
		case opLdAbsW:
			a = d.word(in.K)
		case opLdLen:
			a = DataSize
		case opLdxLen:
			x = DataSize
		case opLdImm:
			a = in.K
		case opLdxImm:
			x = in.K
		case opLdMem:
			a = mem[in.K&(memWords-1)]
		case opLdxMem:
			x = mem[in.K&(memWords-1)]
		case st:
			mem[in.K&(memWords-1)] = a
		case stx:
			mem[in.K&(memWords-1)] = x
		case opTax:
			x = a
		case opTxa:
			a = x
		case opNeg:
			a = -a
		case opRetK:
			return in.K
		case opRetA:
			return a
		case opJa:
			pc += int(in.K)
		default:
			v := in.K
			if in.Code&unix.BPF_X != 0 {
				v = x
			}
			if in.Code&0x07 == jmp {
				if condition(in.Code&0xf0, a, v) {
					pc += int(in.Jt)
				} else {
					pc += int(in.Jf)
				}
				continue
			}
			var ok bool
			if a, ok = aluOp(in.Code&0xf0, a, v); !ok {
				// Division by X == 0: classic BPF ends the program
				// with 0 (bpf_convert_filter), which is KILL_THREAD.
				return 0
			}
		}
	}
	// Unreachable for a compiled program: it ends with a RET.
	return 0
}

func condition(op uint16, a, v uint32) bool {
	switch op {
	case unix.BPF_JEQ:
		return a == v
	case unix.BPF_JGE:
		return a >= v
	case unix.BPF_JGT:
		return a > v
	default: // BPF_JSET
		return a&v != 0
	}
}

func aluOp(op uint16, a, v uint32) (uint32, bool) {
	switch op {
	case unix.BPF_ADD:
		return a + v, true
	case unix.BPF_SUB:
		return a - v, true
	case unix.BPF_MUL:
		return a * v, true
	case unix.BPF_DIV:
		if v == 0 {
			return 0, false
		}
		return a / v, true
	case unix.BPF_AND:
		return a & v, true
	case unix.BPF_OR:
		return a | v, true
	case unix.BPF_XOR:
		return a ^ v, true
	case unix.BPF_LSH:
		// A shift by X of 32 or more: x86's JIT and interpreter both
		// take the count modulo 32.
		return a << (v & 31), true
	default: // BPF_RSH
		return a >> (v & 31), true
	}
}

// DecodeInsns decodes an array of struct sock_filter as the application
// wrote it; a partial trailing instruction is dropped.
func DecodeInsns(b []byte) []Insn {
	insns := make([]Insn, len(b)/InsnSize)
	for i := range insns {
		r := b[i*InsnSize:]
		insns[i] = Insn{Code: uint16(r[0]) | uint16(r[1])<<8, Jt: r[2], Jf: r[3],
			K: uint32(r[4]) | uint32(r[5])<<8 | uint32(r[6])<<16 | uint32(r[7])<<24}
	}
	return insns
}

// FromSockFilter converts a program from the form the seccomp package
// builds.
func FromSockFilter(prog []unix.SockFilter) []Insn {
	insns := make([]Insn, len(prog))
	for i, in := range prog {
		insns[i] = Insn{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return insns
}
