package bpf

import (
	"encoding/binary"
	"math/rand"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

func stmt(code uint16, k uint32) Insn { return Insn{Code: code, K: k} }
func jump(code uint16, k uint32, jt, jf uint8) Insn {
	return Insn{Code: code, Jt: jt, Jf: jf, K: k}
}

const (
	jeqK  = jmp | unix.BPF_JEQ | unix.BPF_K
	jgtX  = jmp | unix.BPF_JGT | unix.BPF_X
	addK  = alu | unix.BPF_ADD | unix.BPF_K
	divK  = alu | unix.BPF_DIV | unix.BPF_K
	divX  = alu | unix.BPF_DIV | unix.BPF_X
	lshK  = alu | unix.BPF_LSH | unix.BPF_K
	modK  = alu | unix.BPF_MOD | unix.BPF_K
	allow = unix.SECCOMP_RET_ALLOW
)

func TestCompile(t *testing.T) {
	retAllow := stmt(opRetK, allow)
	for _, tc := range []struct {
		name string
		prog []Insn
		ok   bool
	}{
		{"empty", nil, false},
		{"ret", []Insn{retAllow}, true},
		{"ret A", []Insn{stmt(opRetA, 0)}, true},
		{"no ret at end", []Insn{stmt(opLdImm, 1)}, false},
		{"load nr", []Insn{stmt(opLdAbsW, 0), retAllow}, true},
		{"load last arg high", []Insn{stmt(opLdAbsW, 60), retAllow}, true},
		{"load past data", []Insn{stmt(opLdAbsW, 64), retAllow}, false},
		{"load unaligned", []Insn{stmt(opLdAbsW, 2), retAllow}, false},
		{"load half", []Insn{stmt(ld|unix.BPF_H|unix.BPF_ABS, 0), retAllow}, false},
		{"load indirect", []Insn{stmt(ld|unix.BPF_W|unix.BPF_IND, 0), retAllow}, false},
		{"load len", []Insn{stmt(opLdLen, 0), stmt(opLdxLen, 0), retAllow}, true},
		{"div by 0", []Insn{stmt(divK, 0), retAllow}, false},
		{"div by 3", []Insn{stmt(divK, 3), retAllow}, true},
		{"div by X", []Insn{stmt(divX, 0), retAllow}, true},
		{"mod not allowed", []Insn{stmt(modK, 3), retAllow}, false},
		{"shift 31", []Insn{stmt(lshK, 31), retAllow}, true},
		{"shift 32", []Insn{stmt(lshK, 32), retAllow}, false},
		{"neg", []Insn{stmt(opNeg, 0), retAllow}, true},
		{"tax txa", []Insn{stmt(opTax, 0), stmt(opTxa, 0), retAllow}, true},
		{"unknown misc", []Insn{stmt(misc|0x20, 0), retAllow}, false},
		{"store then load", []Insn{stmt(st, 3), stmt(opLdMem, 3), retAllow}, true},
		{"load unwritten", []Insn{stmt(opLdMem, 3), retAllow}, false},
		{"load other cell", []Insn{stmt(st, 2), stmt(opLdxMem, 3), retAllow}, false},
		{"store cell 16", []Insn{stmt(st, 16), retAllow}, false},
		{"load cell 16", []Insn{stmt(stx, 15), stmt(opLdMem, 16), retAllow}, false},
		{"written on one path only", []Insn{
			jump(jeqK, 0, 0, 1), stmt(st, 0), stmt(opLdMem, 0), retAllow}, false},
		{"written on both paths", []Insn{
			jump(jeqK, 0, 0, 2), stmt(st, 0), stmt(opJa, 1), stmt(stx, 0), stmt(opLdMem, 0), retAllow}, true},
		{"ja to last", []Insn{stmt(opJa, 0), retAllow}, true},
		{"ja past end", []Insn{stmt(opJa, 1), retAllow}, false},
		{"ja huge", []Insn{stmt(opJa, 0xffffffff), retAllow}, false},
		{"jt past end", []Insn{jump(jeqK, 0, 1, 0), retAllow}, false},
		{"jf past end", []Insn{jump(jeqK, 0, 0, 1), retAllow}, false},
		{"jgt X", []Insn{jump(jgtX, 0, 0, 0), retAllow}, true},
		{"jmp with extra bits", []Insn{jump(jeqK|0x100, 0, 0, 0), retAllow}, false},
		{"ret X", []Insn{stmt(ret|unix.BPF_X, 0)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.prog)
			if tc.ok && err != nil {
				t.Fatalf("Compile: %v, want ok", err)
			}
			if !tc.ok && err != unix.EINVAL {
				t.Fatalf("Compile: %v, want EINVAL", err)
			}
			if tc.ok && p.Len() != len(tc.prog) {
				t.Fatalf("Len %d, want %d", p.Len(), len(tc.prog))
			}
		})
	}
}

func TestCompileLength(t *testing.T) {
	long := make([]Insn, MaxInsns+1)
	for i := range long {
		long[i] = stmt(opRetK, allow)
	}
	if _, err := Compile(long[:MaxInsns]); err != nil {
		t.Fatalf("4096 instructions: %v", err)
	}
	if _, err := Compile(long); err != unix.EINVAL {
		t.Fatalf("4097 instructions: %v, want EINVAL", err)
	}
}

func mustCompile(t testing.TB, prog []Insn) *Program {
	t.Helper()
	p, err := Compile(prog)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func TestRun(t *testing.T) {
	d := Data{Nr: 39, Arch: AuditArchX86_64, IP: 0x1122334455667788,
		Args: [6]uint64{1, 0xaaaabbbb_ccccdddd, 3, 4, 5, 0xdeadbeef_00000006}}
	for _, tc := range []struct {
		name string
		prog []Insn
		want uint32
	}{
		{"nr", []Insn{stmt(opLdAbsW, 0), stmt(opRetA, 0)}, 39},
		{"arch", []Insn{stmt(opLdAbsW, 4), stmt(opRetA, 0)}, AuditArchX86_64},
		{"ip low", []Insn{stmt(opLdAbsW, 8), stmt(opRetA, 0)}, 0x55667788},
		{"ip high", []Insn{stmt(opLdAbsW, 12), stmt(opRetA, 0)}, 0x11223344},
		{"arg1 low", []Insn{stmt(opLdAbsW, 24), stmt(opRetA, 0)}, 0xccccdddd},
		{"arg1 high", []Insn{stmt(opLdAbsW, 28), stmt(opRetA, 0)}, 0xaaaabbbb},
		{"arg5 high", []Insn{stmt(opLdAbsW, 60), stmt(opRetA, 0)}, 0xdeadbeef},
		{"len", []Insn{stmt(opLdLen, 0), stmt(opRetA, 0)}, 64},
		{"jeq taken", []Insn{stmt(opLdAbsW, 0), jump(jeqK, 39, 0, 1), stmt(opRetK, 1), stmt(opRetK, 2)}, 1},
		{"jeq not taken", []Insn{stmt(opLdAbsW, 0), jump(jeqK, 40, 0, 1), stmt(opRetK, 1), stmt(opRetK, 2)}, 2},
		{"jgt X", []Insn{stmt(opLdxImm, 38), stmt(opLdAbsW, 0), jump(jgtX, 0, 0, 1), stmt(opRetK, 1), stmt(opRetK, 2)}, 1},
		{"jset", []Insn{stmt(opLdImm, 6), jump(jmp|unix.BPF_JSET|unix.BPF_K, 8, 0, 1), stmt(opRetK, 1), stmt(opRetK, 2)}, 2},
		{"ja", []Insn{stmt(opJa, 1), stmt(opRetK, 1), stmt(opRetK, 2)}, 2},
		{"alu", []Insn{stmt(opLdImm, 10), stmt(addK, 5), stmt(alu|unix.BPF_MUL|unix.BPF_K, 3),
			stmt(alu|unix.BPF_SUB|unix.BPF_K, 1), stmt(divK, 4), stmt(lshK, 4),
			stmt(alu|unix.BPF_OR|unix.BPF_K, 1), stmt(alu|unix.BPF_XOR|unix.BPF_K, 3),
			stmt(alu|unix.BPF_RSH|unix.BPF_K, 1), stmt(alu|unix.BPF_AND|unix.BPF_K, 0xff), stmt(opRetA, 0)}, 0x59},
		{"neg", []Insn{stmt(opLdImm, 1), stmt(opNeg, 0), stmt(opRetA, 0)}, 0xffffffff},
		{"div by X zero returns 0", []Insn{stmt(opLdImm, 7), stmt(divX, 0), stmt(opRetK, 5)}, 0},
		{"scratch", []Insn{stmt(opLdImm, 7), stmt(st, 15), stmt(opTax, 0), stmt(opLdImm, 0), stmt(stx, 0),
			stmt(opLdxMem, 15), stmt(opTxa, 0), stmt(opRetA, 0)}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustCompile(t, tc.prog).Run(&d); got != tc.want {
				t.Fatalf("Run = %#x, want %#x", got, tc.want)
			}
		})
	}
}

// TestRunMatchesBuilder runs the programs the seccomp package builds
// through both its evaluator and Run, on random system calls.
func TestRunMatchesBuilder(t *testing.T) {
	f := &seccomp.Filter{
		Rules: []seccomp.SyscallRule{
			seccomp.Allow(unix.SYS_READ),
			seccomp.Allow(unix.SYS_FCNTL, seccomp.Any, seccomp.EqualTo(unix.F_GETFD)),
			seccomp.Allow(unix.SYS_FCNTL, seccomp.Any, seccomp.EqualTo(unix.F_SETFL), seccomp.MaskedEqual(0xfff, unix.O_NONBLOCK)),
			seccomp.Rule(unix.SYS_GETPPID, seccomp.ActionErrno(unix.EPERM)),
			seccomp.Allow(unix.SYS_LSEEK, seccomp.Any, seccomp.MaskedEqual(0xffffffff00000000, 0x100000000)),
		},
		Default: seccomp.ActionKillProcess,
		BadArch: seccomp.ActionKillThread,
	}
	built, err := f.Build()
	if err != nil {
		t.Fatal(err)
	}
	p := mustCompile(t, FromSockFilter(built))
	r := rand.New(rand.NewSource(1))
	nrs := []int32{unix.SYS_READ, unix.SYS_FCNTL, unix.SYS_GETPPID, unix.SYS_LSEEK, unix.SYS_WRITE}
	for i := 0; i < 20000; i++ {
		d := Data{Nr: nrs[r.Intn(len(nrs))], Arch: AuditArchX86_64, IP: r.Uint64()}
		if r.Intn(10) == 0 {
			d.Arch = unix.AUDIT_ARCH_I386
		}
		for j := range d.Args {
			d.Args[j] = uint64(r.Intn(8)) | uint64(r.Intn(3))<<32 | uint64(r.Intn(2))<<11
		}
		if r.Intn(2) == 0 {
			d.Args[1] = unix.F_SETFL
		}
		want, err := seccomp.Eval(built, seccomp.Data{Nr: d.Nr, Arch: d.Arch, IP: d.IP, Args: d.Args})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Run(&d); got != uint32(want) {
			t.Fatalf("%+v: Run = %#x, Eval = %#x", d, got, want)
		}
	}
}

func TestRunAllocates(t *testing.T) {
	p := mustCompile(t, []Insn{stmt(opLdAbsW, 0), stmt(st, 1), stmt(opLdMem, 1), jump(jeqK, 1, 0, 1), stmt(opRetK, 1), stmt(opRetA, 0)})
	d := Data{Nr: 1}
	if n := testing.AllocsPerRun(100, func() { p.Run(&d) }); n != 0 {
		t.Fatalf("Run allocates %v times", n)
	}
}

// FuzzCompileRun: any byte string, as a program, either fails to compile
// or runs to a result without panicking.
func FuzzCompileRun(f *testing.F) {
	f.Add([]byte{0x20, 0, 0, 0, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f}, uint64(1))
	f.Add([]byte{0x02, 0, 0, 0, 3, 0, 0, 0, 0x60, 0, 0, 0, 3, 0, 0, 0, 0x16, 0, 0, 0, 0, 0, 0, 0}, uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		insns := DecodeInsns(b)
		p, err := Compile(insns)
		if err != nil {
			if err != unix.EINVAL {
				t.Fatalf("Compile: %v", err)
			}
			return
		}
		d := Data{Nr: int32(seed), Arch: AuditArchX86_64, IP: seed * 3}
		for i := range d.Args {
			d.Args[i] = seed >> i
		}
		p.Run(&d)
	})
}

// TestCompileRandom drives the fuzz body with random programs of valid
// opcodes, which the fuzzer's byte strings rarely hit.
func TestCompileRandom(t *testing.T) {
	codes := []uint16{opLdAbsW, opLdLen, opLdxLen, opLdImm, opLdxImm, opLdMem, opLdxMem, st, stx,
		opNeg, opJa, opRetK, opRetA, opTax, opTxa, addK, divK, divX, lshK, jeqK, jgtX,
		alu | unix.BPF_RSH | unix.BPF_X, jmp | unix.BPF_JSET | unix.BPF_X}
	r := rand.New(rand.NewSource(2))
	compiled := 0
	for i := 0; i < 50000; i++ {
		n := 1 + r.Intn(12)
		prog := make([]Insn, n)
		for j := range prog {
			prog[j] = Insn{Code: codes[r.Intn(len(codes))], Jt: uint8(r.Intn(4)), Jf: uint8(r.Intn(4)), K: uint32(r.Intn(20)) * 4 / uint32(1+r.Intn(4))}
		}
		prog[n-1] = stmt(opRetA, 0)
		p, err := Compile(prog)
		if err != nil {
			continue
		}
		compiled++
		d := Data{Nr: int32(r.Uint32()), Arch: r.Uint32(), IP: r.Uint64()}
		p.Run(&d)
	}
	if compiled < 1000 {
		t.Fatalf("only %d of the random programs compiled: the generator is too weak", compiled)
	}
}

func TestDecodeInsns(t *testing.T) {
	b := make([]byte, 2*InsnSize+3)
	binary.LittleEndian.PutUint16(b[8:], opRetK)
	b[10], b[11] = 1, 2
	binary.LittleEndian.PutUint32(b[12:], allow)
	got := DecodeInsns(b)
	if len(got) != 2 || got[1] != (Insn{Code: opRetK, Jt: 1, Jf: 2, K: allow}) {
		t.Fatalf("DecodeInsns = %+v", got)
	}
}

func BenchmarkRun(b *testing.B) {
	f := &seccomp.Filter{Default: seccomp.ActionAllow, BadArch: seccomp.ActionKillProcess}
	for nr := uintptr(100); nr < 140; nr++ {
		f.Rules = append(f.Rules, seccomp.Rule(nr, seccomp.ActionErrno(unix.EPERM)))
	}
	built, err := f.Build()
	if err != nil {
		b.Fatal(err)
	}
	p := mustCompile(b, FromSockFilter(built))
	d := Data{Nr: unix.SYS_READ, Arch: AuditArchX86_64}
	for i := 0; i < b.N; i++ {
		p.Run(&d)
	}
}
