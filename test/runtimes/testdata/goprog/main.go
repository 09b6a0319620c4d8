// Command goprog exercises the Go runtime under the sandbox: 1,000
// goroutines over channels, timers and tickers, os/exec of a child (itself,
// with -child), signal.Notify with a signal sent to itself, a net
// listener on a unix socket served by goroutines (the netpoller on
// epoll), and a big allocation followed by runtime.GC. It prints only
// deterministic results.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		fmt.Printf("child args %s\n", strings.Join(os.Args[2:], ","))
		os.Exit(7)
	}
	goroutines()
	timers()
	child()
	signals()
	unixServer()
	alloc()
}

// unixServer listens on a unix socket in the working directory, serves
// each connection from its own goroutine (upper-casing lines), and dials
// it from 20 client goroutines at once.
func unixServer() {
	dir, err := os.MkdirTemp("", "goprog-")
	if err != nil {
		fail("tempdir: %v", err)
	}
	defer os.RemoveAll(dir)
	l, err := net.Listen("unix", filepath.Join(dir, "s.sock"))
	if err != nil {
		fail("listen: %v", err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					fmt.Fprintln(c, strings.ToUpper(sc.Text()))
				}
			}()
		}
	}()
	var wg sync.WaitGroup
	replies := make([]string, 20)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("unix", l.Addr().String())
			if err != nil {
				fail("dial: %v", err)
			}
			defer c.Close()
			fmt.Fprintf(c, "client %d\n", i)
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				fail("read: %v", err)
			}
			replies[i] = strings.TrimSpace(line)
		}()
	}
	wg.Wait()
	fmt.Printf("unix server %s ... %s (%d replies)\n", replies[0], replies[19], len(replies))
}

// goroutines fans 1,000 goroutines out over a channel and sums their
// answers.
func goroutines() {
	const n = 1000
	in := make(chan int)
	out := make(chan int, 16)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range in {
				out <- v * v
			}
		}()
	}
	go func() {
		for i := 1; i <= 100000; i++ {
			in <- i
		}
		close(in)
		wg.Wait()
		close(out)
	}()
	var sum int64
	for v := range out {
		sum += int64(v)
	}
	fmt.Printf("goroutines %d sum of squares %d\n", n, sum)
}

// timers arms timers of different durations and checks that each fired,
// none early; and counts ticks. (Which fires first is not printed: on a
// loaded machine two timers 100 ms apart can expire in one check and run
// on two Ps in either order.)
func timers() {
	var mu sync.Mutex
	var fired []int
	early := 0
	var wg sync.WaitGroup
	start := time.Now()
	for _, ms := range []int{500, 100, 300, 200, 400} {
		wg.Add(1)
		d := time.Duration(ms) * time.Millisecond
		time.AfterFunc(d, func() {
			mu.Lock()
			fired = append(fired, ms)
			if time.Since(start) < d {
				early++
			}
			mu.Unlock()
			wg.Done()
		})
	}
	tk := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range tk.C {
		if ticks++; ticks == 20 {
			break
		}
	}
	tk.Stop()
	wg.Wait()
	sort.Ints(fired)
	slept := time.Now()
	<-time.After(100 * time.Millisecond)
	fmt.Printf("timers fired %v early %d ticks %d slept>=100ms %v\n", fired, early, ticks, time.Since(slept) >= 100*time.Millisecond)
}

// child runs this program again as a child and reports what it said and
// how it exited.
func child() {
	exe, err := os.Executable()
	if err != nil {
		fail("executable: %v", err)
	}
	out, err := exec.Command(exe, "-child", "a", "b").Output()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		fail("running child: %v", err)
	}
	sh, err := exec.Command("/bin/sh", "-c", "echo from sh; exit 3").Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		fail("sh: %v", err)
	}
	fmt.Printf("child said %q exit %d; sh said %q\n", out, code, sh)
}

// signals sends itself SIGUSR1 and SIGHUP and waits for both through
// signal.Notify.
func signals() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGHUP)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	var got []string
	for len(got) < 2 {
		select {
		case s := <-c:
			got = append(got, s.String())
		case <-time.After(10 * time.Second):
			fail("signals: only %v after 10 s", got)
		}
	}
	signal.Stop(c)
	sort.Strings(got)
	fmt.Printf("signals %v\n", got)
}

// alloc allocates 256 MiB, touches every page, drops it and collects.
func alloc() {
	const size = 256 << 20
	b := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		b[i] = byte(i >> 12)
	}
	var sum int
	for i := 0; i < size; i += 4096 {
		sum += int(b[i])
	}
	b = nil
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("alloc sum %d gc ran %v heap<64MiB %v\n", sum, ms.NumGC > 0, ms.HeapAlloc < 64<<20)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
