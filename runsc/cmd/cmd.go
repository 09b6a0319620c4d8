// Package cmd holds runsc's subcommands, one file each, in the shape
// github.com/google/subcommands wants. Each Execute receives the global
// *config.Config as its first extra argument. Commands keep no state between
// runs and need no locking; the work is done by the container, sandbox and
// specutils packages.
package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/subcommands"

	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// ExitRuntimeError is runsc's exit status when it fails itself (bad bundle,
// cannot start the sandbox), as gVisor's runsc uses it.
const ExitRuntimeError subcommands.ExitStatus = 128

// Failure prints err as one "runsc: " line on stderr, records it in the
// --log file for the caller, and returns ExitRuntimeError.
func Failure(err error) subcommands.ExitStatus {
	report(err.Error())
	return ExitRuntimeError
}

// report prints msg as one "runsc: " line on stderr and in the --log file.
func report(msg string) {
	msg = strings.ReplaceAll(msg, "\n", " ")
	fmt.Fprintf(os.Stderr, "runsc: %s\n", msg)
	log.Errorf("%s", msg)
}

// usageError prints a one-line usage complaint and returns ExitUsageError.
func usageError(format string, args ...any) subcommands.ExitStatus {
	report(fmt.Sprintf(format, args...))
	return subcommands.ExitUsageError
}

// confFrom extracts the Config that main passes to every Execute.
func confFrom(args []any) *config.Config {
	if len(args) == 0 {
		panic("runsc: subcommand executed without a config")
	}
	return args[0].(*config.Config)
}

// stringList is a repeatable string flag (--env A=1 --env B=2).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
