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
	"strings"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/cmd"
	"github.com/cocoon-sandbox/cocoon/runsc/config"
	"github.com/cocoon-sandbox/cocoon/runsc/log"
)

// internalGroup holds the subcommands runsc starts itself; help hides them.
const internalGroup = "internal use only"

// Version is runsc's version; the build may set it with
// -ldflags "-X main.Version=...".
var Version = "0.2.0-dev"

// idCommands are the subcommands whose first argument is a container ID,
// which --debug-log's %ID% stands for.
var idCommands = map[string]bool{
	"create": true, "start": true, "run": true, "state": true, "kill": true,
	"wait": true, "delete": true, "ps": true, "events": true, "exec": true, "exec-wait": true, "pause": true, "resume": true, "update": true, "boot": true,
}

func main() {
	ensureStdio()

	commander := subcommands.NewCommander(flag.CommandLine, "runsc")
	conf := config.RegisterFlags(flag.CommandLine)
	version := flag.Bool("version", false, "print runsc's version and the OCI runtime spec version, and exit.")
	register := func(c subcommands.Command, group string) {
		commander.Register(&logged{Command: c, conf: conf}, group)
	}
	commander.Register(commander.HelpCommand(), "")
	commander.Register(commander.FlagsCommand(), "")
	for _, c := range []subcommands.Command{
		new(cmd.Create), new(cmd.Debug), new(cmd.Delete), new(cmd.Do), new(cmd.Events), new(cmd.Exec), new(cmd.Features), new(cmd.Kill),
		new(cmd.List), new(cmd.Pause), new(cmd.Ps), cmd.NewResume(), new(cmd.Run), new(cmd.Spec), new(cmd.Start),
		new(cmd.State), new(cmd.Syscalls), new(cmd.Update), new(cmd.Wait),
	} {
		register(c, "")
	}
	register(new(cmd.Boot), internalGroup)
	register(new(cmd.Gofer), internalGroup)
	register(new(cmd.ExecWait), internalGroup)
	explainGroup := commander.ExplainGroup
	commander.ExplainGroup = func(w io.Writer, g *subcommands.CommandGroup) {
		if g.Name() != internalGroup {
			explainGroup(w, g)
		}
	}

	flag.Parse()
	if *version {
		fmt.Printf("runsc version %s\nspec: %s\n", Version, specs.Version)
		os.Exit(0)
	}
	if err := conf.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: %v\n", err)
		os.Exit(int(subcommands.ExitUsageError))
	}
	if conf.LogLevel == "debug" {
		conf.Debug = true
	}
	if conf.Log != "" {
		f, err := os.OpenFile(conf.Log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "runsc: opening --log: %v\n", err)
			os.Exit(int(cmd.ExitRuntimeError))
		}
		log.SetUserLog(f, conf.LogFormat == "json")
	}
	os.Exit(int(commander.Execute(context.Background(), conf)))
}

// logged is a subcommand whose debug logging is set up once its own
// arguments are parsed, so that --debug-log can name the file after the
// container (%ID%) and the subcommand (%COMMAND%), as gVisor's does.
type logged struct {
	subcommands.Command
	conf *config.Config
}

// Execute implements subcommands.Command.
func (l *logged) Execute(ctx context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	// Lines of the sandbox and the gofer say so; the CLI's say runsc.
	name := "runsc"
	if l.Name() == "boot" || l.Name() == "gofer" {
		name = l.Name()
	}
	id := ""
	if idCommands[l.Name()] {
		id = f.Arg(0)
	}
	if err := setupDebugLog(l.conf, name, l.Name(), id); err != nil {
		return cmd.Failure(err)
	}
	log.Debugf("args: %q", os.Args)
	return l.Command.Execute(ctx, f, args...)
}

// setupDebugLog points the debug log at --debug-log-fd (boot and gofer:
// the launcher's file) or at --debug-log with %ID% and %COMMAND% expanded;
// label names the process on each line.
func setupDebugLog(conf *config.Config, label, command, id string) error {
	var target *os.File
	if conf.DebugLogFD >= 0 {
		target = os.NewFile(uintptr(conf.DebugLogFD), "debug-log")
		unix.CloseOnExec(conf.DebugLogFD)
	} else {
		path := strings.NewReplacer("%ID%", id, "%COMMAND%", command).Replace(conf.DebugLog)
		var err error
		if target, err = log.OpenTarget(path); err != nil {
			return err
		}
	}
	if target == nil {
		log.Setup(label, conf.Debug, nil)
		return nil
	}
	log.Setup(label, conf.Debug, target)
	stdlog.SetOutput(target) // the sentry logs through the standard logger
	return nil
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
