package kernel_test

import (
	"reflect"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// The set*id rules of man 2 setuid, setreuid, setresuid, setfsuid and
// setgroups, and capabilities(7)'s "Effect of user ID changes on
// capabilities", one case each, on the pure rules (export_test.go).

// m1 is -1 as an ID argument.
const m1 = ^uint32(0)

const (
	all = kernel.AllCapabilities
	// fsCaps is capabilities(7)'s list of what follows the fsuid.
	fsCaps = kernel.CapabilitySet(1<<unix.CAP_CHOWN | 1<<unix.CAP_DAC_OVERRIDE |
		1<<unix.CAP_DAC_READ_SEARCH | 1<<unix.CAP_FOWNER | 1<<unix.CAP_FSETID |
		1<<unix.CAP_LINUX_IMMUTABLE | 1<<unix.CAP_MAC_OVERRIDE | 1<<unix.CAP_MKNOD)
)

// cr builds credentials from the user IDs (real, effective, saved, fs),
// the group IDs and the permitted and effective capability sets.
func cr(u, g [4]uint32, permitted, effective kernel.CapabilitySet) *kernel.Credentials {
	return &kernel.Credentials{
		RUID: u[0], EUID: u[1], SUID: u[2], FSUID: u[3],
		RGID: g[0], EGID: g[1], SGID: g[2], FSGID: g[3],
		PermittedCaps: permitted, EffectiveCaps: effective,
		BoundingCaps: all,
	}
}

func ids4(id uint32) [4]uint32 { return [4]uint32{id, id, id, id} }

// Starting points.
var (
	rootC = cr(ids4(0), ids4(0), all, all)
	userC = cr(ids4(1000), ids4(1000), 0, 0)
	// droppedC is root after seteuid(1000): it can come back.
	droppedC = cr([4]uint32{0, 1000, 0, 1000}, ids4(0), all, 0)
	// mixedC has three different unprivileged user and group IDs.
	mixedU = [4]uint32{1000, 1001, 1002, 1001}
	mixedG = [4]uint32{2000, 2001, 2002, 2001}
	mixedC = cr(mixedU, mixedG, 0, 0)
	// rootFSC is root after setfsuid(1000).
	rootFSC = cr([4]uint32{0, 0, 0, 1000}, ids4(0), all, all&^fsCaps)
	// realRootC is setresuid(0, 1000, 1000) from root.
	realRootC = cr([4]uint32{0, 1000, 1000, 1000}, ids4(0), all, 0)
	// euidRootC is setresuid(1000, 0, 1000) from root.
	euidRootC = cr([4]uint32{1000, 0, 1000, 0}, ids4(0), all, all)
)

func TestCredentialRules(t *testing.T) {
	type op = func(c *kernel.Credentials) (*kernel.Credentials, error)
	setuid := func(id uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, error) { return c.Setuid(id) }
	}
	setgid := func(id uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, error) { return c.Setgid(id) }
	}
	setreuid := func(r, e uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, error) { return c.Setreuid(r, e) }
	}
	setregid := func(r, e uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, error) { return c.Setregid(r, e) }
	}
	setresuid := func(r, e, s uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, error) { return c.Setresuid(r, e, s) }
	}
	setresgid := func(r, e, s uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, error) { return c.Setresgid(r, e, s) }
	}
	for _, tc := range []struct {
		name string
		from *kernel.Credentials
		op   op
		want *kernel.Credentials
		err  error
	}{
		// setuid(2).
		{"setuid/root sets all and drops every capability", rootC, setuid(1000), cr(ids4(1000), ids4(0), 0, 0), nil},
		{"setuid/-1 is invalid", rootC, setuid(m1), nil, unix.EINVAL},
		{"setuid/user cannot become root", userC, setuid(0), nil, unix.EPERM},
		{"setuid/unprivileged to the saved ID", mixedC, setuid(1002), cr([4]uint32{1000, 1002, 1002, 1002}, mixedG, 0, 0), nil},
		{"setuid/unprivileged to the real ID", mixedC, setuid(1000), cr([4]uint32{1000, 1000, 1002, 1000}, mixedG, 0, 0), nil},
		{"setuid/unprivileged not to the effective ID", mixedC, setuid(1001), nil, unix.EPERM},
		{"setuid/seteuid root comes back with its capabilities", droppedC, setuid(0), rootC, nil},
		{"setuid/effective root sets all for good", euidRootC, setuid(1000), cr(ids4(1000), ids4(0), 0, 0), nil},
		{"setuid/real root without CAP_SETUID changes the euid only", realRootC, setuid(0), cr([4]uint32{0, 0, 1000, 0}, ids4(0), all, all), nil},
		{"setuid/real root to its saved ID keeps its permitted set", realRootC, setuid(1000), realRootC, nil},

		// setgid(2).
		{"setgid/root sets all and keeps its capabilities", rootC, setgid(1000), cr(ids4(0), ids4(1000), all, all), nil},
		{"setgid/-1 is invalid", rootC, setgid(m1), nil, unix.EINVAL},
		{"setgid/user cannot become group root", userC, setgid(0), nil, unix.EPERM},
		{"setgid/CAP_SETGID is what counts, not the real uid", droppedC, setgid(5), nil, unix.EPERM},
		{"setgid/unprivileged to the saved ID", mixedC, setgid(2002), cr(mixedU, [4]uint32{2000, 2002, 2002, 2002}, 0, 0), nil},

		// setreuid(2).
		{"setreuid/root to two users drops everything", rootC, setreuid(1000, 1001), cr([4]uint32{1000, 1001, 1001, 1001}, ids4(0), 0, 0), nil},
		{"setreuid/root euid only: the saved ID follows", rootC, setreuid(m1, 1000), cr([4]uint32{0, 1000, 1000, 1000}, ids4(0), all, 0), nil},
		{"setreuid/root ruid only: the saved ID becomes the euid", rootC, setreuid(1000, m1), cr([4]uint32{1000, 0, 0, 0}, ids4(0), all, all), nil},
		{"setreuid/ruid to the euid", mixedC, setreuid(1001, m1), cr(ids4(1001), mixedG, 0, 0), nil},
		{"setreuid/ruid not to the saved ID", mixedC, setreuid(1002, m1), nil, unix.EPERM},
		{"setreuid/euid to the saved ID", mixedC, setreuid(m1, 1002), cr([4]uint32{1000, 1002, 1002, 1002}, mixedG, 0, 0), nil},
		{"setreuid/euid to the real ID keeps the saved one", mixedC, setreuid(m1, 1000), cr([4]uint32{1000, 1000, 1002, 1000}, mixedG, 0, 0), nil},
		{"setreuid/euid to a stranger", mixedC, setreuid(m1, 5), nil, unix.EPERM},
		// Linux resets the fsuid but, the euid being unchanged, not the
		// effective set.
		{"setreuid/-1 -1 resets the fsuid only", rootFSC, setreuid(m1, m1), cr(ids4(0), ids4(0), all, all&^fsCaps), nil},

		// setregid(2).
		{"setregid/root", rootC, setregid(1000, 1001), cr(ids4(0), [4]uint32{1000, 1001, 1001, 1001}, all, all), nil},
		{"setregid/rgid not to the saved ID", mixedC, setregid(2002, m1), nil, unix.EPERM},
		{"setregid/without CAP_SETGID", droppedC, setregid(1, 2), nil, unix.EPERM},

		// setresuid(2).
		{"setresuid/root to three users", rootC, setresuid(1, 2, 3), cr([4]uint32{1, 2, 3, 2}, ids4(0), 0, 0), nil},
		{"setresuid/saved root keeps the permitted set", rootC, setresuid(1000, 1000, 0), cr([4]uint32{1000, 1000, 0, 1000}, ids4(0), all, 0), nil},
		{"setresuid/back to euid 0 makes them effective", cr([4]uint32{1000, 1000, 0, 1000}, ids4(0), all, 0), setresuid(m1, 0, m1), cr([4]uint32{1000, 0, 0, 0}, ids4(0), all, all), nil},
		{"setresuid/unprivileged permutation", mixedC, setresuid(1002, 1000, 1001), cr([4]uint32{1002, 1000, 1001, 1000}, mixedG, 0, 0), nil},
		{"setresuid/unprivileged to a stranger", mixedC, setresuid(m1, m1, 5), nil, unix.EPERM},
		{"setresuid/no-op keeps the fsuid", rootFSC, setresuid(m1, m1, m1), rootFSC, nil},
		{"setresuid/same euid resets the fsuid", rootFSC, setresuid(m1, 0, m1), cr(ids4(0), ids4(0), all, all&^fsCaps), nil},
		{"setresuid/user no-op", userC, setresuid(1000, 1000, 1000), userC, nil},

		// setresgid(2).
		{"setresgid/root", rootC, setresgid(5, 6, 7), cr(ids4(0), [4]uint32{5, 6, 7, 6}, all, all), nil},
		{"setresgid/unprivileged permutation", mixedC, setresgid(2001, 2002, 2000), cr(mixedU, [4]uint32{2001, 2002, 2000, 2002}, 0, 0), nil},
		{"setresgid/user cannot become group root", userC, setresgid(m1, 0, m1), nil, unix.EPERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := clone(tc.from)
			got, err := tc.op(tc.from)
			if err != tc.err {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !reflect.DeepEqual(tc.from, before) {
				t.Fatalf("the rule modified its input: %+v, was %+v", tc.from, before)
			}
			if tc.err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSetfsidRules(t *testing.T) {
	type op = func(c *kernel.Credentials) (*kernel.Credentials, uint32)
	setfsuid := func(id uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, uint32) { return c.Setfsuid(id) }
	}
	setfsgid := func(id uint32) op {
		return func(c *kernel.Credentials) (*kernel.Credentials, uint32) { return c.Setfsgid(id) }
	}
	for _, tc := range []struct {
		name string
		from *kernel.Credentials
		op   op
		want *kernel.Credentials
		old  uint32
	}{
		{"setfsuid/root drops the file-system capabilities only", rootC, setfsuid(1000), rootFSC, 0},
		{"setfsuid/back to 0 raises them again", rootFSC, setfsuid(0), rootC, 1000},
		{"setfsuid/user cannot become root", userC, setfsuid(0), userC, 1000},
		{"setfsuid/unprivileged to the saved ID", mixedC, setfsuid(1002), cr([4]uint32{1000, 1001, 1002, 1002}, mixedG, 0, 0), 1001},
		{"setfsuid/unprivileged to a stranger", mixedC, setfsuid(5), mixedC, 1001},
		{"setfsuid/-1 only reports", rootC, setfsuid(m1), rootC, 0},
		{"setfsuid/seteuid root raises the fs set from its permitted set", droppedC, setfsuid(0), cr([4]uint32{0, 1000, 0, 0}, ids4(0), all, fsCaps), 1000},
		{"setfsgid/root, capabilities unchanged", rootC, setfsgid(5), cr(ids4(0), [4]uint32{0, 0, 0, 5}, all, all), 0},
		{"setfsgid/unprivileged to the saved ID", mixedC, setfsgid(2002), cr(mixedU, [4]uint32{2000, 2001, 2002, 2002}, 0, 0), 2001},
		{"setfsgid/user cannot become group root", userC, setfsgid(0), userC, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := clone(tc.from)
			got, old := tc.op(tc.from)
			if !reflect.DeepEqual(tc.from, before) {
				t.Fatalf("the rule modified its input: %+v, was %+v", tc.from, before)
			}
			if old != tc.old {
				t.Errorf("returned %d, want %d", old, tc.old)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSetgroupsRule(t *testing.T) {
	got, err := rootC.Setgroups([]uint32{3, 1, 2})
	if err != nil || !slices.Equal(got.Groups, []uint32{1, 2, 3}) {
		t.Errorf("root: %v, %v; want sorted [1 2 3]", got, err)
	}
	if len(rootC.Groups) != 0 {
		t.Errorf("setgroups modified its input: %v", rootC.Groups)
	}
	if _, err := userC.Setgroups(nil); err != unix.EPERM {
		t.Errorf("user: %v, want EPERM", err)
	}
	if _, err := droppedC.Setgroups(nil); err != unix.EPERM {
		t.Errorf("seteuid root: %v, want EPERM (no CAP_SETGID)", err)
	}
	if _, err := rootC.Setgroups(make([]uint32, kernel.MaxGroups+1)); err != unix.EINVAL {
		t.Errorf("too many: %v, want EINVAL", err)
	}
}

func TestExecCredentials(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, want *kernel.Credentials
	}{
		{"root", rootC, rootC},
		{"user", userC, userC},
		{"seteuid root keeps its permitted set", droppedC, cr([4]uint32{0, 1000, 1000, 1000}, ids4(0), all, 0)},
		{"saved IDs follow the effective ones", mixedC, cr([4]uint32{1000, 1001, 1001, 1001}, [4]uint32{2000, 2001, 2001, 2001}, 0, 0)},
		{"effective root gets everything", euidRootC, cr([4]uint32{1000, 0, 0, 0}, ids4(0), all, all)},
		{"the fsuid follows the euid", rootFSC, rootC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := clone(tc.from)
			got := tc.from.ForExec()
			if !reflect.DeepEqual(tc.from, before) {
				t.Fatalf("exec modified its input")
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestNewCredentials(t *testing.T) {
	if got := kernel.NewCredentials(0, 0, nil); !reflect.DeepEqual(got, rootC) {
		t.Errorf("root: %+v", got)
	}
	g := []uint32{20, 10}
	got := kernel.NewCredentials(1000, 1000, g)
	want := cr(ids4(1000), ids4(1000), 0, 0)
	want.Groups = []uint32{10, 20}
	if !reflect.DeepEqual(got, want) || g[0] != 20 {
		t.Errorf("user: %+v (groups given %v)", got, g)
	}
}

func clone(c *kernel.Credentials) *kernel.Credentials {
	n := *c
	n.Groups = slices.Clone(c.Groups)
	return &n
}
