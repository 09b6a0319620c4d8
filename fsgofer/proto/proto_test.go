package proto

import (
	"math/rand"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var e Encoder
	e.Reset(OpWalk, 0x1234)
	a := Attr{Mode: 0o100644, Ino: 7, Dev: 8, Nlink: 2, UID: 3, GID: 4, Size: -1, Atime: Timespec{1, 2}, Ctime: Timespec{5, 6}}
	e.PutAttr(&a)
	e.Str("name")
	e.U16(9)
	if len(e.Bytes()) != HeaderSize+AttrSize+4+4+2 {
		t.Errorf("encoded %d bytes, want %d", len(e.Bytes()), HeaderSize+AttrSize+4+4+2)
	}
	if tag, ok := PeekTag(e.Bytes()); !ok || tag != 0x1234 {
		t.Errorf("PeekTag = %#x, %v", tag, ok)
	}
	d := NewDecoder(e.Bytes())
	op, tag := d.Header()
	if op != OpWalk || tag != 0x1234 || d.Attr() != a || d.Str(MaxNameLen) != "name" || d.U16() != 9 || d.Finish() != nil {
		t.Errorf("round trip failed: %v", d.Err())
	}
	if _, ok := PeekTag([]byte{1, 0, 2}); ok {
		t.Errorf("PeekTag of a 3-byte message succeeded")
	}
}

func TestDecoderBounds(t *testing.T) {
	tests := []struct {
		name string
		read func(d *Decoder)
		msg  []byte
	}{
		{"short u64", func(d *Decoder) { d.U64() }, []byte{1, 2, 3}},
		{"string longer than max", func(d *Decoder) { d.Str(3) }, []byte{4, 0, 0, 0, 'a', 'b', 'c', 'd'}},
		{"string longer than message", func(d *Decoder) { d.Str(100) }, []byte{50, 0, 0, 0, 'a'}},
		{"huge string length", func(d *Decoder) { d.Str(MaxPathLen) }, []byte{0xff, 0xff, 0xff, 0xff}},
		{"count above max", func(d *Decoder) { d.Count(10, 1) }, []byte{11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"count beyond message", func(d *Decoder) { d.Count(100, 8) }, []byte{2, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"trailing bytes", func(d *Decoder) { d.U8() }, []byte{1, 2}},
	}
	for _, tc := range tests {
		d := NewDecoder(tc.msg)
		tc.read(d)
		if d.Finish() != ErrMalformed {
			t.Errorf("%s: Finish = %v, want ErrMalformed", tc.name, d.Err())
		}
	}
}

// TestDecoderRandom feeds random bytes to every getter: no panic, and a
// decoder never returns more string bytes than the message held.
func TestDecoderRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 10000; i++ {
		msg := make([]byte, r.Intn(64))
		r.Read(msg)
		d := NewDecoder(msg)
		for j := 0; j < 8; j++ {
			switch r.Intn(5) {
			case 0:
				d.Attr()
			case 1:
				if s := d.Str(MaxPathLen); len(s) > len(msg) {
					t.Fatalf("decoded %d-byte string from %d bytes", len(s), len(msg))
				}
			case 2:
				d.Count(MaxWalkNames, 4)
			case 3:
				d.SetAttr()
			case 4:
				d.Statfs()
			}
		}
		d.Finish()
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "...": true, "a b": true, "": false, ".": false, "..": false,
		"a/b": false, "/": false, "a\x00": false, string(make([]byte, 256)): false,
	} {
		if ValidName(name) != want {
			t.Errorf("ValidName(%q) = %v", name, !want)
		}
	}
}
