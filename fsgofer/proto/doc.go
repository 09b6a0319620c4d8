// Package proto is the wire format of the Cocoon file protocol, shared by the
// gofer server (fsgofer/server) and its client (fsgofer/client, used by the
// sentry's sentry/fsimpl/gofer). docs/fsgofer-protocol.md is the reference.
//
// One request or response is one SOCK_SEQPACKET packet: a header (a
// uint16 op and a uint16 tag) followed by the op's fields. Integers are
// little-endian, strings are a uint32 length followed by that many bytes.
// A response carries the request's tag, and its op on success or OpError
// and a uint32 Linux errno. Several requests may be in flight, each with
// its own tag, and are answered in any order. At most one host FD travels
// with a response, as SCM_RIGHTS.
//
// Both peers are untrusted by each other: every length read from the wire is
// bounded (Decoder never allocates more than the packet holds, names are at
// most MaxNameLen bytes, symlink targets at most MaxPathLen), and Decoder
// never panics on any input.
//
// Locking: the package has no shared state; an Encoder or Decoder belongs to
// one goroutine at a time.
package proto
