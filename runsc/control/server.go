package control

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// HandlerFunc serves one method: it decodes args itself, may take
// ownership of fds (it must close those it does not keep), and returns a
// result to encode (nil for none) or an error (an *Error keeps its code;
// any other error is CodeInternal).
type HandlerFunc func(args json.RawMessage, fds []int) (any, error)

// Server serves the control API on a listening socket.
type Server struct {
	listenFD int
	methods  map[string]HandlerFunc

	mu sync.Mutex
	// conns are the connections being served, by FD.
	conns map[int]struct{}
	// stopped is set by Stop.
	stopped bool
	// inflight counts requests received and not yet answered.
	inflight int
}

// drainTimeout bounds how long Stop waits for calls in progress to be
// answered (a Start whose container exits at once must still get its
// answer before the sandbox exits).
const drainTimeout = time.Second

// NewServer returns a server for the listening socket fd (from Listen,
// inherited by the sandbox) with the given methods. It takes ownership of
// fd.
func NewServer(fd int, methods map[string]HandlerFunc) *Server {
	return &Server{listenFD: fd, methods: methods, conns: make(map[int]struct{})}
}

// Serve accepts connections and serves each on its own goroutine until
// Stop is called or the listening socket fails.
func (s *Server) Serve() error {
	for {
		fd, _, err := unix.Accept4(s.listenFD, unix.SOCK_CLOEXEC)
		switch {
		case err == unix.EINTR || err == unix.ECONNABORTED:
			continue
		case err != nil:
			s.mu.Lock()
			stopped := s.stopped
			s.mu.Unlock()
			if stopped {
				return nil
			}
			return err
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			unix.Close(fd)
			return nil
		}
		s.conns[fd] = struct{}{}
		s.mu.Unlock()
		go s.serveConn(fd)
	}
}

// Stop stops accepting, gives the calls in progress up to drainTimeout to
// send their answers, and shuts every connection down.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	unix.Shutdown(s.listenFD, unix.SHUT_RDWR)
	s.mu.Unlock()
	for deadline := time.Now().Add(drainTimeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		n := s.inflight
		s.mu.Unlock()
		if n == 0 {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for fd := range s.conns {
		unix.Shutdown(fd, unix.SHUT_RDWR)
	}
}

// track counts a request in progress (delta 1) or answered (-1).
func (s *Server) track(delta int) {
	s.mu.Lock()
	s.inflight += delta
	s.mu.Unlock()
}

func (s *Server) serveConn(fd int) {
	c := newConn(fd)
	defer func() {
		s.mu.Lock()
		delete(s.conns, fd)
		s.mu.Unlock()
		c.close()
	}()
	for {
		data, fds, err := c.recv()
		if err == errClosed {
			return
		}
		if err != nil && (errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE)) {
			return
		}
		if !s.answer(c, data, fds, err) {
			return
		}
	}
}

// answer serves one received request (or reports why it could not be
// read) and says whether the connection still works.
func (s *Server) answer(c *conn, data []byte, fds []int, err error) bool {
	s.track(1)
	defer s.track(-1)
	var resp *Response
	if err != nil {
		// A truncated or malformed packet: answer, keep going.
		resp = errorResponse(Errorf(CodeMalformed, "%v", err))
	} else {
		resp = s.dispatch(data, fds)
	}
	msg, err := json.Marshal(resp)
	if err != nil {
		msg, _ = json.Marshal(errorResponse(Errorf(CodeInternal, "encoding result: %v", err)))
	}
	if len(msg) > MaxMessageSize {
		msg, _ = json.Marshal(errorResponse(Errorf(CodeInternal, "result of %d bytes is too large", len(msg))))
	}
	return c.send(msg, nil) == nil
}

// dispatch decodes one request and runs its method.
func (s *Server) dispatch(data []byte, fds []int) *Response {
	var req Request
	if err := json.Unmarshal(data, &req); err != nil {
		closeAll(fds)
		return errorResponse(Errorf(CodeMalformed, "malformed request: %v", err))
	}
	h := s.methods[req.Method]
	if h == nil {
		closeAll(fds)
		return errorResponse(Errorf(CodeUnknown, "unknown method %q", req.Method))
	}
	result, err := h(req.Args, fds)
	if err != nil {
		return errorResponse(err)
	}
	if result == nil {
		return &Response{}
	}
	r, err := json.Marshal(result)
	if err != nil {
		return errorResponse(Errorf(CodeInternal, "encoding %s result: %v", req.Method, err))
	}
	return &Response{Result: r}
}

func errorResponse(err error) *Response {
	var e *Error
	if errors.As(err, &e) {
		return &Response{Error: e.Msg, Code: e.Code}
	}
	return &Response{Error: err.Error(), Code: CodeInternal}
}

// DecodeArgs decodes a method's arguments into v; missing or undecodable
// arguments are CodeMalformed. Unknown fields are ignored, so that a newer
// runsc can talk to an older sandbox.
func DecodeArgs(args json.RawMessage, v any) error {
	if len(args) == 0 {
		return Errorf(CodeMalformed, "missing arguments")
	}
	if err := json.Unmarshal(args, v); err != nil {
		return Errorf(CodeMalformed, "malformed arguments: %v", err)
	}
	return nil
}
