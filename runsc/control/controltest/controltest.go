// Package controltest is a stand-in for the control server of runsc boot,
// for tests of the launcher (runsc/sandbox, runsc/container) that run a
// fake sandbox: it serves Ready, Start, Signal and Wait for one container.
// A Fake is safe for concurrent use by the server's goroutines and the
// fake sandbox's own; its channels carry the ordering.
package controltest

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/runsc/control"
)

// Fake serves the part of runsc/boot's control API that the launcher
// uses (Ready, Start, Signal, Wait), for the one container id.
type Fake struct {
	srv    *control.Server
	id     string
	booted chan struct{} // closed by ready
	// Started is closed when Start was called.
	Started chan struct{}
	done    chan struct{} // closed by exited
	status  int
	once    sync.Once
}

// Serve serves the control API on the listening socket fd; Signal sends
// to sigs.
func Serve(fd int, id string, sigs chan<- os.Signal) *Fake {
	c := &Fake{
		id:      id,
		booted:  make(chan struct{}),
		Started: make(chan struct{}),
		done:    make(chan struct{}),
	}
	c.srv = control.NewServer(fd, map[string]control.HandlerFunc{
		control.MethodReady: func(json.RawMessage, []int) (any, error) {
			<-c.booted
			return &control.ReadyResult{}, nil
		},
		control.MethodStart: c.container(func() (any, error) {
			c.once.Do(func() { close(c.Started) })
			return nil, nil
		}),
		control.MethodWait: c.container(func() (any, error) {
			<-c.done
			return &control.WaitResult{Status: c.status}, nil
		}),
		control.MethodSignal: func(args json.RawMessage, _ []int) (any, error) {
			var a control.SignalArgs
			if err := control.DecodeArgs(args, &a); err != nil {
				return nil, err
			}
			if a.ID != c.id {
				return nil, control.Errorf(control.CodeNotFound, "no container %q", a.ID)
			}
			sigs <- unix.Signal(a.Signal)
			return nil, nil
		},
	})
	go c.srv.Serve()
	return c
}

// container checks the ContainerArgs of a call before fn.
func (c *Fake) container(fn func() (any, error)) control.HandlerFunc {
	return func(args json.RawMessage, _ []int) (any, error) {
		var a control.ContainerArgs
		if err := control.DecodeArgs(args, &a); err != nil {
			return nil, err
		}
		if a.ID != c.id {
			return nil, control.Errorf(control.CodeNotFound, "no container %q", a.ID)
		}
		return fn()
	}
}

// Ready lets Ready answer: the container is built.
func (c *Fake) Ready() { close(c.booted) }

// Exited records the init's status, answers waiters and writes the exit
// record to exitFD as runsc boot does.
func (c *Fake) Exited(exitFD int, status int) {
	c.status = status
	close(c.done)
	data, _ := json.Marshal(control.ExitRecord{Status: status})
	unix.Pwrite(exitFD, data, 0)
}

// Stop stops serving.
func (c *Fake) Stop() { c.srv.Stop() }

// BootArgs are the arguments `runsc boot` gets from the launcher, as a
// fake sandbox parses them.
type BootArgs struct {
	ID                                    string
	GoferFD, ControllerFD, ExitFD, SpecFD int
	StdioFDs                              string
	Spec                                  specs.Spec
}

// ParseBoot parses the boot subcommand's flags and container ID, and
// reads the spec from its FD.
func ParseBoot(args []string) (*BootArgs, error) {
	var a BootArgs
	fs := flag.NewFlagSet("boot", flag.ContinueOnError)
	fs.IntVar(&a.GoferFD, "gofer-fd", -1, "")
	fs.IntVar(&a.SpecFD, "spec-fd", -1, "")
	fs.IntVar(&a.ControllerFD, "controller-fd", -1, "")
	fs.IntVar(&a.ExitFD, "exit-fd", -1, "")
	fs.StringVar(&a.StdioFDs, "stdio-fds", "", "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("want one container ID, got %q", fs.Args())
	}
	a.ID = fs.Arg(0)
	data, err := io.ReadAll(os.NewFile(uintptr(a.SpecFD), "spec"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &a.Spec); err != nil {
		return nil, err
	}
	return &a, nil
}
