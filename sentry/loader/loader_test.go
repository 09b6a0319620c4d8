package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/mm/mmtest"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"golang.org/x/sys/unix"
)

var testMF *pgalloc.MemoryFile

func newMM(t testing.TB) (*mm.MemoryManager, *mmtest.AddressSpace) {
	t.Helper()
	if testMF == nil {
		mf, err := pgalloc.New("loader-test")
		if err != nil {
			t.Fatalf("pgalloc.New: %v", err)
		}
		testMF = mf
	}
	p := mmtest.NewPlatform()
	m, err := mm.New(p, testMF)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Release)
	return m, p.Spaces[0]
}

// memFile is an in-memory File with a reference count.
type memFile struct {
	data []byte
	refs atomic.Int32
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
func (f *memFile) Size() (int64, error)  { return int64(len(f.data)), nil }
func (f *memFile) Mappable() mm.Mappable { return f }
func (f *memFile) IncRef()               { f.refs.Add(1) }
func (f *memFile) DecRef()               { f.refs.Add(-1) }

// opener serves files from memory, then from the host file system.
type opener struct {
	mem   map[string][]byte
	files []*memFile
}

func (o *opener) open(path string) (File, error) {
	data, ok := o.mem[path]
	if !ok {
		var err error
		data, err = os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, unix.ENOENT
		}
		if err != nil {
			return nil, unix.EACCES
		}
	}
	f := &memFile{data: data}
	o.files = append(o.files, f)
	return f, nil
}

// stackView decodes the initial stack written by the loader.
type stackView struct {
	argc int
	argv []string
	envp []string
	auxv map[uint64]uint64
}

func readStack(t *testing.T, m *mm.MemoryManager, sp uintptr) stackView {
	t.Helper()
	word := func(a uintptr) uint64 {
		var b [8]byte
		if _, err := m.CopyIn(a, b[:]); err != nil {
			t.Fatalf("reading stack at %#x: %v", a, err)
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	str := func(a uint64) string {
		s, err := m.CopyInString(uintptr(a), 1<<18)
		if err != nil {
			t.Fatalf("string at %#x: %v", a, err)
		}
		return s
	}
	var v stackView
	v.argc = int(word(sp))
	p := sp + 8
	for i := 0; i < v.argc; i++ {
		v.argv = append(v.argv, str(word(p)))
		p += 8
	}
	if word(p) != 0 {
		t.Fatalf("argv not NULL-terminated")
	}
	p += 8
	for ; word(p) != 0; p += 8 {
		v.envp = append(v.envp, str(word(p)))
	}
	p += 8
	v.auxv = map[uint64]uint64{}
	for {
		k, val := word(p), word(p+8)
		p += 16
		if k == atNull {
			break
		}
		v.auxv[k] = val
	}
	return v
}

func loadOK(t *testing.T, m *mm.MemoryManager, o *opener, path string, argv, envv []string) *Image {
	t.Helper()
	img, err := Load(m, o.open, path, argv, envv)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return img
}

// checkCommon checks what every loaded image's stack must hold.
func checkCommon(t *testing.T, m *mm.MemoryManager, img *Image, execfn string, argv, envv []string) stackView {
	t.Helper()
	if img.StackPointer%16 != 0 {
		t.Errorf("rsp %#x not 16-byte aligned", img.StackPointer)
	}
	v := readStack(t, m, img.StackPointer)
	if v.argc != len(argv) || strings.Join(v.argv, "|") != strings.Join(argv, "|") {
		t.Errorf("argv on stack %q, want %q", v.argv, argv)
	}
	if strings.Join(v.envp, "|") != strings.Join(envv, "|") {
		t.Errorf("envp on stack %q, want %q", v.envp, envv)
	}
	for k, want := range map[uint64]uint64{atPagesz: 4096, atPhent: 56, atClktck: 100, atSecure: 0, atFlags: 0} {
		if got, ok := v.auxv[k]; !ok || got != want {
			t.Errorf("auxv[%d] = %d (present %v), want %d", k, got, ok, want)
		}
	}
	if s, _ := m.CopyInString(uintptr(v.auxv[atExecfn]), 4096); s != execfn {
		t.Errorf("AT_EXECFN %q, want %q", s, execfn)
	}
	if s, _ := m.CopyInString(uintptr(v.auxv[atPlatform]), 4096); s != "x86_64" {
		t.Errorf("AT_PLATFORM %q", s)
	}
	rnd := make([]byte, 16)
	if _, err := m.CopyIn(uintptr(v.auxv[atRandom]), rnd); err != nil || bytes.Equal(rnd, make([]byte, 16)) {
		t.Errorf("AT_RANDOM bytes %x, %v", rnd, err)
	}
	if v.auxv[atHwcap]&(1<<26) == 0 { // SSE2 is architectural on x86-64
		t.Errorf("AT_HWCAP %#x lacks SSE2", v.auxv[atHwcap])
	}
	// Image.Auxv is what the stack holds.
	for _, e := range img.Auxv {
		if e[0] != atNull && v.auxv[e[0]] != e[1] {
			t.Errorf("Image.Auxv[%d] = %#x, stack has %#x", e[0], e[1], v.auxv[e[0]])
		}
	}
	if last := img.Auxv[len(img.Auxv)-1]; last != [2]uint64{atNull, 0} {
		t.Errorf("Image.Auxv does not end with AT_NULL")
	}
	// The argv/env ranges cover the strings.
	as, ae, es, ee := m.ArgvEnv()
	buf := make([]byte, ae-as)
	m.CopyIn(as, buf)
	if want := strings.Join(argv, "\x00") + "\x00"; string(buf) != want {
		t.Errorf("argv range holds %q, want %q", buf, want)
	}
	buf = make([]byte, ee-es)
	m.CopyIn(es, buf)
	if want := strings.Join(envv, "\x00") + "\x00"; len(envv) > 0 && string(buf) != want {
		t.Errorf("env range holds %q, want %q", buf, want)
	}
	if !strings.Contains(string(m.Maps()), "[stack]") {
		t.Errorf("no [stack] VMA:\n%s", m.Maps())
	}
	return v
}

// phdrAddr computes AT_PHDR independently with debug/elf.
func phdrAddr(ef *elf.File, phoff uint64, bias uint64) uint64 {
	for _, p := range ef.Progs {
		if p.Type == elf.PT_PHDR {
			return p.Vaddr + bias
		}
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Off <= phoff && phoff < p.Off+p.Filesz {
			return p.Vaddr + phoff - p.Off + bias
		}
	}
	return 0
}

func elfPhoff(t *testing.T, path string) uint64 {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint64(data[32:])
}

// checkSegments compares every PT_LOAD's memory with the file: file bytes
// up to p_filesz, zeroes after (padzero and bss).
func checkSegments(t *testing.T, m *mm.MemoryManager, path string, bias uint64) {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		got := make([]byte, p.Memsz)
		// Segments may be PROT_EXEC-only in theory; all here are readable.
		if _, err := m.CopyIn(uintptr(p.Vaddr+bias), got); err != nil {
			t.Fatalf("reading segment at %#x: %v", p.Vaddr+bias, err)
		}
		want := make([]byte, p.Memsz)
		if _, err := p.ReadAt(want[:p.Filesz], 0); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("segment at %#x differs from the file", p.Vaddr)
		}
		// padzero: the rest of the last file page is zero too.
		end := p.Vaddr + bias + p.Filesz
		if p.Memsz > p.Filesz && end%4096 != 0 {
			tail := make([]byte, pageUp(end)-end)
			m.CopyIn(uintptr(end), tail)
			if !bytes.Equal(tail, make([]byte, len(tail))) {
				t.Errorf("bytes after p_filesz at %#x are not zero", end)
			}
		}
	}
}

func TestBusybox(t *testing.T) {
	const path = "/bin/busybox"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	m, as := newMM(t)
	o := &opener{}
	argv := []string{"busybox", "echo", "hi"}
	envv := []string{"A=1", "PATH=/bin"}
	img := loadOK(t, m, o, path, argv, envv)
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Type != elf.ET_EXEC {
		t.Skipf("busybox is not ET_EXEC here")
	}
	if img.Entry != uintptr(ef.Entry) || img.ExecPath != path {
		t.Errorf("entry %#x path %q, want %#x", img.Entry, img.ExecPath, ef.Entry)
	}
	v := checkCommon(t, m, img, path, argv, envv)
	if v.auxv[atEntry] != ef.Entry || v.auxv[atBase] != 0 {
		t.Errorf("AT_ENTRY %#x AT_BASE %#x", v.auxv[atEntry], v.auxv[atBase])
	}
	if want := phdrAddr(ef, elfPhoff(t, path), 0); v.auxv[atPhdr] != want || v.auxv[atPhnum] != uint64(len(ef.Progs)) {
		t.Errorf("AT_PHDR %#x want %#x, AT_PHNUM %d", v.auxv[atPhdr], want, v.auxv[atPhnum])
	}
	checkSegments(t, m, path, 0)
	var end uint64
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			end = max(end, p.Vaddr+p.Memsz)
		}
	}
	if got := m.Brk(0); uint64(got) != pageUp(end) {
		t.Errorf("brk %#x, want %#x", got, pageUp(end))
	}
	// The entry page faults in executable.
	if _, err := m.HandleFault(img.Entry); err != nil {
		t.Fatal(err)
	}
	if mp, ok := as.Lookup(img.Entry); !ok || !mp.Perms.Execute || mp.Perms.Write {
		t.Errorf("entry page mapped %+v", mp)
	}
}

// buildC compiles a tiny C program with the given gcc flags.
func buildC(t *testing.T, flags ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	os.WriteFile(src, []byte("#include <stdio.h>\nint big[5000]; int x = 42;\nint main(void){printf(\"%d\\n\", x+big[3]);return 0;}\n"), 0o644)
	out := filepath.Join(dir, "p")
	args := append(append([]string{}, flags...), "-o", out, src)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Skipf("gcc %v: %v\n%s", flags, err, b)
	}
	return out
}

func TestStaticPIE(t *testing.T) {
	path := buildC(t, "-static-pie")
	m, _ := newMM(t)
	img := loadOK(t, m, &opener{}, path, []string{"p"}, nil)
	ef, _ := elf.Open(path)
	defer ef.Close()
	bias := uint64(ELFETDynBase)
	if img.Entry != uintptr(bias+ef.Entry) {
		t.Errorf("entry %#x, want %#x", img.Entry, bias+ef.Entry)
	}
	v := checkCommon(t, m, img, path, []string{"p"}, nil)
	if v.auxv[atBase] != 0 || v.auxv[atEntry] != bias+ef.Entry {
		t.Errorf("AT_BASE %#x AT_ENTRY %#x", v.auxv[atBase], v.auxv[atEntry])
	}
	if want := phdrAddr(ef, elfPhoff(t, path), bias); v.auxv[atPhdr] != want {
		t.Errorf("AT_PHDR %#x, want %#x", v.auxv[atPhdr], want)
	}
	checkSegments(t, m, path, bias)
}

func TestDynamic(t *testing.T) {
	path := buildC(t)
	m, _ := newMM(t)
	o := &opener{}
	img := loadOK(t, m, o, path, []string{"p", "x"}, []string{"HOME=/"})
	ef, _ := elf.Open(path)
	defer ef.Close()
	var interp string
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	v := checkCommon(t, m, img, path, []string{"p", "x"}, []string{"HOME=/"})
	bias := uint64(ELFETDynBase)
	if v.auxv[atEntry] != bias+ef.Entry {
		t.Errorf("AT_ENTRY %#x, want %#x", v.auxv[atEntry], bias+ef.Entry)
	}
	base := v.auxv[atBase]
	if base == 0 || base%4096 != 0 || base >= uint64(m.MMapBase()) {
		t.Fatalf("AT_BASE %#x: want a page-aligned base below the mmap base %#x", base, m.MMapBase())
	}
	ief, err := elf.Open(interp)
	if err != nil {
		t.Fatal(err)
	}
	defer ief.Close()
	if img.Entry != uintptr(base+ief.Entry) {
		t.Errorf("entry %#x, want interpreter entry %#x", img.Entry, base+ief.Entry)
	}
	magic := make([]byte, 4)
	m.CopyIn(uintptr(base), magic)
	if string(magic) != "\x7fELF" {
		t.Errorf("no ELF header at AT_BASE")
	}
	checkSegments(t, m, path, bias)
	checkSegments(t, m, interp, base)
	if len(o.files) != 2 {
		t.Errorf("opened %d files, want 2", len(o.files))
	}
	if !strings.Contains(string(m.Maps()), interp) && !strings.Contains(string(m.Maps()), "ld-linux") {
		t.Errorf("maps lacks the interpreter:\n%s", m.Maps())
	}
}

func TestScripts(t *testing.T) {
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("no busybox")
	}
	o := &opener{mem: map[string][]byte{
		"/s1":        []byte("#!/bin/busybox   sh -x  \necho hi\n"),
		"/s2":        []byte("#! /s1\n"),
		"/loop":      []byte("#!/loop\n"),
		"/empty":     []byte("#!   \n"),
		"/missing":   []byte("#!/nonexistent\n"),
		"/text":      []byte("echo hi\n"),
		"/badinterp": elfWithInterp("/text"),
		"/long":      append([]byte("#!/"), bytes.Repeat([]byte("a"), 300)...),
	}}
	m, _ := newMM(t)
	img, err := Load(m, o.open, "/s1", []string{"s1", "arg"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/busybox", "sh -x", "/s1", "arg"}
	if strings.Join(img.Argv, "|") != strings.Join(want, "|") || img.ExecPath != "/bin/busybox" {
		t.Errorf("script argv %q path %q", img.Argv, img.ExecPath)
	}
	checkCommon(t, m, img, "/s1", want, nil)

	m2, _ := newMM(t)
	img, err = Load(m2, o.open, "/s2", []string{"s2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/bin/busybox|sh -x|/s1|/s2"; strings.Join(img.Argv, "|") != want {
		t.Errorf("nested script argv %q", img.Argv)
	}
	for path, want := range map[string]error{
		"/loop":      unix.ELOOP,
		"/empty":     unix.ENOEXEC,
		"/missing":   unix.ENOENT,
		"/text":      unix.ENOEXEC,
		"/nope":      unix.ENOENT,
		"/badinterp": unix.ELIBBAD,
		"/long":      unix.ENOEXEC,
	} {
		m, _ := newMM(t)
		if _, err := Load(m, o.open, path, []string{"x"}, nil); err != want {
			t.Errorf("Load(%s) = %v, want %v", path, err, want)
		}
	}
}

func TestArgLimits(t *testing.T) {
	o := &opener{mem: map[string][]byte{"/x": minimalELF()}}
	m, _ := newMM(t)
	if _, err := Load(m, o.open, "/x", []string{strings.Repeat("a", 200<<10)}, nil); err != unix.E2BIG {
		t.Errorf("huge argument: %v, want E2BIG", err)
	}
	many := make([]string, 80000)
	for i := range many {
		many[i] = "0123456789abcdef0123456789"
	}
	if _, err := Load(m, o.open, "/x", []string{"x"}, many); err != unix.E2BIG {
		t.Errorf("huge environment: %v, want E2BIG", err)
	}
	// Large but legal: 1 MiB of arguments needs a bigger initial stack.
	big := make([]string, 8)
	for i := range big {
		big[i] = strings.Repeat(string(rune('a'+i)), 100<<10)
	}
	m2, _ := newMM(t)
	img, err := Load(m2, o.open, "/x", big, nil)
	if err != nil {
		t.Fatalf("1 MiB of arguments: %v", err)
	}
	checkCommon(t, m2, img, "/x", big, nil)
}
