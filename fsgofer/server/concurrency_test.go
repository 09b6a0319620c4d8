package server

import (
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/fsgofer/gofertest"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
)

// TestSlowRequestDoesNotBlock checks, through the real client, that
// requests are served while an earlier one is stuck on the host: a Stat
// held back in the server does not hold up Walks sent after it.
func TestSlowRequestDoesNotBlock(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	testHookDispatch = func(op proto.Op) {
		if op == proto.OpStat {
			close(entered)
			<-release
		}
	}
	defer func() { testHookDispatch = nil }()
	dir := t.TempDir()
	gofertest.Tree(t, dir, "a/b/f")
	c := gofertest.Start(t, Serve, dir, false)
	defer c.Shutdown(t)
	slow := make(chan error, 1)
	go func() {
		_, err := c.C.Stat(c.Root)
		slow <- err
	}()
	<-entered
	start := time.Now()
	for i := 0; i < 20; i++ {
		if res := c.Walk(t, "a", "b", "f"); len(res) != 3 {
			t.Fatalf("Walk found %d components", len(res))
		}
	}
	d := time.Since(start)
	select {
	case err := <-slow:
		t.Fatalf("the held-back Stat returned (%v) before it was released", err)
	default:
	}
	t.Logf("20 Walks answered in %v while a Stat was held back", d)
	close(release)
	if err := <-slow; err != nil {
		t.Fatalf("Stat: %v", err)
	}
}
