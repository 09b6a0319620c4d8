package ptrace

import (
	"testing"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/platformtest"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

func newTestPlatform(t *testing.T, mf *pgalloc.MemoryFile) platform.Platform {
	p, err := New(mf)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func TestPlatform(t *testing.T) {
	platformtest.Run(t, newTestPlatform)
}
