package filter

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const helperEnv = "COCOON_GOFER_FILTER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Getenv(helperEnv)))
	}
	os.Exit(m.Run())
}

// helperMain installs the gofer's filter and then makes the Go runtime do
// what it may do in a long-lived gofer: start threads, park and wake them,
// preempt, collect garbage, return memory. It exits 0 if it survives.
// With "execve" it tries to run a program, which must kill it.
func helperMain(mode string) int {
	runtime.GOMAXPROCS(4)
	if err := Install(100 /* sockFD */); err != nil {
		return 10
	}
	if mode == "execve" {
		unix.Exec("/bin/true", []string{"true"}, nil)
		return 11
	}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A goroutine locked to its thread forces new Ms
			// (clone) while others keep running.
			runtime.LockOSThread()
			var junk [][]byte
			for j := 0; j < 200; j++ {
				junk = append(junk, make([]byte, 64<<10))
			}
			time.Sleep(20 * time.Millisecond)
			_ = junk
		}()
	}
	// A tight loop that only asynchronous preemption (tgkill SIGURG)
	// can interrupt for the GC's stop-the-world.
	stop := make(chan struct{})
	go func() {
		for x := 0; ; x++ {
			if x%(1<<24) == 0 {
				select {
				case <-stop:
					return
				default:
				}
			}
		}
	}()
	wg.Wait()
	runtime.GC()
	debug.FreeOSMemory()
	close(stop)
	return 0
}

func runHelper(t *testing.T, mode string) error {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		t.Logf("helper output:\n%s", out)
	}
	return err
}

// TestRuntimeSurvives installs the real filter in a child process and
// checks that the Go runtime keeps working under it.
func TestRuntimeSurvives(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's runtime makes system calls the gofer never does")
	}
	if err := runHelper(t, "runtime"); err != nil {
		t.Fatalf("helper under the gofer filter: %v", err)
	}
}

// TestExecveKills checks that the kernel kills the process on execve.
func TestExecveKills(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's runtime makes system calls the gofer never does")
	}
	err := runHelper(t, "execve")
	if err == nil || !strings.Contains(err.Error(), "bad system call") {
		t.Fatalf("helper calling execve: %v, want killed by SIGSYS", err)
	}
}
