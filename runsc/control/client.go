package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Client is a connection to a sandbox's control server. It is safe for
// concurrent use; calls are made one at a time.
type Client struct {
	mu     sync.Mutex
	c      *conn
	broken error
}

// Dial connects to the control socket at path.
func Dial(path string) (*Client, error) {
	fd, err := dial(path)
	if err != nil {
		return nil, err
	}
	return &Client{c: newConn(fd)}, nil
}

// Close closes the connection.
func (cl *Client) Close() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.c == nil {
		return nil
	}
	err := cl.c.close()
	cl.c = nil
	return err
}

// Call makes one call: args (nil for none) are sent with fds beside them
// (the caller keeps its copies), and the result is decoded into result
// (nil to discard it). A server-side failure is an *Error; a broken
// connection wraps ErrConnection and breaks every later call too.
func (cl *Client) Call(method string, args, result any, fds ...int) error {
	req := Request{Method: method}
	if args != nil {
		a, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("encoding %s arguments: %w", method, err)
		}
		req.Args = a
	}
	msg, err := json.Marshal(&req)
	if err != nil {
		return fmt.Errorf("encoding %s request: %w", method, err)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.broken != nil {
		return cl.broken
	}
	if cl.c == nil {
		return fmt.Errorf("%s: client closed: %w", method, ErrConnection)
	}
	if err := cl.c.send(msg, fds); err != nil {
		return cl.breakLocked(method, err)
	}
	data, got, err := cl.c.recv()
	if err != nil {
		return cl.breakLocked(method, err)
	}
	if len(got) > 0 {
		closeAll(got)
		return cl.breakLocked(method, errors.New("unexpected FDs in the response"))
	}
	var resp Response
	if err := json.Unmarshal(data, &resp); err != nil {
		return cl.breakLocked(method, fmt.Errorf("malformed response: %w", err))
	}
	if resp.Error != "" {
		return &Error{Code: resp.Code, Msg: resp.Error}
	}
	if result != nil && len(resp.Result) > 0 {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return cl.breakLocked(method, fmt.Errorf("malformed %s result: %w", method, err))
		}
	}
	return nil
}

func (cl *Client) breakLocked(method string, err error) error {
	if err == errClosed {
		err = errors.New("the sandbox closed the connection")
	}
	cl.broken = fmt.Errorf("%s: %w: %v", method, ErrConnection, err)
	return cl.broken
}

// Ready waits until the sandbox has built its first container.
func (cl *Client) Ready() (ReadyResult, error) {
	var r ReadyResult
	err := cl.Call(MethodReady, nil, &r)
	return r, err
}

// Start starts container id's init.
func (cl *Client) Start(id string) error {
	return cl.Call(MethodStart, &ContainerArgs{ID: id}, nil)
}

// Pause freezes container id's processes.
func (cl *Client) Pause(id string) error {
	return cl.Call(MethodPause, &ContainerArgs{ID: id}, nil)
}

// Resume thaws container id's processes.
func (cl *Client) Resume(id string) error {
	return cl.Call(MethodResume, &ContainerArgs{ID: id}, nil)
}

// Stacks returns the sandbox's goroutine stacks.
func (cl *Client) Stacks() (string, error) {
	var r StacksResult
	err := cl.Call(MethodStacks, nil, &r)
	return r.Stacks, err
}

// Exec starts a process in container id with the given stdio FDs (three,
// or one terminal) and returns its PID in the container.
func (cl *Client) Exec(a *ExecArgs, stdio ...int) (int32, error) {
	var r ExecResult
	err := cl.Call(MethodExec, a, &r, stdio...)
	return r.PID, err
}

// WaitPID waits for process pid of container id, started by Exec.
func (cl *Client) WaitPID(id string, pid int32) (WaitResult, error) {
	var r WaitResult
	err := cl.Call(MethodWaitPID, &ProcessArgs{ID: id, PID: pid}, &r)
	return r, err
}

// SignalProcess sends sig to the process of container id whose PID (as
// the container sees it) is pid.
func (cl *Client) SignalProcess(id string, pid int32, sig int) error {
	return cl.Call(MethodSignal, &SignalArgs{ID: id, Signal: sig, PID: pid}, nil)
}

// SignalForeground sends sig to the foreground process group of the
// terminal of process pid (exec --tty), or to the process.
func (cl *Client) SignalForeground(id string, pid int32, sig int) error {
	return cl.Call(MethodSignal, &SignalArgs{ID: id, Signal: sig, PID: pid, Foreground: true}, nil)
}

// Signal sends sig to container id's init, or with all to all of its
// processes.
func (cl *Client) Signal(id string, sig int, all bool) error {
	return cl.Call(MethodSignal, &SignalArgs{ID: id, Signal: sig, All: all}, nil)
}

// Wait waits for container id's init to exit.
func (cl *Client) Wait(id string) (WaitResult, error) {
	var r WaitResult
	err := cl.Call(MethodWait, &ContainerArgs{ID: id}, &r)
	return r, err
}

// Processes lists container id's processes.
func (cl *Client) Processes(id string) ([]Process, error) {
	var ps []Process
	err := cl.Call(MethodProcesses, &ContainerArgs{ID: id}, &ps)
	return ps, err
}
