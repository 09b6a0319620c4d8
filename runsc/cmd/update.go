package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/runsc/container"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// Update implements subcommands.Command for "update": change a running
// container's resource limits, like `runc update`.
type Update struct {
	resources   string
	memory      int64
	memorySwap  int64
	reservation int64
	pidsLimit   int64
	cpuShares   uint64
	cpuQuota    int64
	cpuPeriod   uint64
	cpusetCpus  string
	cpusetMems  string
	blkioWeight uint
}

// Name implements subcommands.Command.
func (*Update) Name() string { return "update" }

// Synopsis implements subcommands.Command.
func (*Update) Synopsis() string { return "update the resource limits of a container" }

// Usage implements subcommands.Command.
func (*Update) Usage() string {
	return `update [flags] <container id> - writes new limits into the container's cgroup.

--resources FILE (or - for stdin) gives them as the spec's linux.resources
JSON; the other flags set one limit each, over what the file says.

`
}

// SetFlags implements subcommands.Command.
func (u *Update) SetFlags(f *flag.FlagSet) {
	f.StringVar(&u.resources, "resources", "", "path to a linux.resources JSON file, or - for stdin.")
	f.StringVar(&u.resources, "r", "", "shorthand for --resources.")
	f.Int64Var(&u.memory, "memory", 0, "memory limit in bytes (-1: none).")
	f.Int64Var(&u.memorySwap, "memory-swap", 0, "memory plus swap limit in bytes (-1: none).")
	f.Int64Var(&u.reservation, "memory-reservation", 0, "memory soft limit in bytes.")
	f.Int64Var(&u.pidsLimit, "pids-limit", 0, "maximum number of tasks (-1: none).")
	f.Uint64Var(&u.cpuShares, "cpu-shares", 0, "CPU shares (relative weight).")
	f.Int64Var(&u.cpuQuota, "cpu-quota", 0, "CPU CFS quota in microseconds per period.")
	f.Uint64Var(&u.cpuPeriod, "cpu-period", 0, "CPU CFS period in microseconds.")
	f.StringVar(&u.cpusetCpus, "cpuset-cpus", "", "CPUs to run on (0-3, 0,1).")
	f.StringVar(&u.cpusetMems, "cpuset-mems", "", "memory nodes to use.")
	f.UintVar(&u.blkioWeight, "blkio-weight", 0, "block IO weight, 10 to 1000.")
}

// Execute implements subcommands.Command.
func (u *Update) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	id, ok := oneID(f)
	if !ok {
		return subcommands.ExitUsageError
	}
	r, err := u.read()
	if err != nil {
		return usageError("%v", err)
	}
	u.apply(f, r)
	c, err := container.Load(confFrom(args).RootDir, id)
	if err != nil {
		return Failure(err)
	}
	warnings, err := c.Update(r)
	for _, w := range warnings {
		log.Warningf("%v", w)
	}
	if err != nil {
		return Failure(err)
	}
	return subcommands.ExitSuccess
}

// read reads --resources, if given.
func (u *Update) read() (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	if u.resources == "" {
		return r, nil
	}
	in := os.Stdin
	if u.resources != "-" {
		f, err := os.Open(u.resources)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return nil, fmt.Errorf("--resources: %w", err)
	}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("--resources: invalid JSON: %w", err)
	}
	return r, nil
}

// apply sets, over r, the limits whose flags were given.
func (u *Update) apply(f *flag.FlagSet, r *specs.LinuxResources) {
	mem := func() *specs.LinuxMemory {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		return r.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		return r.CPU
	}
	f.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "memory":
			mem().Limit = &u.memory
		case "memory-swap":
			mem().Swap = &u.memorySwap
		case "memory-reservation":
			mem().Reservation = &u.reservation
		case "pids-limit":
			r.Pids = &specs.LinuxPids{Limit: &u.pidsLimit}
		case "cpu-shares":
			cpu().Shares = &u.cpuShares
		case "cpu-quota":
			cpu().Quota = &u.cpuQuota
		case "cpu-period":
			cpu().Period = &u.cpuPeriod
		case "cpuset-cpus":
			cpu().Cpus = u.cpusetCpus
		case "cpuset-mems":
			cpu().Mems = u.cpusetMems
		case "blkio-weight":
			w := uint16(u.blkioWeight)
			r.BlockIO = &specs.LinuxBlockIO{Weight: &w}
		}
	})
}
