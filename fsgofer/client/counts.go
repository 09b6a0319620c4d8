package client

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
)

// Counts is a snapshot of the round trips a Client made, indexed by the
// request's op (proto.OpAttach ... proto.OpLast). Every request sent is one
// round trip, whether it succeeded or not.
type Counts [proto.OpLast + 1]uint64

// Total returns the round trips of every op.
func (c *Counts) Total() uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// Sub returns c - old, the round trips made between two snapshots.
func (c Counts) Sub(old Counts) Counts {
	for i := range c {
		c[i] -= old[i]
	}
	return c
}

// String formats c as "N round trips (walk=W, open=O, ...)", listing the
// ops with a non-zero count in op order: the form of the sentry's debug
// log line that tests and the benchmarks parse (ParseCounts).
func (c Counts) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(c.Total(), 10))
	b.WriteString(" round trips (")
	sep := ""
	for op := proto.OpAttach; op <= proto.OpLast; op++ {
		if c[op] == 0 {
			continue
		}
		b.WriteString(sep)
		b.WriteString(strings.ToLower(op.String()))
		b.WriteByte('=')
		b.WriteString(strconv.FormatUint(c[op], 10))
		sep = ", "
	}
	b.WriteByte(')')
	return b.String()
}

// ParseCounts parses what String printed, and ok says whether s had that
// form. It is for tests and benchmarks that read the debug log.
func ParseCounts(s string) (c Counts, ok bool) {
	total, rest, found := strings.Cut(s, " round trips (")
	if !found || !strings.HasSuffix(rest, ")") {
		return c, false
	}
	want, err := strconv.ParseUint(total, 10, 64)
	if err != nil {
		return c, false
	}
	rest = strings.TrimSuffix(rest, ")")
	if rest != "" {
		for _, kv := range strings.Split(rest, ", ") {
			name, val, found := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(val, 10, 64)
			op := opByName(name)
			if !found || err != nil || op == 0 {
				return c, false
			}
			c[op] = n
		}
	}
	return c, c.Total() == want
}

func opByName(name string) proto.Op {
	for op := proto.OpAttach; op <= proto.OpLast; op++ {
		if strings.ToLower(op.String()) == name {
			return op
		}
	}
	return 0
}

// counters are a Client's live counts.
type counters [proto.OpLast + 1]atomic.Uint64

func (k *counters) add(op proto.Op) {
	if op <= proto.OpLast {
		k[op].Add(1)
	}
}

func (k *counters) snapshot() Counts {
	var c Counts
	for i := range k {
		c[i] = k[i].Load()
	}
	return c
}
