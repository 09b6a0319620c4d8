package cmd

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Do implements subcommands.Command for "do": run a command in a
// throw-away sandbox whose root is the host's "/" seen read-only through
// the gofer, with writes kept in the sentry's in-memory overlay.
type Do struct {
	cwd string
	env stringList
}

// Name implements subcommands.Command.
func (*Do) Name() string { return "do" }

// Synopsis implements subcommands.Command.
func (*Do) Synopsis() string { return "run a command in a sandbox with the host's root file system" }

// Usage implements subcommands.Command.
func (*Do) Usage() string {
	return `do [flags] <cmd> [args...] - runs a command in a throw-away sandbox.

The sandbox's root is the host's "/", read-only through the gofer; writes go
to an in-memory overlay and never reach the host. The environment is runsc's
own plus --env; the hostname is "` + specutils.DoHostname + `". runsc exits with
the command's status (128+N if signal N killed it).

`
}

// SetFlags implements subcommands.Command.
func (d *Do) SetFlags(f *flag.FlagSet) {
	f.StringVar(&d.cwd, "cwd", "", "working directory of the command (default: the current directory).")
	f.Var(&d.env, "env", "K=V to add to the environment; may be repeated.")
}

// Execute implements subcommands.Command.
func (d *Do) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf := confFrom(args)
	if f.NArg() == 0 {
		f.Usage()
		return subcommands.ExitUsageError
	}
	for _, kv := range d.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return usageError("--env %q: want KEY=VALUE", kv)
		}
	}
	cwd, err := filepath.Abs(specutils.DoCwd(d.cwd))
	if err != nil {
		return Failure(fmt.Errorf("--cwd: %w", err))
	}
	spec := specutils.DoSpec(specutils.DoOptions{
		Args:     f.Args(),
		HostEnv:  os.Environ(),
		ExtraEnv: d.env,
		Cwd:      cwd,
	})
	if err := specutils.ValidateSpec(spec); err != nil {
		return Failure(err)
	}

	sweepAbandonedDo(conf.RootDir)
	// A fresh ID, as gVisor's do picks one; retry on the rare collision.
	for range 10 {
		n, err := rand.Int(rand.Reader, big.NewInt(1000000))
		if err != nil {
			return Failure(fmt.Errorf("choosing container ID: %w", err))
		}
		status, err := container.Run(&container.RunArgs{CreateArgs: container.CreateArgs{
			Conf:   conf,
			ID:     fmt.Sprintf("runsc-%06d", n.Int64()),
			Spec:   spec,
			RootFS: "/",
		}})
		if errors.Is(err, container.ErrExist) {
			continue
		}
		if err != nil {
			return createFailure(err)
		}
		return subcommands.ExitStatus(status)
	}
	return Failure(errors.New("no free container ID"))
}

// doID matches the IDs `do` picks.
var doID = regexp.MustCompile(`^runsc-[0-9]{6}$`)

// sweepAbandonedDo deletes what earlier `do` runs left under rootDir when
// they were killed before they could clean up (SIGKILL, a timeout): a
// container of do's naming, without a bundle, whose sandbox is gone and
// whose state is older than a minute (so a do that is just starting is
// never touched). Errors are only logged: the sweep is best effort.
func sweepAbandonedDo(rootDir string) {
	ids, err := container.List(rootDir)
	if err != nil {
		return
	}
	for _, id := range ids {
		if !doID.MatchString(id) {
			continue
		}
		c, err := container.Load(rootDir, id)
		if err != nil || c.Bundle != "" || c.Status != container.Stopped {
			continue
		}
		if fi, err := os.Stat(c.Dir()); err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue
		}
		if err := c.Delete(true); err != nil {
			log.Debugf("sweeping abandoned %s: %v", id, err)
		}
	}
}
