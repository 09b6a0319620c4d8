package kernel

import (
	"path"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/loader"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// LoadImage loads the executable at pathname into a new memory manager, as
// execve does, resolving pathname from fsctx. It is used for execve and for
// the container's init.
func LoadImage(k *Kernel, ctx vfs.Context, fsctx *vfs.FSContext, creds *Credentials, pathname string, argv, envv []string) (*mm.MemoryManager, *loader.Image, error) {
	m, err := mm.New(k.Platform, k.MemoryFile)
	if err != nil {
		return nil, nil, err
	}
	var opened []*vfs.FileDescription
	// resolved maps each path the loader opened to the file's absolute
	// path, what /proc/[pid]/exe shows (symlinks and "." resolved).
	resolved := make(map[string]string)
	open := func(p string) (loader.File, error) {
		fd, err := k.vfs.OpenExecutable(ctx, fsctx, p)
		if err != nil {
			return nil, err
		}
		opened = append(opened, fd)
		if vd := fd.VirtualDentry(); vd != nil {
			resolved[p] = k.vfs.PathOf(fsctx, *vd)
		}
		return execFile{fd}, nil
	}
	img, err := loader.LoadWithOptions(m, open, pathname, argv, envv, loader.Options{
		Creds: loader.Creds{UID: creds.RUID, EUID: creds.EUID, GID: creds.RGID, EGID: creds.EGID},
		VDSO:  k.vdso,
	})
	for _, fd := range opened {
		fd.DecRef()
	}
	if err != nil {
		m.Release()
		return nil, nil, err
	}
	if abs, ok := resolved[img.ExecPath]; ok {
		img.ExecPath = abs
	}
	return m, img, nil
}

// execFile adapts an open executable to the loader.
type execFile struct{ fd *vfs.FileDescription }

func (f execFile) ReadAt(p []byte, off int64) (int, error) { return f.fd.ReadAt(p, off) }
func (f execFile) Mappable() mm.Mappable                   { return f.fd }
func (f execFile) Size() (int64, error) {
	a, err := f.fd.Stat(vfs.Background())
	return a.Size, err
}

// Execve replaces the task's program (execve(2)). On success the task runs
// the new image when the syscall returns; on failure nothing has changed.
// (Once threads exist, the other threads of the process must end first, as
// Linux's de_thread.)
func (t *Task) Execve(pathname string, argv, envv []string) error {
	creds := t.Credentials().forExec()
	m, img, err := LoadImage(t.k, t, t.fsContext, creds, pathname, argv, envv)
	if err != nil {
		return err
	}
	// The point of no return.
	t.creds.Store(creds)
	old := t.mm
	t.mm = m
	if old != nil {
		old.Release()
	}
	t.fdTable.CloseOnExec()
	tg := t.tg
	tg.sigMu.Lock()
	tg.handlers.resetForExec()
	t.altStack = altStack{}
	tg.sigMu.Unlock()
	t.st = arch.NewInitialState(img.Entry, img.StackPointer)
	t.clearChildTID = 0
	name := path.Base(pathname)
	if len(name) > 15 {
		name = name[:15]
	}
	t.k.mu.Lock()
	t.name, tg.image = name, img.ExecPath
	tg.execed = true
	t.k.mu.Unlock()
	if t.vforkDone != nil {
		close(t.vforkDone)
		t.vforkDone = nil
	}
	return ErrNoReturn
}
