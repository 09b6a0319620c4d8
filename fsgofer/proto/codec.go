package proto

import (
	"encoding/binary"
	"errors"
)

// ErrMalformed is returned by Decoder for a message that is truncated, has a
// length that does not fit, or has bytes left over.
var ErrMalformed = errors.New("malformed message")

// Encoder builds one message. The zero value is ready; Reset starts a new
// message and reuses the buffer.
type Encoder struct {
	buf []byte
}

// Reset starts a new message with its header: op and tag.
func (e *Encoder) Reset(op Op, tag Tag) {
	e.buf = binary.LittleEndian.AppendUint16(e.buf[:0], uint16(op))
	e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(tag))
}

// Bytes returns the message built so far; it is valid until the next Reset.
func (e *Encoder) Bytes() []byte { return e.buf }

// U8 appends v.
func (e *Encoder) U8(v uint8) { e.buf = append(e.buf, v) }

// U16 appends v.
func (e *Encoder) U16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }

// U32 appends v.
func (e *Encoder) U32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// U64 appends v.
func (e *Encoder) U64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// I64 appends v.
func (e *Encoder) I64(v int64) { e.U64(uint64(v)) }

// Str appends a uint32 length and s.
func (e *Encoder) Str(s string) {
	e.U32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

// Decoder reads one message. Errors are sticky: after the first short read
// every getter returns zero values and Err returns ErrMalformed.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads the message msg (including its op).
func NewDecoder(msg []byte) *Decoder { return &Decoder{b: msg} }

// Init resets d to read msg, for reusing a Decoder without allocating.
func (d *Decoder) Init(msg []byte) { d.b, d.err = msg, nil }

func (d *Decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.err = ErrMalformed
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// Header reads a message's header: its op and tag.
func (d *Decoder) Header() (Op, Tag) {
	op := Op(d.U16())
	return op, Tag(d.U16())
}

// PeekTag returns the tag in msg's header without decoding it; ok is false
// if msg is too short to hold a header.
func PeekTag(msg []byte) (tag Tag, ok bool) {
	if len(msg) < HeaderSize {
		return 0, false
	}
	return Tag(binary.LittleEndian.Uint16(msg[2:])), true
}

// U8 reads a byte.
func (d *Decoder) U8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

// U16 reads a uint16.
func (d *Decoder) U16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

// U32 reads a uint32.
func (d *Decoder) U32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// U64 reads a uint64.
func (d *Decoder) U64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// I64 reads an int64.
func (d *Decoder) I64() int64 { return int64(d.U64()) }

// Str reads a string of at most max bytes; a longer length is malformed,
// and so is one longer than what is left of the message.
func (d *Decoder) Str(max int) string {
	n := d.U32()
	if d.err != nil {
		return ""
	}
	if uint64(n) > uint64(max) {
		d.err = ErrMalformed
		return ""
	}
	return string(d.take(int(n)))
}

// Count reads a uint16 element count and checks it against max and against
// what is left of the message, given that each element takes at least
// minSize bytes. This bounds any slice the caller allocates from it.
func (d *Decoder) Count(max, minSize int) int {
	n := int(d.U16())
	if d.err != nil {
		return 0
	}
	if n > max || n*minSize > len(d.b) {
		d.err = ErrMalformed
		return 0
	}
	return n
}

// Err returns ErrMalformed if any read was short.
func (d *Decoder) Err() error { return d.err }

// Finish returns ErrMalformed if any read was short or bytes are left over.
func (d *Decoder) Finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = ErrMalformed
	}
	return d.err
}
