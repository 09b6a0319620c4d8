// Command goping measures a goroutine ping-pong over unbuffered channels
// with GOMAXPROCS=2, as the benchmarks' C programs do: an iteration count
// as its argument, five timed rounds after a warm-up, the median
// nanoseconds per round trip on stdout. With two Ps the two goroutines
// often run on two threads, so a round trip costs the Go runtime's
// futex wake-ups (or its spinning) between them.
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"
)

const rounds = 5

func main() {
	runtime.GOMAXPROCS(2)
	n := 200000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < rounds {
			fmt.Fprintln(os.Stderr, "goping: bad iteration count", os.Args[1])
			os.Exit(1)
		}
		n = v
	}
	per := n / rounds
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	var res []float64
	for r := -1; r < rounds; r++ {
		start := time.Now()
		for i := 0; i < per; i++ {
			ping <- i
			<-pong
		}
		if r >= 0 {
			res = append(res, float64(time.Since(start).Nanoseconds())/float64(per))
		}
	}
	close(ping)
	slices.Sort(res)
	fmt.Printf("%.1f\n", res[rounds/2])
}
