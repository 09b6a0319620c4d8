package ptrace

import (
	"testing"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/platformtest"
)

func newTestPlatform(t *testing.T, memFD int) platform.Platform {
	p, err := New(memFD)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func TestPlatform(t *testing.T) {
	platformtest.Run(t, newTestPlatform)
}
