// Package control is the control API between runsc and a running sandbox:
// what `runsc start`, `kill`, `wait`, `ps` (and later the containerd shim,
// exec, pause and events) ask of the sandbox process, which serves it from
// runsc/boot's controller.
//
// The wire: one AF_UNIX SOCK_SEQPACKET connection per client, on a socket
// in the container's state directory that runsc binds before it starts
// the sandbox and hands it as a listening FD (the sandbox itself can reach
// no host path). One packet is one message, a JSON object: a Request
// {method, args} from the client, a Response {result} or {error, code}
// from the server, strictly in turn. Host FDs (the stdio of an exec, later)
// travel beside a request as one SCM_RIGHTS message. Every length and count
// read from the wire is bounded; a malformed request gets an error
// response and the connection goes on; a malformed response breaks the
// client's connection.
//
// Locking: a Client serialises its calls with its own mutex; a Server runs
// one goroutine per connection and calls its Handler from them
// concurrently.
package control

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Methods of the control API.
const (
	// MethodReady waits until the sandbox has built its first container
	// (kernel, file systems, the init's image loaded, not yet started)
	// and reports whether that worked. No args; result ReadyResult.
	MethodReady = "Ready"
	// MethodStart starts a created container's init. Args ContainerArgs.
	MethodStart = "Start"
	// MethodSignal sends a signal to a container. Args SignalArgs.
	MethodSignal = "Signal"
	// MethodWait waits for a container's init to exit. Args
	// ContainerArgs; result WaitResult.
	MethodWait = "Wait"
	// MethodProcesses lists a container's processes. Args
	// ContainerArgs; result []Process.
	MethodProcesses = "Processes"
	// MethodExec starts a new process in a running container, as runc's
	// exec. Args ExecArgs, with the process's stdin, stdout and stderr
	// as three FDs (one FD, a terminal, stands for all three); result
	// ExecResult.
	MethodExec = "Exec"
	// MethodWaitPID waits for a process that Exec started to exit.
	// Args ProcessArgs; result WaitResult.
	MethodWaitPID = "WaitPID"
	// MethodPause freezes every process of a container; MethodResume
	// thaws them. Args ContainerArgs.
	MethodPause  = "Pause"
	MethodResume = "Resume"
	// MethodStacks dumps the stacks of every goroutine of the sandbox
	// process, for `runsc debug --stacks`. No args; result
	// StacksResult.
	MethodStacks = "Stacks"
)

// StacksResult carries the sandbox's goroutine stacks, as
// runtime.Stack(all) writes them.
type StacksResult struct {
	Stacks string `json:"stacks"`
}

// ExecArgs describes a process to start in a running container.
type ExecArgs struct {
	ID             string   `json:"id"`
	Argv           []string `json:"argv"`
	Env            []string `json:"env,omitempty"`
	Cwd            string   `json:"cwd,omitempty"`
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGids []uint32 `json:"additionalGids,omitempty"`
	// Terminal says the one FD is the process's terminal.
	Terminal bool `json:"terminal,omitempty"`
	// Rlimits are the process's resource limits (process.rlimits).
	Rlimits []specs.POSIXRlimit `json:"rlimits,omitempty"`
	// Capabilities are the process's capability sets
	// (process.capabilities); nil: root's full sets, others none.
	Capabilities *specs.LinuxCapabilities `json:"capabilities,omitempty"`
	// NoNewPrivileges sets the process's no_new_privs bit
	// (process.noNewPrivileges).
	NoNewPrivileges bool `json:"noNewPrivileges,omitempty"`
}

// ExecResult is what Exec answers: the new process's PID in the
// container.
type ExecResult struct {
	PID int32 `json:"pid"`
}

// ProcessArgs names one process of a container by its PID inside.
type ProcessArgs struct {
	ID  string `json:"id"`
	PID int32  `json:"pid"`
}

// Request is a client's message.
type Request struct {
	Method string          `json:"method"`
	Args   json.RawMessage `json:"args,omitempty"`
}

// Response is the server's answer. Exactly one of Result and Error is set
// (Result may be absent for methods without one).
type Response struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Code   Code            `json:"code,omitempty"`
}

// ContainerArgs names a container of the sandbox.
type ContainerArgs struct {
	ID string `json:"id"`
}

// SignalArgs says what to signal: the container's init, or with All every
// process of the container.
type SignalArgs struct {
	ID     string `json:"id"`
	Signal int    `json:"signal"`
	All    bool   `json:"all,omitempty"`
	// PID, if not 0, picks one process of the container instead (its
	// PID as the container sees it).
	PID int32 `json:"pid,omitempty"`
	// Foreground, with PID, sends the signal to the foreground process
	// group of that process's terminal (an exec with a terminal: what the
	// terminal's line discipline signals), or to the process if it has
	// none.
	Foreground bool `json:"foreground,omitempty"`
}

// ReadyResult is the outcome of building the sandbox's first container.
// When Error is set the sandbox exits with Status (126 not executable, 127
// not found, 128 anything else) once it has answered.
type ReadyResult struct {
	Error  string `json:"error,omitempty"`
	Status int    `json:"status,omitempty"`
}

// WaitResult is how a container's init ended: Status as a shell reports
// it (the exit code, or 128+N for signal N), WaitStatus as wait(2) does.
type WaitResult struct {
	Status     int    `json:"status"`
	WaitStatus uint32 `json:"waitStatus"`
}

// ExitRecord is what a sandbox writes to the exit file in its container's
// state directory (an FD runsc hands it) when its root container ends or
// fails to boot, for the runsc calls made after the sandbox is gone: how
// the init ended (Status as a shell reports it, WaitStatus as wait(2)
// does), or why the container could not be built (Error, with Status 126,
// 127 or 128).
type ExitRecord struct {
	Status     int    `json:"status"`
	WaitStatus uint32 `json:"waitStatus,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Process is one process of a container, as `runsc ps` shows it.
type Process struct {
	PID   int32  `json:"pid"`
	PPID  int32  `json:"ppid"`
	UID   uint32 `json:"uid"`
	Cmd   string `json:"cmd"`
	State string `json:"state"`
	// UserTimeNS is the CPU time the process spent in application code.
	UserTimeNS int64 `json:"utimeNs"`
}

// Code is the category of a control error, so that runsc can tell "no
// such container" from a broken sandbox without parsing messages.
type Code string

// Error codes.
const (
	CodeNotFound  Code = "not-found" // no such container or process
	CodeInvalid   Code = "invalid"   // a bad argument (signal number, state)
	CodeUnknown   Code = "unknown-method"
	CodeInternal  Code = "internal"
	CodeMalformed Code = "malformed" // the request could not be decoded
)

// Error is an error the server reported.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// IsCode reports whether err is a server error of code c.
func IsCode(err error, c Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == c
}

// Errorf returns an Error of code c, for handlers.
func Errorf(c Code, format string, args ...any) error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// ErrConnection is wrapped by client errors that mean the connection to the
// sandbox broke (it exited, or sent something malformed): the call's
// outcome is unknown, and the client is unusable.
var ErrConnection = errors.New("control connection broken")
