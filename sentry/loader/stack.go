package loader

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"golang.org/x/sys/unix"
)

// Auxiliary vector entry types (include/uapi/linux/auxvec.h).
const (
	atNull     = 0
	atPhdr     = 3
	atPhent    = 4
	atPhnum    = 5
	atPagesz   = 6
	atBase     = 7
	atFlags    = 8
	atEntry    = 9
	atUID      = 11
	atEUID     = 12
	atGID      = 13
	atEGID     = 14
	atPlatform = 15
	atHwcap    = 16
	atClktck   = 17
	atSecure   = 23
	atRandom   = 25
	atHwcap2   = 26
	atExecfn   = 31
	// atSysinfoEhdr is the address of the vDSO's ELF header.
	atSysinfoEhdr = 33
)

// initialStackSize is how much of the stack is mapped up front; the rest
// grows on faults up to the stack limit.
const initialStackSize = 128 << 10

const platformString = "x86_64"

// auxInputs are the image facts that go into the auxiliary vector.
type auxInputs struct {
	phdr, phnum, base, entry uint64
	creds                    Creds
	execfn                   string
	// sysinfoEhdr is the vDSO's address; 0 leaves AT_SYSINFO_EHDR out.
	sysinfoEhdr uint64
}

// setupStack maps the stack VMA and writes the initial process stack as
// Linux's create_elf_tables() lays it out, from the top down:
//
//	8 zero bytes, execfn, envp strings, argv strings, "x86_64",
//	16 random bytes, padding to 16,
//	auxv pairs (AT_NULL last), NULL, envp[], NULL, argv[], argc  <- rsp
//
// with rsp 16-byte aligned. It fills img.StackPointer and img.Auxv and
// records the argv/envp string ranges in m.
func setupStack(m *mm.MemoryManager, img *Image, argv, envv []string, a auxInputs) error {
	top := uint64(m.StackTop())

	p := top - 8
	execfnAddr := p - uint64(len(a.execfn)+1)
	p = execfnAddr
	envEnd := p
	for _, s := range envv {
		p -= uint64(len(s) + 1)
	}
	envStart := p
	argvEnd := p
	for _, s := range argv {
		p -= uint64(len(s) + 1)
	}
	argvStart := p
	p -= uint64(len(platformString) + 1)
	platformAddr := p
	p -= 16
	randomAddr := p
	p &^= 15

	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return unix.ENOMEM
	}
	auxv := make([][2]uint64, 0, 20)
	if a.sysinfoEhdr != 0 {
		// First, as Linux's ARCH_DLINFO puts it.
		auxv = append(auxv, [2]uint64{atSysinfoEhdr, a.sysinfoEhdr})
	}
	auxv = append(auxv, [][2]uint64{
		{atHwcap, uint64(hwcap())},
		{atPagesz, linux.PageSize},
		{atClktck, 100},
		{atPhdr, a.phdr},
		{atPhent, phdrSize},
		{atPhnum, a.phnum},
		{atBase, a.base},
		{atFlags, 0},
		{atEntry, a.entry},
		{atUID, uint64(a.creds.UID)},
		{atEUID, uint64(a.creds.EUID)},
		{atGID, uint64(a.creds.GID)},
		{atEGID, uint64(a.creds.EGID)},
		{atSecure, 0},
		{atRandom, randomAddr},
		{atHwcap2, 0},
		{atExecfn, execfnAddr},
		{atPlatform, platformAddr},
		{atNull, 0},
	}...)
	words := uint64(1+len(argv)+1+len(envv)+1) + 2*uint64(len(auxv))
	sp := (p - 8*words) &^ 15

	// Map the stack: at least initialStackSize, more if the arguments
	// need it (they are bounded by checkArgs).
	size := uint64(initialStackSize)
	if need := pageUp(top-sp) + linux.PageSize; need > size {
		size = need
	}
	if _, err := m.MMap(mm.MMapOpts{
		Addr:      uintptr(top - size),
		Length:    uintptr(size),
		Fixed:     true,
		Perms:     platform.ReadWrite,
		MaxPerms:  platform.AnyAccess,
		Private:   true,
		GrowsDown: true,
		Name:      "[stack]",
	}); err != nil {
		return err
	}

	// Build [sp, top) in one buffer and copy it out at once.
	buf := make([]byte, top-sp)
	at := func(addr uint64) []byte { return buf[addr-sp:] }
	le := binary.LittleEndian
	copy(at(execfnAddr), a.execfn)
	copy(at(platformAddr), platformString)
	copy(at(randomAddr), random[:])
	w := at(sp)
	put := func(v uint64) {
		le.PutUint64(w, v)
		w = w[8:]
	}
	put(uint64(len(argv)))
	q := argvStart
	for _, s := range argv {
		copy(at(q), s)
		put(q)
		q += uint64(len(s) + 1)
	}
	put(0)
	q = envStart
	for _, s := range envv {
		copy(at(q), s)
		put(q)
		q += uint64(len(s) + 1)
	}
	put(0)
	for _, e := range auxv {
		put(e[0])
		put(e[1])
	}
	if _, err := m.CopyOut(uintptr(sp), buf); err != nil {
		return unix.ENOMEM
	}

	m.SetArgvEnv(uintptr(argvStart), uintptr(argvEnd), uintptr(envStart), uintptr(envEnd))
	raw := make([]byte, 0, 16*len(auxv))
	for _, e := range auxv {
		raw = binary.LittleEndian.AppendUint64(raw, e[0])
		raw = binary.LittleEndian.AppendUint64(raw, e[1])
	}
	m.SetAuxv(raw)
	img.StackPointer = uintptr(sp)
	img.Auxv = auxv
	return nil
}
