package loader

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/sentry/vdso"
)

// TestVDSO: with a vDSO, AT_SYSINFO_EHDR (first in the auxiliary vector,
// as Linux's ARCH_DLINFO) names its ELF header, mapped read+execute as
// [vdso] directly above the read-only [vvar], below the interpreter.
func TestVDSO(t *testing.T) {
	path := buildC(t)
	m, _ := newMM(t)
	v, err := vdso.New(testMF, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	o := &opener{}
	img, err := LoadWithOptions(m, o.open, path, []string{"p"}, nil, Options{VDSO: v})
	if err != nil {
		t.Fatal(err)
	}
	if img.Auxv[0][0] != atSysinfoEhdr {
		t.Fatalf("auxv starts with %v, want AT_SYSINFO_EHDR", img.Auxv[0])
	}
	st := readStack(t, m, img.StackPointer)
	ehdr := st.auxv[atSysinfoEhdr]
	if ehdr == 0 || ehdr%4096 != 0 || ehdr != img.Auxv[0][1] {
		t.Fatalf("AT_SYSINFO_EHDR %#x (auxv %#x)", ehdr, img.Auxv[0][1])
	}
	magic := make([]byte, 4)
	if _, err := m.CopyIn(uintptr(ehdr), magic); err != nil || string(magic) != "\x7fELF" {
		t.Errorf("no ELF header at AT_SYSINFO_EHDR: %q %v", magic, err)
	}
	maps := string(m.Maps())
	vvarLine := fmt.Sprintf("%08x-%08x r--p 00000000 00:00 0", ehdr-4096, ehdr)
	vdsoLine := fmt.Sprintf("%08x-", ehdr)
	var sawVvar, sawVdso bool
	for _, l := range strings.Split(maps, "\n") {
		switch {
		case strings.HasSuffix(l, " [vvar]"):
			sawVvar = strings.HasPrefix(l, vvarLine)
		case strings.HasSuffix(l, " [vdso]"):
			sawVdso = strings.HasPrefix(l, vdsoLine) && strings.Contains(l, " r-xp ")
		}
	}
	if !sawVvar || !sawVdso {
		t.Errorf("want [vvar] at %#x and [vdso] at %#x in:\n%s", ehdr-4096, ehdr, maps)
	}
	if base := st.auxv[atBase]; ehdr >= base {
		t.Errorf("vDSO at %#x above the interpreter at %#x: it is mapped after it, top-down", ehdr, base)
	}
}
