package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestPythonAsyncioSockets runs an asyncio program over unix socket pairs
// natively and under `runsc do` and requires the same output: socketpair,
// non-blocking send and recv, and epoll readiness as an event loop uses
// them.
func TestPythonAsyncioSockets(t *testing.T) {
	needSetup(t)
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is not installed: %v", python, err)
	}
	script, err := filepath.Abs("testdata/asyncio_sockets.py")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{python, script}
	native := run(t, testutil.Cmd{Args: args})
	wantExit(t, native, 0)
	r := runRunsc(t, append([]string{"do"}, args...)...)
	wantExit(t, r, 0)
	if r.Stdout != native.Stdout {
		t.Errorf("stdout differs\n--- native ---\n%s--- runsc ---\n%s--- runsc stderr ---\n%s", native.Stdout, r.Stdout, r.Stderr)
	}
}
