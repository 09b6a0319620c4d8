package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/cocoon-sandbox/cocoon/runsc/boot"
	"github.com/cocoon-sandbox/cocoon/runsc/specutils"
)

// Features implements subcommands.Command for "features": print what this
// runsc supports as the OCI features document, like `runc features`.
type Features struct{}

// Name implements subcommands.Command.
func (*Features) Name() string { return "features" }

// Synopsis implements subcommands.Command.
func (*Features) Synopsis() string { return "print the OCI features document of this runtime" }

// Usage implements subcommands.Command.
func (*Features) Usage() string {
	return "features - prints the runtime's supported spec versions, mount options, namespaces and capabilities as JSON.\n\n"
}

// SetFlags implements subcommands.Command.
func (*Features) SetFlags(*flag.FlagSet) {}

// Execute implements subcommands.Command.
func (*Features) Execute(context.Context, *flag.FlagSet, ...any) subcommands.ExitStatus {
	no := false
	doc := features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		// All run in runsc's namespaces (runsc/container/hooks.go).
		Hooks:        []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions: boot.MountOptionNames(),
		Linux: &features.Linux{
			Namespaces:   specutils.NamespaceTypes,
			Capabilities: specutils.CapabilityNames,
			Cgroup:       &features.Cgroup{V1: &no, V2: &no, Systemd: &no, SystemdUser: &no},
			Seccomp:      &features.Seccomp{Enabled: &no},
			Apparmor:     &features.Apparmor{Enabled: &no},
			Selinux:      &features.Selinux{Enabled: &no},
		},
		Annotations: map[string]string{
			"org.opencontainers.runtime-spec.features": "cocoon runsc",
		},
	}
	out, err := json.MarshalIndent(&doc, "", "    ")
	if err != nil {
		return Failure(err)
	}
	fmt.Fprintln(os.Stdout, string(out))
	return subcommands.ExitSuccess
}
