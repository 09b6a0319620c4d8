package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// sweepTime is the fixed mtime (and atime) of everything in a sweep tree.
var sweepTime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

// makeSweepTree (re)creates the fixture tree at root: regular files with
// known contents and modes, a subdirectory tree, symlinks, an empty file and
// a binary one, all with sweepTime as their times, so that `ls -l` and
// `stat` print the same thing every time.
func makeSweepTree(t *testing.T, root string) {
	t.Helper()
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	var bin [256]byte
	for i := range bin {
		bin[i] = byte(i)
	}
	files := []struct {
		path, content string
		mode          os.FileMode
	}{
		{"a.txt", "alpha one\nbeta two\ngamma three\ndelta four\nalpha five\n", 0o644},
		{"nums", "10 x\n2 y\n33 z\n2 y\n-4 w\n2 y\n", 0o644},
		{"users", "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbob:x:1000:1000:Bob,,,:/home/bob:/bin/bash\n", 0o640},
		{"words", "pear\napple\nfig\napple\nbanana\nfig\napple\n", 0o600},
		{"csv", "3,c,30\n1,a,10\n2,b,20\n", 0o644},
		{"empty", "", 0o444},
		{"bin.dat", string(bin[:]), 0o644},
		{"run.sh", "#!/bin/sh\necho \"script ran with $# args: $*\"\nexit 3\n", 0o755},
		{"sub/b.txt", "in sub\nalpha again\n", 0o644},
		{"sub/c.log", "log line 1\nlog line 2\nERROR here\nlog line 4\n", 0o664},
		{"sub/deep/d.txt", "deep alpha\n", 0o600},
		{"sub/deep/e.dat", strings.Repeat("0123456789abcdef", 1024), 0o644},
	}
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	for _, d := range []string{"sub", "sub/deep", "sub/emptydir"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link": "a.txt", "dirlink": "sub", "sub/up": "../nums", "dangling": "nowhere"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	// Times last, deepest first, symlinks themselves included.
	var paths []string
	filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	ts := []unix.Timespec{unix.NsecToTimespec(sweepTime.UnixNano()), unix.NsecToTimespec(sweepTime.UnixNano())}
	for _, p := range paths {
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatalf("setting times of %s: %v", p, err)
		}
	}
}

// appletDir returns a directory holding a symlink to busybox for every
// applet, so that a PATH of just that directory runs busybox everywhere
// (xargs, find -exec and env exec by PATH too).
func appletDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "applets")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testutil.BusyboxPath, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	for _, a := range strings.Fields(string(out)) {
		if strings.Contains(a, "/") {
			continue
		}
		if err := os.Symlink(testutil.BusyboxPath, filepath.Join(dir, a)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sweepCase is one command of a sweep: a shell script run in the fixture
// tree, natively and under `runsc do`.
type sweepCase struct {
	name, script string
}

// busyboxSweep is the busybox applet table. Every script runs with
// `busybox sh -c` in a fresh copy of the sweep tree, with PATH holding only
// busybox applets. Output must not depend on the time, the machine or the
// run (no PIDs, no mtimes of files the script creates).
var busyboxSweep = []sweepCase{
	{"ls-la", "ls -la sub sub/deep"},
	{"ls-ln-full-time", "ls -ln --full-time . sub"},
	{"ls-R", "ls -R"},
	{"ls-F-sort-size", "ls -F -S sub/deep; ls -1F"},
	{"ls-exit-missing", "ls no-such-file; echo exit=$?"},
	{"find-type-f", "find . -type f | sort"},
	{"find-name-exec", "find . -name '*.txt' -exec wc -l {} \\; | sort"},
	{"find-type-l-maxdepth", "find . -maxdepth 1 -type l | sort; find sub -mindepth 1 -type d | sort"},
	{"find-size-perm", "find . -type f -size +1k | sort; find . -type f -perm 0600 | sort; find . -empty | sort"},
	{"find-newer", "touch -d '2021-03-05 00:00:00' ref; find . -newer ref | sort"},
	{"sed-print-subst", "sed -n '2,4p' a.txt; sed 's/alpha/ALPHA/g; /beta/d' a.txt; sed -e '1i\\\nfirst' -e '$a\\\nlast' words"},
	{"sed-in-place", "sed -i 's/apple/APPLE/' words && cat words"},
	{"awk-sum-fields", "awk '{s += $1} END {print s, NR}' nums; awk -F: '$3 >= 1000 {print $1, $6}' users"},
	{"awk-printf-arrays", `awk '{c[$1]++} END {n = 0; for (w in c) n++; printf "%d distinct, apple=%d\n", n, c["apple"]}' words`},
	{"grep-r", "grep -r alpha . | sort; grep -rl alpha . | sort"},
	{"grep-flags", "grep -n -i ALPHA a.txt; grep -c apple words; grep -v apple words; grep -E '^(fig|pear)$' words; grep -w two a.txt"},
	{"grep-exit", "grep nothing-matches a.txt; echo exit=$?; grep -q alpha a.txt; echo exit=$?; grep x missing-file 2>/dev/null; echo exit=$?"},
	{"sort-n", "sort -n nums; sort -rn nums | head -2"},
	{"sort-keys-unique", "sort -t, -k3,3n csv; sort -u words; sort -k2 nums"},
	{"uniq-c", "sort words | uniq -c; sort words | uniq -d; sort nums | uniq -u"},
	{"wc", "wc a.txt nums words; wc -l < a.txt; wc -c bin.dat sub/deep/e.dat"},
	{"head-tail", "head -n 2 a.txt; tail -n 2 a.txt; tail -c 12 a.txt; head -c 5 words; echo; tail -n +4 nums"},
	{"cut", "cut -d: -f1,3 users; cut -c1-3 words; cut -d, -f2- csv"},
	{"tr", "tr a-z A-Z < a.txt; tr -d aeiou < words; echo hello world | tr -s lo; echo abc | tr -c a '_'"},
	{"md5sum", "md5sum a.txt nums bin.dat empty sub/deep/e.dat; md5sum a.txt > sums && md5sum -c sums"},
	{"sha-sums", "sha256sum a.txt bin.dat sub/deep/e.dat; sha1sum words; sha512sum nums"},
	{"tar-c-x-tmp", `d=$(mktemp -d /tmp/sweep.XXXXXX) && trap 'rm -rf $d' EXIT && tar cf $d/t.tar sub a.txt && tar tf $d/t.tar | sort && mkdir $d/x && tar xf $d/t.tar -C $d/x && diff -r sub/deep $d/x/sub/deep && cmp a.txt $d/x/a.txt && readlink $d/x/sub/up && echo same && (cd $d/x/sub/deep && ls -ln *) && rm -r $d && echo cleaned`},
	{"tar-gz-pipe", "tar czf - sub | tar tzf - | sort"},
	{"gzip-gunzip", "gzip -c a.txt | gunzip -c | md5sum; gzip nums && ls nums* && gunzip nums.gz && cat nums; gzip -9 < bin.dat | gzip -d | cmp - bin.dat && echo roundtrip"},
	{"cp-r", "cp -r sub copy && find copy | sort && diff -r sub copy && echo same"},
	// Directories the script creates live in the sandbox's in-memory
	// overlay, whose directory sizes differ from the host's: only files'.
	{"cp-a-preserves", "cp -a sub copy && ls -l copy/*.* copy/deep/* && stat -c '%n %a %Y' copy copy/deep copy/emptydir && readlink copy/up"},
	{"mv", "mv a.txt moved.txt && mv sub sub2 && ls -1 && cat moved.txt | head -1 && ls sub2/deep"},
	{"rm-r", "rm -r sub && rm link dangling && ls -1 && rm missing; echo exit=$?"},
	{"mkdir-p-rmdir", "mkdir -p x/y/z && find x | sort && rmdir x/y/z x/y x && ls -d x; echo exit=$?; mkdir sub; echo exit=$?"},
	{"ln-s-readlink", "ln -s a.txt l2 && readlink l2 && cat l2 | head -1 && ln -s sub/deep dl && ls dl && ln a.txt hard && stat -c '%h' a.txt"},
	{"readlink-f-realpath", "readlink -f dirlink/up; readlink -f link; realpath sub/../dirlink/deep; readlink dangling; readlink -f dangling"},
	{"stat-c", "stat -c '%n %s %a %F %h' a.txt users words empty run.sh sub link; stat -L -c '%n %s' link; stat -c '%Y %X' a.txt sub"},
	{"touch-chmod-truncate", "touch -d '2000-01-02 03:04:05' a.txt && stat -c %Y a.txt && chmod 700 a.txt && stat -c %a a.txt && truncate -s 3 a.txt && cat a.txt && echo && truncate -s 5 a.txt && od -c a.txt"},
	{"env", "env | sort; env -i FOO=bar env; env -u PATH env | wc -l"},
	{"printf", `printf '%05d|%-6s|%x|%o|%c|%5.2f|%%\n' 42 str 255 8 zed 3.14159; printf '%s\n' a b c; printf 'no newline'`},
	{"test-brackets", `[ -d sub ] && echo dir; test -f nofile || echo nofile; [ 3 -lt 5 ] && echo lt; [ -L link ] && echo link; [ -x run.sh ] && echo exec; [ -s empty ] || echo empty; [ abc = abc ] && [ -n "x" ] && [ -z "" ] && echo strings; [ sub -ef dirlink ] && echo same; [ a.txt -nt nothing ]; echo $?`},
	{"expr", "expr 3 \\* 4; expr 7 / 2; expr length hello; expr substr hello 2 3; expr index hello l; expr abc : 'a\\(.\\)'; expr 1 = 2; echo exit=$?"},
	{"seq", "seq 3; seq 1 3 10; seq -s, 5; seq 5 -2 0; seq -w 8 10"},
	{"xargs", "seq 10 | xargs -n 3 echo; find . -name '*.txt' | sort | xargs wc -l; echo a b c | xargs -I{} echo [{}]; printf 'x\\0y\\0' | xargs -0 echo"},
	{"basename-dirname", "basename /a/b/c.txt .txt; basename /a/b/; dirname /a/b/c; dirname c; dirname /"},
	{"date", "date -d @0 -u; date -u -d @1234567890 '+%Y-%m-%d %H:%M:%S %j %a'; TZ=UTC date -r a.txt +%s"},
	{"sleep", "sleep 0.1 && echo slept; usleep 1000 && echo usleep"},
	{"id", "id; id -u; id -g; id -un; whoami; groups"},
	{"nproc", "nproc"},
	{"diff-cmp", "diff a.txt sub/b.txt; echo exit=$?; cmp a.txt a.txt && echo same; cmp a.txt words; echo exit=$?; printf 'alpha one\\nBETA\\n' > n && diff -u a.txt n | tail -n +3"},
	{"comm-paste-join", "sort words > s1 && sort -u words > s2 && comm s1 s2; paste -d: words nums | head -3; rev words | head -2; nl a.txt | head -2; tac nums"},
	{"od-hexdump-xxd", "od -A x -t x1z -N 32 bin.dat; hexdump -C -n 48 bin.dat; xxd -l 16 a.txt; head -c 16 bin.dat | base64; echo aGVsbG8= | base64 -d; echo"},
	{"dd", "dd if=/dev/zero bs=1024 count=3 2>/dev/null | wc -c; dd if=a.txt bs=1 skip=6 count=3 2>/dev/null; echo; dd if=bin.dat of=part bs=16 count=2 2>/dev/null && wc -c < part"},
	{"tee-split-fold", "echo teed | tee out1 out2 >/dev/null && cat out1 out2; fold -w 4 a.txt | head -3; expand -t 4 nums | head -1; yes | head -n 3; yes abc | head -c 10; echo"},
	{"sh-functions-loops", `f() { local x=$1; echo "f got $x and $#"; return 4; }; f one two; echo ret=$?; i=0; while [ $i -lt 3 ]; do i=$((i + 1)); echo w$i; done; for w in $(cat words | sort -u); do printf '%s,' $w; done; echo; case foo.txt in *.log) echo log;; *.txt) echo txt;; esac; until [ $i -eq 0 ]; do i=$((i-1)); done; echo i=$i`},
	{"sh-subshells-vars", `x=outer; (x=inner; echo $x); echo $x; y=$(echo a; echo b); echo "$y" | wc -l; v=archive.tar.gz; echo ${v%.gz} ${v%%.*} ${v#*.} ${#v} ${unset:-default}; set -- p q r; shift; echo "$@" $#; echo $(( (3 + 4) * 2 % 5 ))`},
	{"sh-heredoc", "cat <<EOF\nline one $((1+1))\n  indented\nEOF\ncat <<'EOF'\nno $expansion here\nEOF\nwhile read a b; do echo \"[$b:$a]\"; done <<EOF\n1 x\n2 y\nEOF"},
	{"sh-traps", `trap 'echo trapped EXIT' EXIT; trap 'echo got USR1' USR1; kill -USR1 $$; (trap 'echo sub exit' EXIT; exit 5); echo sub=$?; trap - USR1; echo done`},
	{"sh-background-wait", `sleep 0.2 & p1=$!; (sleep 0.1; exit 7) & p2=$!; wait $p2; echo p2=$?; wait $p1; echo p1=$?; for i in 1 2 3; do (echo bg$i > bg$i.out) & done; wait; cat bg1.out bg2.out bg3.out; sleep 5 & k=$!; kill $k; wait $k; echo killed=$?`},
	{"sh-pipes-redirects", `seq 5 | tac | head -2; echo err >&2 2>/dev/null; { echo a; echo b >&2; } 2>&1 | sort; echo x > f; echo y >> f; cat < f; exec 3> g; echo via3 >&3; exec 3>&-; cat g; false | true; echo pipe=$?; set -o pipefail 2>/dev/null; ! grep -q zzz a.txt && echo negated`},
	{"sh-scripts-exec", "./run.sh a b; echo exit=$?; sh run.sh; echo exit=$?; sh -c 'exit 9'; echo exit=$?; sh -c 'echo $0 $1' zero one; nosuchcommand 2>/dev/null; echo exit=$?"},
	{"sh-set-e-getopts", `sh -c 'set -e; echo before; false; echo after'; echo exit=$?; set -- -a -b val rest; while getopts ab: o; do echo "opt $o ${OPTARG:-}"; done; shift $((OPTIND-1)); echo "rest $*"`},
	{"timeout-kill", "timeout 1 sleep 5; echo exit=$?; timeout 5 true; echo exit=$?; sleep 5 & kill -TERM $!; wait $!; echo term=$?"},
	{"proc-self", "cat /proc/self/cmdline | tr '\\0' ' '; echo; readlink /proc/self/cwd | sed \"s|$PWD|.|\"; head -c 0 /proc/self/status && echo status-ok"},
	{"mkfifo-mknod", "mkfifo p && (echo through fifo > p &) && cat p; stat -c %F p"},
	{"shuf-sort-stable", "seq 100 | shuf | sort -n | md5sum; seq 2000 | sort -rn | head -1; sort -R words | sort | uniq -c"},
	{"compressors", "for z in gzip bzip2 xz lzma; do $z -c a.txt > a.$z && $z -dc a.$z | cmp - a.txt && echo $z ok; done; find sub | sort | cpio -o -H newc 2>/dev/null | cpio -t 2>/dev/null"},
	{"diff-patch", "sed 's/beta/BETA/' a.txt > b.txt; diff -u a.txt b.txt > p.diff; patch a.txt < p.diff >/dev/null && cmp a.txt b.txt && echo patched"},
	{"calculators", "echo '2 3 + 4 * p' | dc; echo '(7 + 5) / 4' | bc; factor 360 97; crc32 a.txt; sha3sum a.txt"},
	{"awk-system-getline", `awk 'BEGIN { system("echo from system"); "date -u -d @86400 +%F" | getline d; print "got", d; while ((getline line < "nums") > 0) n++; print n " lines" }'`},
	{"chown-chmod-R", "chown 1000:1000 a.txt && stat -c '%u %g' a.txt && chmod -R go-rwx sub && stat -c '%n %a' sub sub/b.txt sub/deep/d.txt && chgrp 5 words && stat -c %g words"},
	{"devices", "stat -c '%n %t %T %F' /dev/null /dev/zero /dev/urandom; head -c 100 /dev/urandom | wc -c; tty; echo exit=$?"},
	{"uname", "uname -s; uname -m; uname -o; arch"},
	{"pwd-symlink-dir", `cd dirlink && pwd && pwd -P && cd deep && pwd && cd .. && cd .. && pwd | sed "s|$PWD|.|"; cd -P dirlink && pwd -P | sed 's|.*/||'`},
	{"proc-self-exe", "readlink /proc/self/exe; readlink -f /bin/busybox"},
	{"kill-l", "kill -l 9 15; kill -0 $$ && echo alive"}, // rlimits are the host's or the sandbox's policy: not compared
	{"fallocate-shred-sync", "fallocate -l 10000 f && stat -c %s f && shred -n 1 -s 100 f && stat -c %s f && sync && echo synced"},
	{"find-delete-deep", "mkdir -p d/1/2/3/4/5 && touch d/1/2/3/4/5/f d/1/x && find d -name f -delete && find d | sort && rm -rf d && ls d; echo exit=$?"},
	{"big-pipeline", "seq 200000 | awk '{s += $1} END {print s}'; seq 50000 | sed -n '$p'; yes hello | head -n 100000 | sort | uniq -c"},
	{"nice-setsid-nohup", `nice -n 5 sh -c 'cut -d" " -f19 /proc/self/stat'; setsid sh -c 'echo in new session'; nohup echo nohup-ok 2>/dev/null`},
	{"dos2unix-strings", "printf 'a\\r\\nb\\r\\n' > dos && dos2unix dos && od -c dos; strings -n 4 bin.dat | head -3"},
}

// debianSweep runs Debian's own (glibc, dynamically linked) tools, each a
// few ways, with the ordinary PATH.
var debianSweep = []sweepCase{
	{"coreutils-ls", "/usr/bin/ls -la --time-style=full-iso sub sub/deep; /usr/bin/ls -1RF; /usr/bin/ls -d nothing; echo exit=$?"},
	{"coreutils-cat", "/usr/bin/cat -n a.txt; /usr/bin/cat -A users | head -1; /usr/bin/cat a.txt - < words | /usr/bin/wc -l"},
	{"coreutils-sort", "/usr/bin/sort -n nums; /usr/bin/sort -t, -k2 csv; /usr/bin/sort -u words; seq 50000 | /usr/bin/sort -rn | /usr/bin/head -3"},
	{"coreutils-sums", "/usr/bin/sha1sum a.txt bin.dat sub/deep/e.dat; /usr/bin/md5sum nums; /usr/bin/sha256sum words; /usr/bin/cksum a.txt"},
	{"coreutils-stat-cp-mv", "/usr/bin/stat -c '%n %s %a %F %h %Y' a.txt sub link; /usr/bin/cp -a sub copy && /usr/bin/diff -r sub copy && /usr/bin/mv copy moved && /usr/bin/ls moved && /usr/bin/rm -r moved && echo ok"},
	{"dash", `/usr/bin/dash -c 'f() { echo "in f: $*"; }; f a b; for i in 1 2; do echo $i; done; x=$(echo sub); echo $x; cat <<EOF
heredoc $((6*7))
EOF
trap "echo bye" EXIT; (exit 3); echo $?'`},
	{"grep", "/usr/bin/grep -rn alpha . | /usr/bin/sort; /usr/bin/grep -c -E 'apple|fig' words; /usr/bin/grep -P '^\\d+ y$' nums; /usr/bin/grep -L alpha -r sub | sort; /usr/bin/grep zzz a.txt; echo exit=$?"},
	{"sed", "/usr/bin/sed -n '/beta/,/delta/p' a.txt; /usr/bin/sed -E 's/([a-z]+) ([a-z]+)/\\2 \\1/' a.txt; /usr/bin/sed -i.bak 's/fig/FIG/g' words && /usr/bin/cat words words.bak | /usr/bin/sort | /usr/bin/uniq -c"},
	{"find", "/usr/bin/find . -printf '%p %y %m %s\\n' | /usr/bin/sort; /usr/bin/find . -newermt '2021-03-05' | wc -l; /usr/bin/find sub -type f -exec /usr/bin/md5sum {} + | /usr/bin/sort"},
	{"xargs", "/usr/bin/find . -name '*.txt' -print0 | /usr/bin/sort -z | /usr/bin/xargs -0 /usr/bin/wc -c; seq 7 | /usr/bin/xargs -n 2 -P 2 echo | /usr/bin/sort"},
	{"tar", `d=$(mktemp -d) && trap 'rm -rf $d' EXIT && /usr/bin/tar -czf $d/a.tgz sub && /usr/bin/tar -tzvf $d/a.tgz | /usr/bin/awk '{print $1, $3, $6}' | /usr/bin/sort && mkdir $d/x && /usr/bin/tar -xzf $d/a.tgz -C $d/x && /usr/bin/diff -r sub/deep $d/x/sub/deep && /usr/bin/readlink $d/x/sub/up && echo same && rm -r $d && echo cleaned`},
	{"gzip-awk", "/usr/bin/gzip -c a.txt | /usr/bin/gzip -dc | /usr/bin/md5sum; /usr/bin/awk -F: '{print NR\": \"$1}' users; /usr/bin/mawk 'BEGIN{printf \"%.3f\\n\", atan2(1,1)*4}'"},
}

// runSweep runs every case of cases natively and under `runsc do`, each in
// a freshly made tree at the same path (so that absolute paths match), and
// requires the same stdout and exit code.
func runSweep(t *testing.T, cases []sweepCase, shell []string, env []string) {
	base := t.TempDir()
	tree := filepath.Join(base, "tree")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, shell...), tc.script)
			makeSweepTree(t, tree)
			native := run(t, testutil.Cmd{Args: args, Dir: tree, Env: env})
			if native.Err != nil || native.TimedOut {
				t.Fatalf("native run failed: %v", native)
			}
			makeSweepTree(t, tree)
			r := run(t, testutil.Cmd{Args: append([]string{runsc, "do"}, args...), Dir: tree, Env: env})
			if r.ExitCode != native.ExitCode || r.Stdout != native.Stdout {
				t.Errorf("differs from native:\n--- script ---\n%s\n--- native (exit %d) ---\n%s--- runsc (exit %d) ---\n%s--- runsc stderr ---\n%s",
					tc.script, native.ExitCode, native.Stdout, r.ExitCode, r.Stdout, r.Stderr)
			}
			if testing.Verbose() {
				t.Logf("native stdout:\n%s", native.Stdout)
			}
		})
	}
	os.RemoveAll(tree)
}

// TestBusyboxSweep runs a table of busybox applets and shell features on a
// fixed file tree, natively and under `runsc do`, one subtest per command.
func TestBusyboxSweep(t *testing.T) {
	needSetup(t)
	dir := appletDir(t)
	env := []string{"PATH=" + dir}
	runSweep(t, busyboxSweep, []string{testutil.BusyboxPath, "sh", "-c"}, env)
}

// TestDebianToolsSweep does the same with Debian's dynamically linked glibc
// tools (coreutils, dash, grep, sed, findutils, tar, gzip, mawk).
func TestDebianToolsSweep(t *testing.T) {
	needSetup(t)
	for _, tool := range []string{"/usr/bin/dash", "/usr/bin/ls", "/usr/bin/grep", "/usr/bin/sed", "/usr/bin/find", "/usr/bin/xargs", "/usr/bin/tar", "/usr/bin/gzip", "/usr/bin/mawk"} {
		if _, err := os.Stat(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
	runSweep(t, debianSweep, []string{"/usr/bin/dash", "-c"}, testutil.MinimalEnv())
}
