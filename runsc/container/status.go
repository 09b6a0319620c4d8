package container

import (
	"errors"
	"fmt"
)

// Status is a container's lifecycle state, named as in the OCI runtime
// spec ("creating", "created", "running", "stopped").
type Status string

// The states, in lifecycle order.
const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

// validMoves lists, for each state, the states it may move to.
var validMoves = map[Status][]Status{
	Creating: {Created, Stopped},
	Created:  {Running, Stopped},
	Running:  {Paused, Stopped},
	Paused:   {Running, Stopped},
	Stopped:  {},
}

// alive says whether a container in status s has a sandbox that runs it.
func (s Status) alive() bool {
	return s == Created || s == Running || s == Paused
}

// canMove reports whether a container may go from one state to another.
func canMove(from, to Status) bool {
	for _, s := range validMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// ErrNotExist is returned for a container ID that has no state under --root.
var ErrNotExist = errors.New("container does not exist")

// ErrExist is returned when creating a container whose ID is taken.
var ErrExist = errors.New("container already exists")

// ErrNotRunning is returned for an operation on a container whose
// sandbox is gone (kill, start of a stopped container).
var ErrNotRunning = errors.New("container is not running")

// InvalidTransitionError is returned for a lifecycle move the state machine
// does not allow, such as starting a stopped container.
type InvalidTransitionError struct {
	ID       string
	From, To Status
}

func (e *InvalidTransitionError) Error() string {
	return fmt.Sprintf("container %q is %s, cannot become %s", e.ID, e.From, e.To)
}
