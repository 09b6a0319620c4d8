package seccomp

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Data is struct seccomp_data: what a filter sees of one system call.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

func (d *Data) bytes() [seccompData]byte {
	var b [seccompData]byte
	binary.LittleEndian.PutUint32(b[dataNr:], uint32(d.Nr))
	binary.LittleEndian.PutUint32(b[dataArch:], d.Arch)
	binary.LittleEndian.PutUint64(b[dataIP:], d.IP)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[dataArgs+8*i:], a)
	}
	return b
}

// Eval runs prog over d as the kernel would and returns the action. It
// understands the instructions Build emits (32-bit absolute loads, AND with
// a constant, JEQ/JGT/JGE/JSET with a constant, JA, RET with a constant)
// and rejects anything else, so tests notice if Build starts emitting
// something it cannot check.
func Eval(prog []unix.SockFilter, d Data) (Action, error) {
	data := d.bytes()
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case ldAbsW:
			if in.K%4 != 0 || in.K+4 > seccompData {
				return 0, fmt.Errorf("pc %d: load at bad offset %d", pc, in.K)
			}
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case andK:
			acc &= in.K
		case ja:
			pc += int(in.K)
		case jeqK, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			var taken bool
			switch in.Code & 0xf0 {
			case unix.BPF_JEQ:
				taken = acc == in.K
			case unix.BPF_JGT:
				taken = acc > in.K
			case unix.BPF_JGE:
				taken = acc >= in.K
			case unix.BPF_JSET:
				taken = acc&in.K != 0
			}
			if taken {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case retK:
			return Action(in.K), nil
		default:
			return 0, fmt.Errorf("pc %d: unsupported instruction %#x", pc, in.Code)
		}
		if pc+1 > len(prog) {
			return 0, fmt.Errorf("pc %d: jump out of program", pc)
		}
	}
	return 0, fmt.Errorf("program ran off its end")
}
