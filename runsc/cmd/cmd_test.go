package cmd

import (
	"flag"
	"io"
	"reflect"
	"testing"
)

func TestParseStdioFDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [3]int
		ok   bool
	}{
		{"0,1,2", [3]int{0, 1, 2}, true},
		{"5,6,7", [3]int{5, 6, 7}, true},
		{"0,1", [3]int{}, false},
		{"0,1,2,3", [3]int{}, false},
		{"0,x,2", [3]int{}, false},
		{"0,-1,2", [3]int{}, false},
		{"", [3]int{}, false},
	} {
		got, err := parseStdioFDs(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseStdioFDs(%q) = %v, %v; want %v ok=%t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDoFlags(t *testing.T) {
	var d Do
	fs := flag.NewFlagSet("do", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d.SetFlags(fs)
	if err := fs.Parse([]string{"--cwd", "/usr", "--env", "A=1", "--env=B=2", "sh", "-c", "exit 7"}); err != nil {
		t.Fatal(err)
	}
	if d.cwd != "/usr" || !reflect.DeepEqual([]string(d.env), []string{"A=1", "B=2"}) {
		t.Errorf("cwd = %q, env = %q", d.cwd, d.env)
	}
	// Flags after the command belong to the command.
	if !reflect.DeepEqual(fs.Args(), []string{"sh", "-c", "exit 7"}) {
		t.Errorf("args = %q", fs.Args())
	}
}

func TestRunFlags(t *testing.T) {
	var r Run
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r.SetFlags(fs)
	if err := fs.Parse([]string{"--bundle", "/b", "--pid-file=/p", "c1"}); err != nil {
		t.Fatal(err)
	}
	if r.bundle != "/b" || r.pidFile != "/p" || fs.Arg(0) != "c1" {
		t.Errorf("bundle = %q, pid-file = %q, id = %q", r.bundle, r.pidFile, fs.Arg(0))
	}
}
