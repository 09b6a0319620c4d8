package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/cgroup"
	"github.com/cocoon-sandbox/cocoon/runsc/container"
)

// Events implements subcommands.Command for "events": the container's
// resource figures as runc's stats events, once (--stats) or every
// --interval until it stops.
type Events struct {
	stats    bool
	interval time.Duration
}

// Name implements subcommands.Command.
func (*Events) Name() string { return "events" }

// Synopsis implements subcommands.Command.
func (*Events) Synopsis() string { return "print resource usage of a container" }

// Usage implements subcommands.Command.
func (*Events) Usage() string {
	return `events [--stats] [--interval D] <container id> - prints {"type":"stats",...} events from the container's cgroup.

With --stats one event is printed; otherwise one every --interval until the
container stops.

`
}

// SetFlags implements subcommands.Command.
func (e *Events) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&e.stats, "stats", false, "print the figures once and exit.")
	f.DurationVar(&e.interval, "interval", 5*time.Second, "time between events.")
}

// statsEvent is runc's event JSON, with the fields runsc fills.
type statsEvent struct {
	Type string    `json:"type"`
	ID   string    `json:"id"`
	Data statsData `json:"data"`
}

type statsData struct {
	CPU struct {
		Usage struct {
			Total uint64 `json:"total"`
		} `json:"usage"`
	} `json:"cpu"`
	Memory struct {
		Usage struct {
			Usage uint64 `json:"usage"`
			Limit uint64 `json:"limit"`
		} `json:"usage"`
	} `json:"memory"`
	Pids struct {
		Current uint64 `json:"current"`
		Limit   uint64 `json:"limit,omitempty"`
	} `json:"pids"`
}

func newStatsEvent(id string, s cgroup.Stats) statsEvent {
	e := statsEvent{Type: "stats", ID: id}
	e.Data.CPU.Usage.Total = s.CPUUsageNS
	e.Data.Memory.Usage.Usage = s.MemoryUsage
	e.Data.Memory.Usage.Limit = s.MemoryLimit
	e.Data.Pids.Current, e.Data.Pids.Limit = s.Pids, s.PidsLimit
	return e
}

// Execute implements subcommands.Command.
func (e *Events) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	if e.interval <= 0 {
		return usageError("--interval %v: must be positive", e.interval)
	}
	root := confFrom(args).RootDir
	for {
		c, err := container.Load(root, id)
		if err != nil {
			return Failure(err)
		}
		s, err := c.Stats()
		if err != nil {
			if !e.stats && errors.Is(err, container.ErrNotRunning) {
				return subcommands.ExitSuccess // it stopped: the stream ends
			}
			return Failure(err)
		}
		out, err := json.Marshal(newStatsEvent(id, s))
		if err != nil {
			return Failure(err)
		}
		fmt.Println(string(out))
		if e.stats {
			return subcommands.ExitSuccess
		}
		time.Sleep(e.interval)
	}
}
