package log

import (
	"bytes"
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
