package platformtest

// Machine code run by the suite, hand-assembled with binutils
// ("as --64" on the Intel-syntax source shown, then "objdump -d").
var (
	// syscallLoop:
	//	0: 0f 05    syscall
	//	2: eb fc    jmp 0
	syscallLoop = []byte{0x0f, 0x05, 0xeb, 0xfc}

	// loadRBX:
	//	0: 48 8b 03 mov rax, [rbx]
	//	3: 48 89 c7 mov rdi, rax
	//	6: 0f 05    syscall
	loadRBX = []byte{0x48, 0x8b, 0x03, 0x48, 0x89, 0xc7, 0x0f, 0x05}

	// storeRBX:
	//	0: 48 89 0b mov [rbx], rcx
	//	3: 0f 05    syscall
	storeRBX = []byte{0x48, 0x89, 0x0b, 0x0f, 0x05}

	// ud2:
	//	0: 0f 0b    ud2
	ud2 = []byte{0x0f, 0x0b}

	// int3:
	//	0: cc       int3
	//	1: 0f 05    syscall
	int3 = []byte{0xcc, 0x0f, 0x05}

	// spin:
	//	0: eb fe    jmp 0
	spin = []byte{0xeb, 0xfe}

	// addR12:
	//	0: 49 83 c4 05 add r12, 5
	//	4: 0f 05       syscall
	addR12 = []byte{0x49, 0x83, 0xc4, 0x05, 0x0f, 0x05}

	// fpCode:
	//	 0: 66 48 0f 7e c7                movq rdi, xmm0
	//	 5: 48 b8 08 07 06 05 04 03 02 01 movabs rax, 0x0102030405060708
	//	 f: 66 48 0f 6e c8                movq xmm1, rax
	//	14: 0f 05                         syscall
	fpCode = []byte{
		0x66, 0x48, 0x0f, 0x7e, 0xc7,
		0x48, 0xb8, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0x66, 0x48, 0x0f, 0x6e, 0xc8,
		0x0f, 0x05,
	}
)

// Values fpCode works with.
const (
	fpXMM1Value = 0x0102030405060708
	// Offsets in the XSAVE area: xmm registers in the legacy region,
	// and XSTATE_BV in the header right after it.
	xsaveXMM0     = 160
	xsaveXMM1     = 176
	xsaveXStateBV = 512
	xfeatureSSE   = 1 << 1
)
