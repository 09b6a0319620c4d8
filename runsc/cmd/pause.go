package cmd

import (
	"context"
	"flag"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Pause implements subcommands.Command for "pause" and, with resume set,
// "resume": freeze or thaw every process of a container, like runc's.
type Pause struct {
	resume bool
}

// NewResume returns the "resume" command.
func NewResume() *Pause { return &Pause{resume: true} }

// Name implements subcommands.Command.
func (p *Pause) Name() string {
	if p.resume {
		return "resume"
	}
	return "pause"
}

// Synopsis implements subcommands.Command.
func (p *Pause) Synopsis() string {
	if p.resume {
		return "resume the processes of a paused container"
	}
	return "freeze every process of a running container"
}

// Usage implements subcommands.Command.
func (p *Pause) Usage() string { return p.Name() + " <container id> - " + p.Synopsis() + ".\n\n" }

// SetFlags implements subcommands.Command.
func (*Pause) SetFlags(*flag.FlagSet) {}

// Execute implements subcommands.Command.
func (p *Pause) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	if p.resume {
		err = c.Resume()
	} else {
		err = c.Pause()
	}
	if err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}
