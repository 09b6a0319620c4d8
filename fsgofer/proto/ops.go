package proto

import "github.com/cocoon-sandbox/cocoon/abi/linux"

// Version is the protocol version sent in Attach. A server answers EINVAL to
// any other version. Version 2 added tags (several requests in flight) and
// the attributes in the SetAttr response.
const Version = 2

// Op identifies a request (and the response to it).
type Op uint16

// Operations. Numbers are part of the wire format: never renumber.
const (
	OpAttach   Op = 1
	OpWalk     Op = 2
	OpStat     Op = 3
	OpSetAttr  Op = 4
	OpOpen     Op = 5
	OpCreate   Op = 6
	OpMkdir    Op = 7
	OpMknod    Op = 8
	OpSymlink  Op = 9
	OpLink     Op = 10
	OpUnlink   Op = 11
	OpRename   Op = 12
	OpReadlink Op = 13
	OpGetdents Op = 14
	OpStatfs   Op = 15
	OpClose    Op = 16

	// OpLast is the highest request op; ops are 1..OpLast.
	OpLast = OpClose

	// OpError is the op of an error response: a uint32 errno follows.
	OpError Op = 0xffff
)

var opNames = map[Op]string{
	OpAttach: "Attach", OpWalk: "Walk", OpStat: "Stat", OpSetAttr: "SetAttr",
	OpOpen: "Open", OpCreate: "Create", OpMkdir: "Mkdir", OpMknod: "Mknod",
	OpSymlink: "Symlink", OpLink: "Link", OpUnlink: "Unlink", OpRename: "Rename",
	OpReadlink: "Readlink", OpGetdents: "Getdents", OpStatfs: "Statfs",
	OpClose: "Close", OpError: "Error",
}

func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return "Op(" + itoa(uint64(o)) + ")"
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// Limits. Every length read from the wire is checked against one of these.
const (
	// MaxMessageSize is the largest packet either side sends or accepts.
	MaxMessageSize = 64 << 10
	// MaxNameLen is the longest path component (NAME_MAX).
	MaxNameLen = linux.NAME_MAX
	// MaxPathLen is the longest symlink target (PATH_MAX - 1).
	MaxPathLen = linux.PATH_MAX - 1
	// MaxWalkNames is the most components one Walk may name.
	MaxWalkNames = 64
	// MaxCloseFIDs is the most FIDs one Close may name.
	MaxCloseFIDs = 1024
	// MaxFDsPerMessage is the most host FDs one message carries.
	MaxFDsPerMessage = 1
)

// Tag matches a response to its request. The client gives each request
// in flight a tag no other request in flight has; the server answers with
// the request's tag, in any order.
type Tag uint16

// HeaderSize is the size of a message's header: op u16, tag u16.
const HeaderSize = 4

// FID names a file on the server for the lifetime of a connection. The
// server picks FIDs; 0 is never a valid FID.
type FID uint64

// AttachFlags describe the served tree.
type AttachFlags uint32

// AttachReadOnly says that every mutation answers EROFS.
const AttachReadOnly AttachFlags = 1

// SetAttr mask bits (the same as sentry/vfs SetAttrMask, but fixed here
// because they are on the wire).
const (
	SetAttrMode  = 1 << 0
	SetAttrUID   = 1 << 1
	SetAttrGID   = 1 << 2
	SetAttrSize  = 1 << 3
	SetAttrAtime = 1 << 4
	SetAttrMtime = 1 << 5
	setAttrAll   = 1<<6 - 1
)

// ValidSetAttrMask reports whether m names only known fields.
func ValidSetAttrMask(m uint32) bool { return m&^setAttrAll == 0 }

// UnlinkRemoveDir is the Unlink flag asking for rmdir (AT_REMOVEDIR).
const UnlinkRemoveDir = 0x200

// ValidName reports whether name is a single path component that a peer may
// send: not empty, not "." or "..", no "/" or NUL, at most MaxNameLen bytes.
func ValidName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return false
		}
	}
	return true
}

// ValidTarget reports whether a symlink target may be sent: 1 to MaxPathLen
// bytes, no NUL.
func ValidTarget(t string) bool {
	if t == "" || len(t) > MaxPathLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] == 0 {
			return false
		}
	}
	return true
}
