package ptrace

import (
	"encoding/binary"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// Stub layout. The stub is one page of code and data at the top of the
// application's address space; everything else in a stub process is
// unmapped before it runs application code.
const (
	// stubBase is the address of the stub's page, and the end of the
	// application's usable address space (MaxUserAddress).
	stubBase = 0x7ffffffef000
	stubSize = 0x1000
	stubEnd  = stubBase + stubSize
	// userTop is TASK_SIZE on x86-64 with 4-level page tables.
	userTop = 0x7ffffffff000
	// minUserAddress keeps the null page range (mmap_min_addr) unused.
	minUserAddress = 0x10000

	// stubMemFD is the memory file's descriptor number inside every stub:
	// the only FD a stub starts with (the template closes whatever else
	// its exec inherited before it is cloned, factory.go).
	stubMemFD = 3
	// stubSockFD and stubSockPeerFD are the FDs of the socket pair a
	// stub makes for passed FDs (fdpass.go): the lowest free ones in a
	// table that holds stubMemFD only. The stub keeps stubSockFD.
	stubSockFD     = 0
	stubSockPeerFD = 1

	// codeOffset is where stubCode sits in the page (after the ELF
	// headers); fprogOffset is its sock_fprog, which the code finds at
	// codeOffset+0x100 (the .org in the listing), and filterOffset the
	// BPF instructions it points to.
	codeOffset   = 0x100
	fprogOffset  = codeOffset + 0x100
	filterOffset = fprogOffset + 16
	// cpuMasksOffset is a table of CPU sets, one 8-byte mask per CPU
	// (bit n set in entry n), at the end of the page: the sentry pins a
	// stub to a CPU by injecting sched_setaffinity(0, 8, &table[cpu])
	// (affinity.go), since the stub has no writable memory to pass a set
	// in.
	cpuMasksOffset = stubSize - maxPinnedCPUs*8
	maxPinnedCPUs  = 64

	// Offsets of labels in stubCode, from the listing below.
	stubReady       = 0x80 // int3 reached after setup
	stubSyscallSite = 0x83 // syscall; int3
	stubCloneSite   = 0x88 // syscall; test; jz child; int3
	stubCloneTrap   = 0x8f // the parent's int3 after clone
	// stubFailExit is the exit status of a stub whose setup failed or
	// whose sentry died before it was seized.
	stubFailExit = 111
)

// Addresses the tracer uses.
const (
	readyRIP        = stubBase + codeOffset + stubReady + 1
	syscallSiteRIP  = stubBase + codeOffset + stubSyscallSite
	syscallTrapRIP  = syscallSiteRIP + 3
	cloneSiteRIP    = stubBase + codeOffset + stubCloneSite
	cloneParentTrap = stubBase + codeOffset + stubCloneTrap + 1
)

// stubCode is the stub's machine code. It needs no stack and no data but the
// sock_fprog at codeOffset+0x100.
//
// How it was made: the assembly below (Intel syntax) was assembled with
// binutils 2.40 ("as --64 -o stub.o stub.S; objcopy -O binary -j .text
// stub.o stub.bin"), with ".org 0x100" followed by the label "fprog" at the
// end, and checked with "objdump -d -M intel stub.o". The listing is that
// output. To change it, edit the assembly, reassemble, and update the
// bytes, the label offsets above and TestStubCodeLayout.
//
//	_start:
//	   0: b8 9d 00 00 00          mov    eax,0x9d              # prctl(PR_SET_PDEATHSIG, SIGKILL)
//	   5: bf 01 00 00 00          mov    edi,0x1
//	   a: be 09 00 00 00          mov    esi,0x9
//	   f: 0f 05                   syscall
//	  11: b8 0b 00 00 00          mov    eax,0xb               # munmap(0, stubBase)
//	  16: 31 ff                   xor    edi,edi
//	  18: 48 be 00 f0 fe ff ff 7f movabs rsi,0x7ffffffef000
//	  1f: 00 00
//	  22: 0f 05                   syscall
//	  24: 48 85 c0                test   rax,rax
//	  27: 0f 85 8b 00 00 00       jne    b8 <fail>
//	  2d: b8 0b 00 00 00          mov    eax,0xb               # munmap(stubEnd, userTop-stubEnd)
//	  32: 48 bf 00 00 ff ff ff 7f movabs rdi,0x7fffffff0000
//	  39: 00 00
//	  3c: be 00 f0 00 00          mov    esi,0xf000
//	  41: 0f 05                   syscall
//	  43: 48 85 c0                test   rax,rax
//	  46: 75 70                   jne    b8 <fail>
//	  48: b8 9d 00 00 00          mov    eax,0x9d              # prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
//	  4d: bf 26 00 00 00          mov    edi,0x26
//	  52: be 01 00 00 00          mov    esi,0x1
//	  57: 31 d2                   xor    edx,edx
//	  59: 45 31 d2                xor    r10d,r10d
//	  5c: 45 31 c0                xor    r8d,r8d
//	  5f: 0f 05                   syscall
//	  61: 48 85 c0                test   rax,rax
//	  64: 75 52                   jne    b8 <fail>
//	  66: b8 3d 01 00 00          mov    eax,0x13d             # seccomp(SECCOMP_SET_MODE_FILTER, 0, &fprog)
//	  6b: bf 01 00 00 00          mov    edi,0x1
//	  70: 31 f6                   xor    esi,esi
//	  72: 48 8d 15 87 00 00 00    lea    rdx,[rip+0x87]        # 100 <fprog>
//	  79: 0f 05                   syscall
//	  7b: 48 85 c0                test   rax,rax
//	  7e: 75 38                   jne    b8 <fail>
//	ready:
//	  80: cc                      int3                         # tracer takes over
//	  81: eb 35                   jmp    b8 <fail>
//	syscall_site:                                              # injected system calls
//	  83: 0f 05                   syscall
//	  85: cc                      int3
//	  86: eb 30                   jmp    b8 <fail>
//	clone_site:                                                # clone(CLONE_PARENT|SIGCHLD), r12 = sentry PID
//	  88: 0f 05                   syscall
//	  8a: 48 85 c0                test   rax,rax
//	  8d: 74 03                   je     92 <child>
//	  8f: cc                      int3                         # template (parent) stops here
//	  90: eb 26                   jmp    b8 <fail>
//	child:
//	  92: b8 9d 00 00 00          mov    eax,0x9d              # prctl(PR_SET_PDEATHSIG, SIGKILL)
//	  97: bf 01 00 00 00          mov    edi,0x1
//	  9c: be 09 00 00 00          mov    esi,0x9
//	  a1: 0f 05                   syscall
//	  a3: b8 6e 00 00 00          mov    eax,0x6e              # getppid() == r12, else the sentry died
//	  a8: 0f 05                   syscall
//	  aa: 4c 39 e0                cmp    rax,r12
//	  ad: 75 09                   jne    b8 <fail>
//	child_loop:
//	  af: b8 22 00 00 00          mov    eax,0x22              # pause() until a tracer seizes us
//	  b4: 0f 05                   syscall
//	  b6: eb f7                   jmp    af <child_loop>
//	fail:
//	  b8: b8 e7 00 00 00          mov    eax,0xe7              # exit_group(111)
//	  bd: bf 6f 00 00 00          mov    edi,0x6f
//	  c2: 0f 05                   syscall
//	  c4: f4                      hlt
var stubCode = []byte{
	0xb8, 0x9d, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00, 0x00, 0xbe, 0x09, 0x00, 0x00, 0x00, 0x0f,
	0x05, 0xb8, 0x0b, 0x00, 0x00, 0x00, 0x31, 0xff, 0x48, 0xbe, 0x00, 0xf0, 0xfe, 0xff, 0xff, 0x7f,
	0x00, 0x00, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x0f, 0x85, 0x8b, 0x00, 0x00, 0x00, 0xb8, 0x0b, 0x00,
	0x00, 0x00, 0x48, 0xbf, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0xbe, 0x00, 0xf0, 0x00,
	0x00, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x75, 0x70, 0xb8, 0x9d, 0x00, 0x00, 0x00, 0xbf, 0x26, 0x00,
	0x00, 0x00, 0xbe, 0x01, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x45, 0x31, 0xd2, 0x45, 0x31, 0xc0, 0x0f,
	0x05, 0x48, 0x85, 0xc0, 0x75, 0x52, 0xb8, 0x3d, 0x01, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00, 0x00,
	0x31, 0xf6, 0x48, 0x8d, 0x15, 0x87, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x75, 0x38,
	0xcc, 0xeb, 0x35, 0x0f, 0x05, 0xcc, 0xeb, 0x30, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x74, 0x03, 0xcc,
	0xeb, 0x26, 0xb8, 0x9d, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00, 0x00, 0xbe, 0x09, 0x00, 0x00,
	0x00, 0x0f, 0x05, 0xb8, 0x6e, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x4c, 0x39, 0xe0, 0x75, 0x09, 0xb8,
	0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0xbf, 0x6f, 0x00,
	0x00, 0x00, 0x0f, 0x05, 0xf4,
}

// ELF constants (elf(5)).
const (
	elfHeaderSize  = 64
	elfPhdrSize    = 56
	elfPTLoad      = 1
	elfPTGNUStack  = 0x6474e551
	elfPFX         = 1
	elfPFW         = 2
	elfPFR         = 4
	elfETExec      = 2
	elfEMX86_64    = 62
	elfClass64     = 2
	elfData2LSB    = 1
	elfVersionCurr = 1
)

// stubELF returns the stub executable: a static ELF whose single PT_LOAD
// maps one read+execute page at stubBase holding the headers, stubCode,
// the sock_fprog, the BPF filter program filter and the CPU-mask table.
func stubELF(filter []byte) ([]byte, error) {
	if filterOffset+len(filter) > cpuMasksOffset {
		return nil, errFilterTooBig
	}
	size := stubSize
	b := make([]byte, size)
	le := binary.LittleEndian

	copy(b, []byte{0x7f, 'E', 'L', 'F', elfClass64, elfData2LSB, elfVersionCurr})
	le.PutUint16(b[16:], elfETExec)
	le.PutUint16(b[18:], elfEMX86_64)
	le.PutUint32(b[20:], elfVersionCurr)
	le.PutUint64(b[24:], stubBase+codeOffset) // e_entry
	le.PutUint64(b[32:], elfHeaderSize)       // e_phoff
	le.PutUint16(b[52:], elfHeaderSize)       // e_ehsize
	le.PutUint16(b[54:], elfPhdrSize)         // e_phentsize
	le.PutUint16(b[56:], 2)                   // e_phnum
	le.PutUint16(b[58:], 64)                  // e_shentsize

	ph := b[elfHeaderSize:]
	le.PutUint32(ph[0:], elfPTLoad)
	le.PutUint32(ph[4:], elfPFR|elfPFX)
	le.PutUint64(ph[8:], 0)             // p_offset
	le.PutUint64(ph[16:], stubBase)     // p_vaddr
	le.PutUint64(ph[24:], stubBase)     // p_paddr
	le.PutUint64(ph[32:], uint64(size)) // p_filesz
	le.PutUint64(ph[40:], uint64(size)) // p_memsz
	le.PutUint64(ph[48:], stubSize)     // p_align

	ph = b[elfHeaderSize+elfPhdrSize:]
	le.PutUint32(ph[0:], elfPTGNUStack)
	le.PutUint32(ph[4:], elfPFR|elfPFW)

	copy(b[codeOffset:], stubCode)
	le.PutUint16(b[fprogOffset:], uint16(len(filter)/8))
	le.PutUint64(b[fprogOffset+8:], stubBase+filterOffset)
	copy(b[filterOffset:], filter)
	for cpu := 0; cpu < maxPinnedCPUs; cpu++ {
		le.PutUint64(b[cpuMasksOffset+8*cpu:], 1<<cpu)
	}
	return b, nil
}

// buildStubELF compiles the stub filter and returns the stub executable.
func buildStubELF() ([]byte, error) {
	prog, err := stubFilter().Build()
	if err != nil {
		return nil, err
	}
	return stubELF(seccomp.Marshal(prog))
}
