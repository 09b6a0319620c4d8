package log

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDebugGated(t *testing.T) {
	var b bytes.Buffer
	Setup("test", false, &b)
	Debugf("hidden %d", 1)
	if b.Len() != 0 {
		t.Errorf("debug message written while disabled: %q", b.String())
	}
	Warningf("shown %d", 2)
	if !strings.Contains(b.String(), "test[") || !strings.Contains(b.String(), "shown 2") {
		t.Errorf("warning = %q", b.String())
	}
	b.Reset()
	Setup("test", true, &b)
	Debugf("now %s", "visible")
	if !strings.HasPrefix(b.String(), "D") || !strings.Contains(b.String(), "now visible\n") {
		t.Errorf("debug = %q", b.String())
	}
}

func TestFile(t *testing.T) {
	Setup("test", true, nil)
	if File() != nil {
		t.Error("File() != nil when logging to stderr")
	}
	f, err := OpenTarget(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	Setup("test", true, f)
	if File() != f {
		t.Error("File() is not the file given to Setup")
	}
	Setup("test", false, nil)
}

func TestUserLog(t *testing.T) {
	var debugOut, user bytes.Buffer
	Setup("test", false, &debugOut)
	SetUserLog(&user, true)
	defer SetUserLog(nil, false)
	Errorf("container %q: %s", "c1", "boom")
	Warningf("careful")
	lines := strings.Split(strings.TrimSuffix(user.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("user log = %q, want two lines", user.String())
	}
	for i, want := range []struct{ level, msg string }{{"error", `container "c1": boom`}, {"warning", "careful"}} {
		var rec struct{ Level, Msg, Time string }
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil || rec.Level != want.level || rec.Msg != want.msg || rec.Time == "" {
			t.Errorf("line %d = %q (%v), want level %s msg %q", i, lines[i], err, want.level, want.msg)
		}
	}
	user.Reset()
	SetUserLog(&user, false)
	Errorf("plain")
	if got := user.String(); !strings.HasPrefix(got, "time=") || !strings.HasSuffix(got, ` level=error msg="plain"`+"\n") {
		t.Errorf("text user log = %q", got)
	}
}
