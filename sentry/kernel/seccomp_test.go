package kernel

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
)

// retFilter returns a filter that answers ret for every call, stacked on
// prev.
func retFilter(t *testing.T, ret uint32, prev *seccompFilter) *seccompFilter {
	t.Helper()
	p, err := bpf.Compile([]bpf.Insn{{Code: unix.BPF_RET | unix.BPF_K, K: ret}})
	if err != nil {
		t.Fatal(err)
	}
	f := &seccompFilter{prog: p, prev: prev, count: 1}
	if prev != nil {
		f.count += prev.count
	}
	return f
}

func TestRunSeccompPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chain []uint32 // oldest first
		want  uint32
	}{
		{"allow", []uint32{unix.SECCOMP_RET_ALLOW}, unix.SECCOMP_RET_ALLOW},
		{"errno over allow", []uint32{unix.SECCOMP_RET_ERRNO | 1, unix.SECCOMP_RET_ALLOW}, unix.SECCOMP_RET_ERRNO | 1},
		{"newest of equals", []uint32{unix.SECCOMP_RET_ERRNO | 1, unix.SECCOMP_RET_ERRNO | 2}, unix.SECCOMP_RET_ERRNO | 2},
		{"kill process over all", []uint32{unix.SECCOMP_RET_KILL_THREAD, unix.SECCOMP_RET_KILL_PROCESS, unix.SECCOMP_RET_TRAP}, unix.SECCOMP_RET_KILL_PROCESS},
		{"kill thread over trap", []uint32{unix.SECCOMP_RET_TRAP | 3, unix.SECCOMP_RET_KILL_THREAD}, unix.SECCOMP_RET_KILL_THREAD},
		{"trap over errno", []uint32{unix.SECCOMP_RET_ERRNO, unix.SECCOMP_RET_TRAP | 4}, unix.SECCOMP_RET_TRAP | 4},
		{"errno over notif", []uint32{unix.SECCOMP_RET_USER_NOTIF, unix.SECCOMP_RET_ERRNO | 5}, unix.SECCOMP_RET_ERRNO | 5},
		{"notif over trace", []uint32{unix.SECCOMP_RET_TRACE, unix.SECCOMP_RET_USER_NOTIF}, unix.SECCOMP_RET_USER_NOTIF},
		{"trace over log", []uint32{unix.SECCOMP_RET_LOG, unix.SECCOMP_RET_TRACE | 6}, unix.SECCOMP_RET_TRACE | 6},
		{"log over allow", []uint32{unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_LOG}, unix.SECCOMP_RET_LOG},
		{"unknown action below kill process", []uint32{0x00010000, unix.SECCOMP_RET_ERRNO}, 0x00010000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f *seccompFilter
			for _, r := range tc.chain {
				f = retFilter(t, r, f)
			}
			d := bpf.Data{}
			if got := runSeccomp(f, &d); got != tc.want {
				t.Fatalf("runSeccomp = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestSeccompSyncable(t *testing.T) {
	a := retFilter(t, unix.SECCOMP_RET_ALLOW, nil)
	b := retFilter(t, unix.SECCOMP_RET_ALLOW, a)
	other := retFilter(t, unix.SECCOMP_RET_ALLOW, a)
	for _, tc := range []struct {
		name  string
		state *seccompState
		chain *seccompFilter
		want  bool
	}{
		{"no filters", nil, b, true},
		{"same chain", &seccompState{mode: SeccompModeFilter, filter: b}, b, true},
		{"ancestor", &seccompState{mode: SeccompModeFilter, filter: a}, b, true},
		{"own filter", &seccompState{mode: SeccompModeFilter, filter: other}, b, false},
		{"newer than caller", &seccompState{mode: SeccompModeFilter, filter: b}, a, false},
		{"strict", strictState, b, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var task Task
			task.seccomp.Store(tc.state)
			if got := task.seccompSyncableLocked(tc.chain); got != tc.want {
				t.Fatalf("syncable = %v, want %v", got, tc.want)
			}
		})
	}
}
