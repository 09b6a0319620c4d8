package vdso

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// imageGCC is the gcc that built the committed vdso.so: another version
// may lay the code out differently, so only this one must reproduce it.
const imageGCC = "12.2.0"

func openImage(t *testing.T) *elf.File {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestImageSymbols: what glibc 2.36, musl and the Go runtime look up,
// each defined, a function, of version LINUX_2.6.
func TestImageSymbols(t *testing.T) {
	syms, err := Symbols()
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]elf.Symbol)
	for _, s := range syms {
		byName[s.Name] = s
	}
	for _, name := range []string{
		"__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu", "__vdso_clock_getres",
		"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres",
	} {
		t.Run(name, func(t *testing.T) {
			s, ok := byName[name]
			if !ok {
				t.Fatalf("no symbol %s", name)
			}
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section == elf.SHN_UNDEF || s.Value == 0 {
				t.Errorf("%s: info %#x section %v value %#x, want a defined function", name, s.Info, s.Section, s.Value)
			}
			if !s.HasVersion || s.Version != "LINUX_2.6" {
				t.Errorf("%s: version %q, want LINUX_2.6", name, s.Version)
			}
			if strings.HasPrefix(name, "__vdso_") {
				if alias := byName[strings.TrimPrefix(name, "__vdso_")]; alias.Value != s.Value || elf.ST_BIND(alias.Info) != elf.STB_WEAK {
					t.Errorf("%s: the unprefixed name is not a weak alias", name)
				}
			}
		})
	}
}

// TestImageHeaders: a position-independent x86-64 shared object linked at
// 0, one read+execute PT_LOAD, the dynamic tags a dynamic loader needs,
// the Linux version note, and nothing to relocate or write.
func TestImageHeaders(t *testing.T) {
	f := openImage(t)
	if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		t.Fatalf("type %v machine %v class %v", f.Type, f.Machine, f.Class)
	}
	progs := make(map[elf.ProgType]int)
	for _, p := range f.Progs {
		progs[p.Type]++
		if p.Type == elf.PT_LOAD {
			if p.Vaddr != 0 || p.Off != 0 || p.Flags != elf.PF_R|elf.PF_X {
				t.Errorf("PT_LOAD at %#x offset %#x flags %v, want 0, 0, R+X", p.Vaddr, p.Off, p.Flags)
			}
			if p.Memsz != p.Filesz || p.Filesz > uint64(len(image)) {
				t.Errorf("PT_LOAD filesz %#x memsz %#x of a %#x-byte image", p.Filesz, p.Memsz, len(image))
			}
		}
		if p.Type == elf.PT_DYNAMIC && p.Flags&elf.PF_W != 0 {
			t.Errorf("PT_DYNAMIC writable: glibc would relocate it in place")
		}
	}
	for _, pt := range []elf.ProgType{elf.PT_LOAD, elf.PT_DYNAMIC, elf.PT_NOTE, elf.PT_GNU_EH_FRAME} {
		if progs[pt] != 1 {
			t.Errorf("%d %v headers, want 1", progs[pt], pt)
		}
	}
	for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_GNU_HASH, elf.DT_SYMTAB, elf.DT_STRTAB, elf.DT_VERSYM, elf.DT_VERDEF} {
		if v, err := f.DynValue(tag); err != nil || len(v) != 1 {
			t.Errorf("%v: %v %v", tag, v, err)
		}
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_RELA || s.Type == elf.SHT_REL {
			t.Errorf("relocation section %s: the image is mapped as it is", s.Name)
		}
	}
	note := f.Section(".note")
	if note == nil {
		t.Fatal("no .note")
	}
	b, _ := note.Data()
	le := binary.LittleEndian
	if len(b) < 20 || le.Uint32(b[0:]) != 6 || le.Uint32(b[4:]) != 4 || string(b[12:17]) != "Linux" || le.Uint32(b[20:]) != 0x060100 {
		t.Errorf("Linux note % x, want name Linux, version 0x060100 (6.1.0)", b)
	}
}

// TestImageIsReproducible rebuilds the image with image/mkimage.sh where
// the same gcc is present and compares it with the committed one.
func TestImageIsReproducible(t *testing.T) {
	out, err := exec.Command("gcc", "-dumpfullversion").Output()
	if err != nil {
		t.Skipf("no gcc: %v", err)
	}
	if v := strings.TrimSpace(string(out)); v != imageGCC {
		t.Skipf("gcc %s, the image was built with %s", v, imageGCC)
	}
	built := filepath.Join(t.TempDir(), "vdso.so")
	if b, err := exec.Command("sh", "image/mkimage.sh", built).CombinedOutput(); err != nil {
		t.Fatalf("mkimage.sh: %v\n%s", err, b)
	}
	got, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, image) {
		t.Errorf("vdso.so is stale: run go generate ./sentry/vdso (rebuilt %d bytes, committed %d)", len(got), len(image))
	}
}

// TestLayoutMatchesHeader compares vvar.go with image/vvar.h.
func TestLayoutMatchesHeader(t *testing.T) {
	h, err := os.ReadFile("image/vvar.h")
	if err != nil {
		t.Fatal(err)
	}
	fields := regexp.MustCompile(`volatile uint64_t (\w+);`).FindAllSubmatch(h, -1)
	want := []string{"seq", "mode", "tsc_base", "mult", "mono_base", "real_offset", "cpu_mode"}
	if len(fields) != vvarWords || len(want) != vvarWords {
		t.Fatalf("vvar.h has %d words, vvar.go %d", len(fields), vvarWords)
	}
	index := map[string]int{"seq": wordSeq, "mode": wordMode, "tsc_base": wordTSCBase, "mult": wordMult, "mono_base": wordMonoBase, "real_offset": wordRealOffset, "cpu_mode": wordCPUMode}
	for i, f := range fields {
		if name := string(f[1]); name != want[i] || index[name] != i {
			t.Errorf("word %d of vvar.h is %s, vvar.go says %s at %d", i, name, want[i], index[name])
		}
	}
	for name, v := range map[string]uint64{"VVAR_MODE_SYSCALL": modeSyscall, "VVAR_MODE_TSC": modeTSC, "VVAR_MULT_SHIFT": multShift, "VVAR_SERVED_CLOCKS": servedClocks} {
		m := regexp.MustCompile(`#define ` + name + `\s+(\w+)`).FindSubmatch(h)
		if m == nil {
			t.Errorf("no %s in vvar.h", name)
			continue
		}
		if got, err := strconv.ParseUint(string(m[1]), 0, 64); err != nil || got != v {
			t.Errorf("%s is %s in vvar.h, %d in vvar.go", name, m[1], v)
		}
	}
}
