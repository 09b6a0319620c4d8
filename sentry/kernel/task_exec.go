package kernel

import (
	"path"

	"github.com/cocoon-sandbox/cocoon/abi/linux"

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
// the new image when the syscall returns, as the only thread of its
// process, with the process's PID as TID; on failure nothing has changed.
func (t *Task) Execve(pathname string, argv, envv []string) error {
	creds := t.Credentials().forExec()
	m, img, err := LoadImage(t.k, t, t.fsContext, creds, pathname, argv, envv)
	if err != nil {
		return err
	}
	formerTID := t.TID()
	if err := t.deThread(); err != nil {
		m.Release()
		return err
	}
	// The point of no return.
	t.exitFutexes()
	t.creds.Store(creds)
	old := t.mm
	t.mm = m
	m.SetLimits(memLimits(t.tg.limits()))
	if old != nil {
		old.Release()
	}
	t.fdTable.CloseOnExec()
	tg := t.tg
	tg.deleteTimers(false)
	tg.membarrier.Store(0)
	tg.sigMu.Lock()
	tg.handlers.resetForExec()
	t.altStack = altStack{}
	tg.sigMu.Unlock()
	t.st = arch.NewInitialState(img.Entry, img.StackPointer)
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
	t.ptraceExec(formerTID)
	return ErrNoReturn
}

// deThread ends every other thread of the process before an execve
// replaces its image, as Linux's de_thread: they are zapped (each ends at
// its next return to the sentry's run loop) and the caller waits until
// they have left. A caller that is not the leader then takes the leader's
// place and its TID (the process keeps its PID). If the process is killed
// meanwhile, or another thread is already exec'ing, the caller must end:
// ErrExit.
func (t *Task) deThread() error {
	tg, k := t.tg, t.k
	k.mu.Lock()
	tg.sigMu.Lock()
	if len(tg.tasks) == 1 && tg.leader == t {
		tg.sigMu.Unlock()
		k.mu.Unlock()
		return nil
	}
	if tg.exiting || tg.execing != nil {
		tg.sigMu.Unlock()
		k.mu.Unlock()
		t.exitThread = true
		return ErrExit
	}
	tg.execing = t
	tg.threadsGone = make(chan struct{}, 1)
	gone := tg.threadsGone
	for _, o := range tg.tasks {
		if o != t {
			o.zapped.Store(true)
			o.interrupt()
		}
	}
	tg.sigMu.Unlock()
	k.mu.Unlock()

	for {
		k.mu.Lock()
		alone := len(tg.tasks) == 1 && (tg.leader == t || tg.leader.exited.Load())
		k.mu.Unlock()
		if alone {
			break
		}
		select {
		case <-gone:
		case <-t.interruptCh:
			tg.sigMu.Lock()
			dying := tg.exiting || t.pendingLocked()&linux.SIGKILL.Mask() != 0
			if dying {
				tg.execing = nil
			}
			tg.sigMu.Unlock()
			if dying {
				return ErrExit
			}
		}
	}

	k.mu.Lock()
	if tg.leader != t {
		// The old leader's task is gone for good: its TID is now ours.
		delete(k.tasks, t.TID())
		t.tid.Store(tg.id)
		k.tasks[tg.id] = t
		tg.leader = t
	}
	tg.sigMu.Lock()
	tg.execing, tg.threadsGone = nil, nil
	tg.sigMu.Unlock()
	k.mu.Unlock()
	return nil
}
