package kernel

import "golang.org/x/sys/unix"

// OOM score adjustment: /proc/[pid]/oom_score_adj (and the older
// oom_adj) of a process, inherited by its children. The sentry kills no
// process for memory itself (the host's OOM killer sees the sandbox as a
// whole), so the value is what programs and runtimes set and read back.

// OOMScoreAdjMin and OOMScoreAdjMax bound oom_score_adj.
const (
	OOMScoreAdjMin = -1000
	OOMScoreAdjMax = 1000
)

// OOMScoreAdj returns the process's oom_score_adj.
func (tg *ThreadGroup) OOMScoreAdj() int32 { return tg.oomScoreAdj.Load() }

// SetOOMScoreAdj sets target's process's oom_score_adj for t, as a write
// to /proc/[pid]/oom_score_adj (Linux's __set_oom_adj): EINVAL outside
// [-1000, 1000]; EACCES below the floor without CAP_SYS_RESOURCE. The
// floor is the last value a writer with CAP_SYS_RESOURCE set (0 at first),
// so anyone may go back down to it.
func (t *Task) SetOOMScoreAdj(target *Task, v int32) error {
	if v < OOMScoreAdjMin || v > OOMScoreAdjMax {
		return unix.EINVAL
	}
	tg := target.tg
	privileged := t.Credentials().HasCapability(unix.CAP_SYS_RESOURCE)
	if v < tg.oomScoreAdjMin.Load() && !privileged {
		return unix.EACCES
	}
	if privileged {
		tg.oomScoreAdjMin.Store(v)
	}
	tg.oomScoreAdj.Store(v)
	return nil
}
