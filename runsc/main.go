// Binary runsc is Cocoon's OCI runtime. This file only wires the global
// flags and the subcommands; each subcommand lives in runsc/cmd. The same
// binary is re-executed as the sandbox ("boot") and the gofer ("gofer").
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"os"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/cmd"
	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// internalGroup holds the subcommands runsc starts itself; help hides them.
const internalGroup = "internal use only"

func main() {
	ensureStdio()

	commander := subcommands.NewCommander(flag.CommandLine, "runsc")
	commander.Register(commander.HelpCommand(), "")
	commander.Register(commander.FlagsCommand(), "")
	commander.Register(new(cmd.Do), "")
	commander.Register(new(cmd.Run), "")
	commander.Register(new(cmd.Create), "")
	commander.Register(new(cmd.Start), "")
	commander.Register(new(cmd.State), "")
	commander.Register(new(cmd.Kill), "")
	commander.Register(new(cmd.Wait), "")
	commander.Register(new(cmd.Delete), "")
	commander.Register(new(cmd.Ps), "")
	commander.Register(new(cmd.Syscalls), "")
	commander.Register(new(cmd.Boot), internalGroup)
	commander.Register(new(cmd.Gofer), internalGroup)
	explainGroup := commander.ExplainGroup
	commander.ExplainGroup = func(w io.Writer, g *subcommands.CommandGroup) {
		if g.Name() != internalGroup {
			explainGroup(w, g)
		}
	}

	conf := config.RegisterFlags(flag.CommandLine)
	flag.Parse()
	if err := conf.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: %v\n", err)
		os.Exit(int(subcommands.ExitUsageError))
	}

	name := "runsc"
	if sub := flag.Arg(0); sub == "boot" || sub == "gofer" {
		name = sub
	}
	var target *os.File
	if conf.DebugLogFD >= 0 {
		target = os.NewFile(uintptr(conf.DebugLogFD), "debug-log")
		unix.CloseOnExec(conf.DebugLogFD)
	} else {
		var err error
		if target, err = log.OpenTarget(conf.DebugLog); err != nil {
			os.Exit(int(cmd.Failure(err)))
		}
	}
	if target != nil {
		log.Setup(name, conf.Debug, target)
		stdlog.SetOutput(target) // the sentry logs through the standard logger
	} else {
		log.Setup(name, conf.Debug, nil)
	}
	log.Debugf("args: %q", os.Args)

	os.Exit(int(commander.Execute(context.Background(), conf)))
}

// ensureStdio opens /dev/null on any of FDs 0, 1, 2 that is closed, so that
// no file runsc opens later lands there and gets passed to the container as
// its stdio by accident.
func ensureStdio() {
	for fd := 0; fd < 3; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			continue
		}
		nfd, err := unix.Open("/dev/null", unix.O_RDWR, 0)
		if err != nil {
			os.Exit(int(cmd.ExitRuntimeError))
		}
		if nfd != fd {
			unix.Dup2(nfd, fd)
			unix.Close(nfd)
		}
	}
}
