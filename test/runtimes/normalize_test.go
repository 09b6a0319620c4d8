package runtimes

import "testing"

// TestNormalizeStrace checks that split calls are joined, PIDs and
// pointers dropped and processes sorted, and that a different call still
// shows.
func TestNormalizeStrace(t *testing.T) {
	native := `6
12 execve("/bin/sh", ["sh"], 0x7ffd /* 3 vars */) = 0
13 execve("/usr/bin/tr", ["tr"], 0x55c0 /* 3 vars */ <unfinished ...>
14 execve("/usr/bin/wc", ["wc"], 0x55c1 /* 3 vars */) = 0
13 <... execve resumed>)             = 0
13 exit_group(0)                     = ?
14 exit_group(0)                     = ?
12 exit_group(3)                     = ?
`
	sandbox := `6
5     execve("/bin/sh", ["sh"], 0x7fff /* 3 vars */) = 0
7     execve("/usr/bin/wc", ["wc"], 0x5555 /* 3 vars */) = 0
6     execve("/usr/bin/tr", ["tr"], 0x5556 /* 3 vars */) = 0
7     exit_group(0)                     = ?
6     exit_group(0)                     = ?
5     exit_group(3)                     = ?
`
	if a, b := normalizeStrace(native), normalizeStrace(sandbox); a != b {
		t.Errorf("equivalent traces differ:\n%s---\n%s", a, b)
	}
	other := `6
5     execve("/bin/sh", ["sh"], 0x7fff /* 3 vars */) = 0
5     exit_group(1)                     = ?
`
	if normalizeStrace(native) == normalizeStrace(other) {
		t.Error("different traces compare equal")
	}
}

// TestNormalizeGDB checks that addresses and arguments go and function
// names stay.
func TestNormalizeGDB(t *testing.T) {
	got := normalizeGDB(`[Thread debugging using libthread_db enabled]
inner 2

Program received signal SIGSEGV, Segmentation fault.
0x0000555555555186 in inner (depth=2) at crash.c:11
#0  0x0000555555555186 in inner (depth=2) at crash.c:11
#1  0x00005555555551a3 in outer (n=1) at crash.c:16
#2  main () at crash.c:21
`)
	want := "Program received signal SIGSEGV, Segmentation fault.\n#0 inner\n#1 outer\n#2 main\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if unknown := normalizeGDB("#0  0x0000555555555186 in ?? ()\n"); unknown != "#0 ??\n" {
		t.Errorf("unknown frame: %q", unknown)
	}
}
