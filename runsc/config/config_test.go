package config

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"

	_ "github.com/cocoon-sandbox/cocoon/platform/platforms" // the registry Validate asks
)

func parse(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, nil
}

func TestDefaults(t *testing.T) {
	c, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{RootDir: "/var/run/runsc", DebugLogFD: -1, Platform: "ptrace", Network: "none", Overlay2: "root:memory",
		LogFormat: "text", LogLevel: "info", FileAccess: "exclusive", HostUDS: "none"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string // empty: valid
	}{
		{name: "all set", args: []string{"--root=/tmp/x", "--debug", "--debug-log=/tmp/l", "--platform=ptrace", "--network=none", "--overlay2=root:memory"}},
		{name: "single dash", args: []string{"-root", "/tmp/x", "-debug"}},
		{name: "kvm", args: []string{"--platform=kvm"}, wantErr: `--platform=kvm: unknown platform "kvm" (known: ptrace)`},
		{name: "bogus platform", args: []string{"--platform=foo"}, wantErr: "unknown platform"},
		{name: "network sandbox", args: []string{"--network=sandbox"}, wantErr: "--network=sandbox: not supported yet"},
		{name: "network host", args: []string{"--network=host"}, wantErr: "--network=host: not supported yet"},
		{name: "network bogus", args: []string{"--network=x"}, wantErr: "unknown network"},
		{name: "overlay none", args: []string{"--overlay2=none"}, wantErr: "--overlay2=none: not supported yet"},
		{name: "overlay bogus", args: []string{"--overlay2=x"}, wantErr: "invalid value"},
		{name: "runc's flags", args: []string{"--log=/tmp/log.json", "--log-format=json", "--systemd-cgroup", "--rootless", "--ignore-cgroups", "--log-level=warn"}},
		{name: "log format bogus", args: []string{"--log-format=xml"}, wantErr: "--log-format=xml"},
		{name: "log level bogus", args: []string{"--log-level=loud"}, wantErr: "--log-level=loud"},
		{name: "host uds open", args: []string{"--host-uds=open"}, wantErr: "not supported yet"},
		{name: "file access shared", args: []string{"--file-access=shared"}},
		{name: "file access bogus", args: []string{"--file-access=x"}, wantErr: "--file-access=x: invalid value"},
		{name: "empty root", args: []string{"--root="}, wantErr: "--root must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.args...)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestUnknownFlag(t *testing.T) {
	if _, err := parse(t, "--no-such-flag"); err == nil {
		t.Error("unknown flag parsed without error")
	}
}

func TestToFlagsRoundTrip(t *testing.T) {
	c, err := parse(t, "--root=/r", "--debug", "--debug-log=/l")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := parse(t, c.ToFlags()...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, c2) {
		t.Errorf("round trip: got %+v, want %+v", c2, c)
	}
}
