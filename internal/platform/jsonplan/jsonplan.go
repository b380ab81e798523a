// Package jsonplan writes protobuf messages as JSON exactly as protojson does with
// EmitDefaultValues (the API's JSON), but from a plan made once per message type.
//
// protojson decides afresh for every message which fields to write and in which order:
// it ranges over the populated fields, adds the unpopulated ones, and sorts them all by
// declaration. On a page of fifty young people that was more than half of a REST call's
// CPU. A plan holds a message type's fields in declaration order with their quoted names,
// so writing a message is one pass over its fields.
//
// The output is protojson's, byte for byte but for protojson's deliberately random spaces
// (its output is meant to be unstable; this package writes none). Types protojson writes
// in a form of their own are handed to protojson, and what it writes of them is compacted:
// every google.protobuf type but Timestamp, which this package writes, and any message with
// a map field or extensions. Whatever this package cannot write (a string that is not
// UTF-8, a timestamp out of range) protojson refuses too: the message is then given to
// protojson as a whole, so that the error is protojson's.
package jsonplan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protoJSON is the encoding this package reproduces, and writes what it hands over.
var protoJSON = protojson.MarshalOptions{EmitDefaultValues: true}

// Marshal returns m as JSON, as protoJSON.Marshal would.
func Marshal(m proto.Message) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	r := m.ProtoReflect()
	p := planFor(r.Descriptor())
	b, err := p.append(make([]byte, 0, p.size.Load()), r)
	if err != nil {
		return handOver(nil, m) // protojson's own error
	}
	p.size.Store(int64(len(b))) // the next of its type is likely as long: grow once or not at all
	return b, proto.CheckInitialized(m)
}

// errHandOver stops a plan that meets a value it does not write.
var errHandOver = errors.New("jsonplan: written by protojson")

// plan is how one message type is written.
type plan struct {
	handOver  bool // protojson writes it (a well-known type, a message with a map or extensions)
	timestamp bool // google.protobuf.Timestamp, its seconds and nanos in fields
	fields    []field
	size      atomic.Int64 // bytes the last message of this type took
}

// field is one field of a plan, in declaration order.
type field struct {
	fd       protoreflect.FieldDescriptor
	key      []byte // `"jsonName":`
	presence bool   // written only when set: messages, oneof members, proto3 optional
	list     bool
	// singleMessage: a message field, neither repeated nor in a oneof. Get tells whether
	// it is set (an unset one reads as an invalid message): one lookup, not two. A oneof's
	// member may be set to a nil message, which protojson writes: it needs Has.
	singleMessage bool
	kind          protoreflect.Kind
	enum          map[protoreflect.EnumNumber][]byte // quoted value names
	null          bool                               // google.protobuf.NullValue, always null
	message       func() *plan                       // made on first use: types may nest themselves
}

var plans sync.Map // protoreflect.MessageDescriptor -> *plan

func planFor(md protoreflect.MessageDescriptor) *plan {
	if p, ok := plans.Load(md); ok {
		return p.(*plan)
	}
	p, _ := plans.LoadOrStore(md, compile(md))
	return p.(*plan)
}

const timestampName = "google.protobuf.Timestamp"

func compile(md protoreflect.MessageDescriptor) *plan {
	switch name := string(md.FullName()); {
	case name == timestampName:
		fds := md.Fields()
		return &plan{timestamp: true, fields: []field{{fd: fds.ByNumber(1)}, {fd: fds.ByNumber(2)}}}
	case strings.HasPrefix(name, "google.protobuf."), md.ExtensionRanges().Len() > 0:
		return &plan{handOver: true}
	}
	fds := md.Fields()
	p := &plan{fields: make([]field, 0, fds.Len())}
	for i := range fds.Len() {
		fd := fds.Get(i)
		if fd.IsMap() || fd.Kind() == protoreflect.GroupKind {
			return &plan{handOver: true}
		}
		f := field{
			fd:       fd,
			key:      append(appendName(nil, fd.JSONName()), ':'),
			presence: fd.HasPresence(),
			list:     fd.IsList(),
			kind:     fd.Kind(),
		}
		switch f.kind {
		case protoreflect.EnumKind:
			ed := fd.Enum()
			f.null = ed.FullName() == "google.protobuf.NullValue"
			vals := ed.Values()
			f.enum = make(map[protoreflect.EnumNumber][]byte, vals.Len())
			for j := range vals.Len() {
				v := vals.Get(j)
				if _, dup := f.enum[v.Number()]; !dup { // an alias is written by its first name
					f.enum[v.Number()] = appendName(nil, string(v.Name()))
				}
			}
		case protoreflect.MessageKind:
			sub := fd.Message()
			f.message = sync.OnceValue(func() *plan { return planFor(sub) })
			f.singleMessage = !f.list && fd.ContainingOneof() == nil
		}
		p.fields = append(p.fields, f)
	}
	return p
}

// handOver appends what protojson writes of m, without its random spaces.
func handOver(b []byte, m proto.Message) ([]byte, error) {
	out, err := protoJSON.Marshal(m)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendName quotes a name known to be printable UTF-8.
func appendName(b []byte, s string) []byte {
	b, _ = appendString(b, s)
	return b
}

func (p *plan) append(b []byte, m protoreflect.Message) ([]byte, error) {
	switch {
	case p.handOver:
		return handOver(b, m.Interface())
	case p.timestamp:
		return appendTimestamp(b, m, p.fields[0].fd, p.fields[1].fd)
	}
	b = append(b, '{')
	var err error
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		var v protoreflect.Value
		switch {
		case f.singleMessage:
			if v = m.Get(f.fd); !v.Message().IsValid() {
				continue
			}
		case f.presence && !m.Has(f.fd):
			continue
		default:
			v = m.Get(f.fd)
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		if !f.list {
			if b, err = f.appendValue(b, v); err != nil {
				return nil, err
			}
			continue
		}
		l := v.List()
		b = append(b, '[')
		for j := range l.Len() {
			if j > 0 {
				b = append(b, ',')
			}
			if b, err = f.appendValue(b, l.Get(j)); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendValue writes one value of the field's kind (one element, for a list).
func (f *field) appendValue(b []byte, v protoreflect.Value) ([]byte, error) {
	switch f.kind {
	case protoreflect.StringKind:
		return appendString(b, v.String())
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool()), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return append(strconv.AppendInt(append(b, '"'), v.Int(), 10), '"'), nil // 64 bits: a string
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return append(strconv.AppendUint(append(b, '"'), v.Uint(), 10), '"'), nil
	case protoreflect.FloatKind:
		return appendFloat(b, v.Float(), 32), nil
	case protoreflect.DoubleKind:
		return appendFloat(b, v.Float(), 64), nil
	case protoreflect.BytesKind:
		return append(base64.StdEncoding.AppendEncode(append(b, '"'), v.Bytes()), '"'), nil
	case protoreflect.EnumKind:
		if f.null {
			return append(b, "null"...), nil
		}
		if name, ok := f.enum[v.Enum()]; ok {
			return append(b, name...), nil
		}
		return strconv.AppendInt(b, int64(v.Enum()), 10), nil // a number this build does not name
	case protoreflect.MessageKind:
		return f.message().append(b, v.Message())
	}
	return nil, errHandOver
}

// appendString writes s as protojson does: only '"', '\\' and control characters escaped,
// and an error for a string that is not UTF-8.
func appendString(b []byte, s string) ([]byte, error) {
	b = append(b, '"')
	for len(s) > 0 {
		i := needsEscape(s)
		b, s = append(b, s[:i]...), s[i:]
		if len(s) == 0 {
			break
		}
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			return nil, errHandOver
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < ' ':
			b = append(b, `\u`...)
			b = append(b, "0000"[1+(bits.Len32(uint32(r))-1)/4:]...)
			b = strconv.AppendUint(b, uint64(r), 16)
		default: // U+FFFD written as such: it is valid UTF-8
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return append(b, '"'), nil
}

// needsEscape is the index of the first byte of s that appendString must look at.
func needsEscape(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			if c < utf8.RuneSelf {
				return i
			}
			// Multi-byte: only invalid UTF-8 and U+FFFD need a look.
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError {
				return i
			}
			i += n - 1
		}
	}
	return len(s)
}

// appendFloat writes a float as protojson does (encoding/json's form, and the special
// values as strings).
func appendFloat(b []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(b, `"NaN"`...)
	case math.IsInf(n, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, n, format, -1, bitSize)
	if format == 'e' { // e-09 is written e-9
		if l := len(b); l >= 4 && b[l-4] == 'e' && b[l-3] == '-' && b[l-2] == '0' {
			b[l-2] = b[l-1]
			b = b[:l-1]
		}
	}
	return b
}

// The range protojson accepts: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const (
	minTimestamp = -62135596800
	maxTimestamp = 253402300799
)

// appendTimestamp writes RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as protojson
// (years are 1 to 9999: four digits).
func appendTimestamp(b []byte, m protoreflect.Message, seconds, nanoseconds protoreflect.FieldDescriptor) ([]byte, error) {
	secs := m.Get(seconds).Int()
	nanos := m.Get(nanoseconds).Int()
	if secs < minTimestamp || secs > maxTimestamp || nanos < 0 || nanos > 999_999_999 {
		return nil, errHandOver
	}
	t := time.Unix(secs, 0).UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = appendDigits(append(b, '-'), int(month), 2)
	b = appendDigits(append(b, '-'), day, 2)
	b = appendDigits(append(b, 'T'), hour, 2)
	b = appendDigits(append(b, ':'), minute, 2)
	b = appendDigits(append(b, ':'), second, 2)
	switch {
	case nanos == 0:
	case nanos%1_000_000 == 0:
		b = appendDigits(append(b, '.'), int(nanos/1_000_000), 3)
	case nanos%1_000 == 0:
		b = appendDigits(append(b, '.'), int(nanos/1_000), 6)
	default:
		b = appendDigits(append(b, '.'), int(nanos), 9)
	}
	return append(b, 'Z', '"'), nil
}

// appendDigits writes n, not negative, in width digits with leading zeros.
func appendDigits(b []byte, n, width int) []byte {
	b = append(b, "000000000"[:width]...)
	for i := len(b) - 1; n > 0 && i >= len(b)-width; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b
}
