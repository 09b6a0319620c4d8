// Package loader loads an executable into a fresh memory manager, as Linux's
// execve does after the point of no return: "#!" scripts (recursively, up to
// four interpreters deep), ELF64 x86-64 executables (ET_EXEC at their link
// addresses, ET_DYN — PIE and static-PIE — at a load base), their PT_INTERP
// dynamic loader, the sentry's vDSO (LoadWithOptions; AT_SYSINFO_EHDR), and
// the initial stack with argv, envp and the auxiliary vector.
//
// Executables are hostile input: every header field is bounded before use
// and inconsistencies are ENOEXEC (ELIBBAD for a bad interpreter), never a
// panic.
//
// Locking: the loader holds no state and no locks of its own; it drives the
// memory manager through its public, self-locking methods. The memory
// manager must not be in use by any thread while Load runs.
package loader

import (
	"bytes"
	"errors"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/vdso"
	"golang.org/x/sys/unix"
)

// File is an executable opened for loading.
type File interface {
	ReadAt(p []byte, off int64) (int, error)
	Size() (int64, error)
	// Mappable returns the file as a mapping backer; the mappings take
	// their own references. The caller of Load keeps ownership of every
	// File its OpenFunc returned and releases them after Load returns.
	Mappable() mm.Mappable
}

// OpenFunc opens path in the task's file system for execution: it resolves
// the path, checks execute permission (EACCES) and returns ENOENT, ENOTDIR,
// ELOOP, ... as execve would.
type OpenFunc func(path string) (File, error)

// Creds are the credentials reported in the auxiliary vector.
type Creds struct {
	UID, EUID, GID, EGID uint32
}

// Image describes a loaded program.
type Image struct {
	// Entry and StackPointer are the initial rip and rsp.
	Entry, StackPointer uintptr
	// Auxv is the auxiliary vector, AT_NULL included (for /proc/pid/auxv).
	Auxv [][2]uint64
	// ExecPath is the path of the ELF file finally loaded (the interpreter
	// of a "#!" script), for /proc/pid/exe.
	ExecPath string
	// Argv is the argument vector after "#!" rewriting.
	Argv []string
}

// Limits, as Linux's.
const (
	maxScriptDepth = 4   // nested "#!" interpreters
	binprmBufSize  = 256 // bytes of a file examined for "#!"
	// ELFETDynBase is where PIE and static-PIE executables are loaded
	// (Linux's ELF_ET_DYN_BASE on x86-64, page aligned).
	ELFETDynBase = 0x555555554000
)

// Load loads the program at path into m (a new, empty memory manager) with
// the given argument and environment vectors. Errors are errnos for execve:
// ENOENT, EACCES, ... from open; ENOEXEC for an unrecognised or malformed
// file; ELIBBAD for a bad ELF interpreter; ELOOP for too many nested "#!"
// scripts; E2BIG for arguments that do not fit; ENOMEM. On error, m may hold
// partial mappings and should be released.
func Load(m *mm.MemoryManager, open OpenFunc, path string, argv, envv []string) (*Image, error) {
	return LoadAs(m, open, path, argv, envv, Creds{})
}

// LoadAs is Load with the credentials to report in the auxiliary vector
// (AT_UID, AT_EUID, AT_GID, AT_EGID); Load reports root.
func LoadAs(m *mm.MemoryManager, open OpenFunc, path string, argv, envv []string, creds Creds) (*Image, error) {
	return LoadWithOptions(m, open, path, argv, envv, Options{Creds: creds})
}

// Options are what a kernel adds to a plain Load.
type Options struct {
	// Creds are reported in the auxiliary vector.
	Creds Creds
	// VDSO, if set, is mapped into the image, after the interpreter as
	// Linux's arch_setup_additional_pages does, and its address given
	// as AT_SYSINFO_EHDR.
	VDSO *vdso.VDSO
}

// LoadWithOptions is Load with o.
func LoadWithOptions(m *mm.MemoryManager, open OpenFunc, path string, argv, envv []string, o Options) (*Image, error) {
	creds := o.Creds
	if err := checkArgs(argv, envv, path); err != nil {
		return nil, err
	}
	execfn := path
	argv = append([]string(nil), argv...)
	var f File
	for depth := 0; ; depth++ {
		var err error
		f, err = open(path)
		if err != nil {
			return nil, err
		}
		var buf [binprmBufSize]byte
		n := readPrefix(f, buf[:])
		if n < 2 || buf[0] != '#' || buf[1] != '!' {
			break
		}
		if depth >= maxScriptDepth {
			return nil, unix.ELOOP
		}
		interp, arg, err := parseShebang(buf[:n])
		if err != nil {
			return nil, err
		}
		// argv becomes: interp [arg] path argv[1:]...
		rest := argv
		if len(rest) > 0 {
			rest = rest[1:]
		}
		nargv := []string{interp}
		if arg != "" {
			nargv = append(nargv, arg)
		}
		argv = append(append(nargv, path), rest...)
		path = interp
		if err := checkArgs(argv, envv, execfn); err != nil {
			return nil, err
		}
	}

	info, err := parseFile(f)
	if err != nil {
		return nil, err
	}
	mainBias, err := mapImage(m, f, info, path, ELFETDynBase)
	if err != nil {
		return nil, err
	}
	m.SetBrkStart(uintptr(imageEnd(info) + mainBias))

	entry := uintptr(info.entry + mainBias)
	var interpBase uint64
	if info.interp != "" {
		ientry, base, err := loadInterp(m, open, info.interp)
		if err != nil {
			return nil, err
		}
		entry, interpBase = ientry, base
	}

	var sysinfoEhdr uint64
	if o.VDSO != nil {
		addr, err := o.VDSO.Map(m)
		if err != nil {
			return nil, err
		}
		sysinfoEhdr = uint64(addr)
	}

	var phdr uint64
	if info.phdrVaddr != 0 {
		phdr = info.phdrVaddr + mainBias
	}
	img := &Image{Entry: entry, ExecPath: path, Argv: argv}
	aux := auxInputs{
		phdr:        phdr,
		phnum:       uint64(info.phnum),
		base:        interpBase,
		entry:       info.entry + mainBias,
		creds:       creds,
		execfn:      execfn,
		sysinfoEhdr: sysinfoEhdr,
	}
	if err := setupStack(m, img, argv, envv, aux); err != nil {
		return nil, err
	}
	return img, nil
}

// loadInterp loads the ELF interpreter at a base picked by mmap and returns
// its entry point and base. Anything wrong with it is ELIBBAD.
func loadInterp(m *mm.MemoryManager, open OpenFunc, path string) (uintptr, uint64, error) {
	f, err := open(path)
	if err != nil {
		return 0, 0, err
	}
	info, err := parseFile(f)
	if err != nil {
		if errors.Is(err, unix.ENOEXEC) {
			return 0, 0, unix.ELIBBAD
		}
		return 0, 0, err
	}
	bias, err := mapImage(m, f, info, path, 0)
	if err != nil {
		return 0, 0, err
	}
	base := (info.loads[0].vaddr &^ (linux.PageSize - 1)) + bias
	return uintptr(info.entry + bias), base, nil
}

// parseFile sizes and parses f.
func parseFile(f File) (*elfInfo, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, unix.ENOEXEC
	}
	return parseELF(f, size)
}

// readPrefix reads up to len(buf) bytes from the start of f.
func readPrefix(f File, buf []byte) int {
	done := 0
	for done < len(buf) {
		n, err := f.ReadAt(buf[done:], int64(done))
		if n < 0 || n > len(buf)-done {
			return done
		}
		done += n
		if err != nil || n == 0 {
			break
		}
	}
	return done
}

// parseShebang parses a "#!" line (fs/binfmt_script.c): the interpreter
// path, then optionally one argument (the rest of the line, trimmed).
func parseShebang(buf []byte) (interp, arg string, err error) {
	line := buf[2:]
	if i := bytes.IndexAny(line, "\n\x00"); i >= 0 {
		line = line[:i]
	} else if len(buf) == binprmBufSize {
		// No end of line in the first 256 bytes: fine if the interpreter
		// (and so its first terminator) fits; otherwise it was truncated.
		t := bytes.TrimLeft(line, " \t")
		if !bytes.ContainsAny(t, " \t") {
			return "", "", unix.ENOEXEC
		}
	}
	line = bytes.Trim(line, " \t")
	if len(line) == 0 {
		return "", "", unix.ENOEXEC
	}
	if i := bytes.IndexAny(line, " \t"); i >= 0 {
		interp = string(line[:i])
		arg = string(bytes.Trim(line[i:], " \t"))
	} else {
		interp = string(line)
	}
	return interp, arg, nil
}

// checkArgs enforces Linux's argument limits: E2BIG if one string exceeds
// MAX_ARG_STRLEN or all of them with their pointers exceed a quarter of
// the stack limit.
func checkArgs(argv, envv []string, execfn string) error {
	total := len(execfn) + 1
	for _, vec := range [][]string{argv, envv} {
		for _, s := range vec {
			if len(s)+1 > linux.MAX_ARG_STRLEN {
				return unix.E2BIG
			}
			total += len(s) + 1 + 8
			if total > mm.DefaultStackLimit/4 {
				return unix.E2BIG
			}
		}
	}
	return nil
}
