package server_test

import (
	"testing"

	"github.com/cocoon-sandbox/cocoon/fsgofer/gofertest"
	"github.com/cocoon-sandbox/cocoon/fsgofer/server"
)

func TestConformance(t *testing.T) {
	gofertest.Run(t, server.Serve)
}
