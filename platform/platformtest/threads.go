package platformtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// onNewContext runs fn on a new goroutine with a context of its own (made
// there, as the platform wants) and waits for it. It returns fn's error.
func (e *env) onNewContext(fn func(ctx platform.Context) error) error {
	errc := make(chan error, 1)
	go func() {
		ctx, err := e.p.NewContext()
		if err != nil {
			errc <- fmt.Errorf("NewContext: %w", err)
			return
		}
		defer ctx.Release()
		errc <- fn(ctx)
	}()
	return <-errc
}

// platformState is a thread's registers and the system call number it
// makes.
type platformState struct {
	arch.State
	want uint64
}

// switchSyscalls runs st in as on ctx until it has made n system calls,
// each of which must be number st.want (syscallLoop makes the call its
// result names next).
func switchSyscalls(ctx platform.Context, as platform.AddressSpace, st *platformState, n int) error {
	for i := 0; i < n; i++ {
		ev, info, err := ctx.Switch(as, &st.State)
		if err != nil {
			return fmt.Errorf("switch %d: %w", i, err)
		}
		if ev != platform.EventSyscall {
			return fmt.Errorf("switch %d: event %v (%+v), want a system call", i, ev, info)
		}
		if got := uint64(st.SyscallNo()); got != st.want {
			return fmt.Errorf("switch %d: system call %d, want %d (another thread's registers?)", i, got, st.want)
		}
		st.SetReturn(uintptr(st.want)) // syscallLoop calls rax again
	}
	return nil
}

// testThreads runs several contexts in one address space at once, as the
// threads of one process: each keeps its own registers, and one that stays
// away (blocked in the sentry) stops none of the others. Contexts that are
// released leave the address space working for the rest.
func testThreads(t *testing.T, e *env) {
	const threads, calls = 4, 200
	code := e.code(e.as, syscallLoop)
	run := func(i int, parked <-chan struct{}) error {
		return e.onNewContext(func(ctx platform.Context) error {
			st := &platformState{State: *code, want: uint64(100 + i)}
			st.Regs.Rax = st.want
			if parked != nil {
				// Runs once, then stays away until the others
				// are done.
				if err := switchSyscalls(ctx, e.as, st, 1); err != nil {
					return err
				}
				<-parked
			}
			return switchSyscalls(ctx, e.as, st, calls)
		})
	}
	parked := make(chan struct{})
	parkedErr := make(chan error, 1)
	go func() { parkedErr <- run(0, parked) }()
	var wg sync.WaitGroup
	errs := make([]error, threads)
	for i := 1; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(i, nil)
		}()
	}
	others := make(chan struct{})
	go func() { wg.Wait(); close(others) }()
	select {
	case <-others:
	case <-time.After(20 * time.Second):
		t.Fatalf("threads did not finish while one context of their address space was parked")
	}
	close(parked)
	select {
	case errs[0] = <-parkedErr:
	case <-time.After(20 * time.Second):
		t.Fatalf("the parked thread did not finish")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("thread %d: %v", i, err)
		}
	}
	// Every other context has been released: the test's own still runs.
	st := &platformState{State: *code, want: 7}
	st.Regs.Rax = 7
	if err := switchSyscalls(e.ctx, e.as, st, 3); err != nil {
		t.Errorf("after the threads' release: %v", err)
	}
}

// testReleaseAfterLateInterrupt releases contexts that interrupts hit
// around their last Switch: an interrupt that lands after Switch returned
// stays queued on the thread, and releasing the context (a thread that
// exits) must still end its thread promptly and leave the address space
// working.
func testReleaseAfterLateInterrupt(t *testing.T, e *env) {
	code := e.code(e.as, syscallLoop)
	const rounds = 40
	for r := 0; r < rounds; r++ {
		released := make(chan error, 1)
		go func() {
			released <- e.onNewContext(func(ctx platform.Context) error {
				stop := make(chan struct{})
				hammered := make(chan struct{})
				go func() {
					defer close(hammered)
					for {
						select {
						case <-stop:
							return
						default:
							ctx.Interrupt()
						}
					}
				}()
				st := &platformState{State: *code, want: 1}
				st.Regs.Rax = 1
				var err error
				for i := 0; i < 20 && err == nil; i++ {
					var ev platform.Event
					ev, _, err = ctx.Switch(e.as, &st.State)
					if err == nil && ev == platform.EventSyscall {
						st.SetReturn(1)
					}
				}
				close(stop)
				<-hammered
				return err
			})
		}()
		select {
		case err := <-released:
			if err != nil {
				t.Fatalf("round %d: %v", r, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: a context hit by a late interrupt did not release", r)
		}
	}
	st := &platformState{State: *code, want: 7}
	st.Regs.Rax = 7
	if err := switchSyscalls(e.ctx, e.as, st, 3); err != nil {
		t.Errorf("after the releases: %v", err)
	}
}
