package jsonplan_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/carepath/carepath/internal/platform/jsonplan"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

var protoJSON = protojson.MarshalOptions{EmitDefaultValues: true}

// TestEveryAPIMessageIsWrittenAsProtojsonWritesIt fills every message type of the API at
// random, many times each, and compares the two encoders' JSON (protojson's random spaces
// compacted away). Where protojson fails (a string that is not UTF-8, a timestamp out of
// range), jsonplan must fail too.
func TestEveryAPIMessageIsWrittenAsProtojsonWritesIt(t *testing.T) {
	types := apiMessages(t)
	if len(types) < 50 {
		t.Fatalf("found %d message types in carepath.v1; the registry was not loaded", len(types))
	}
	r := rand.New(rand.NewPCG(11, 7))
	compared, failed := 0, 0
	for _, mt := range types {
		for i := range 60 {
			m := mt.New()
			if i > 0 { // the first is the empty message
				fill(r, m, 0)
			}
			want, wantErr := protoJSON.Marshal(m.Interface())
			got, gotErr := jsonplan.Marshal(m.Interface())
			if (wantErr != nil) != (gotErr != nil) {
				t.Fatalf("%s: protojson's error %v, jsonplan's %v", mt.Descriptor().FullName(), wantErr, gotErr)
			}
			if wantErr != nil {
				failed++
				continue
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(compact.Bytes(), got) {
				t.Fatalf("%s:\nprotojson %s\njsonplan  %s", mt.Descriptor().FullName(), compact.Bytes(), got)
			}
			compared++
		}
	}
	t.Logf("%d types, %d compared, %d failed in both", len(types), compared, failed)
	if failed == 0 || compared < 20*failed {
		t.Fatalf("%d messages compared, %d failed in both: the filler should make both rare and present", compared, failed)
	}
}

// TestWellKnownTypesAndEdgesAreWrittenAsProtojson pins the values the random filler may miss.
func TestWellKnownTypesAndEdgesAreWrittenAsProtojson(t *testing.T) {
	dynamic := dynamicpb.NewMessage((&pb.YoungPerson{}).ProtoReflect().Descriptor())
	dynamic.Set(dynamic.Descriptor().Fields().ByName("preferred_name"), protoreflect.ValueOfString("Zoë \u2028 \x7f \uFFFD"))
	for name, m := range map[string]proto.Message{
		"nil":             (*pb.YoungPerson)(nil),
		"dynamic message": dynamic,
		"a timestamp":     timestampAt(1_700_000_000, 120_000_000),
		// A oneof's member set to a nil message is written, with its defaults.
		"a oneof's nil member": &longrunningpb.Operation{Name: "operations/1", Result: &longrunningpb.Operation_Error{}},
	} {
		want, err := protoJSON.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsonplan.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, want)
		if !bytes.Equal(compact.Bytes(), got) {
			t.Errorf("%s:\nprotojson %s\njsonplan  %s", name, compact.Bytes(), got)
		}
	}
	if b, err := jsonplan.Marshal(nil); err != nil || string(b) != "{}" {
		t.Errorf("a nil message: %s, %v", b, err)
	}
}

// A message with extensions is handed to protojson, which writes them as "[full.name]".
func TestExtensionsAreWrittenAsProtojson(t *testing.T) {
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String("ext.proto"), Package: proto.String("ext"), Syntax: proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:           proto.String("Holder"),
			Field:          []*descriptorpb.FieldDescriptorProto{{Name: proto.String("a"), Number: proto.Int32(1), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(), JsonName: proto.String("a")}},
			ExtensionRange: []*descriptorpb.DescriptorProto_ExtensionRange{{Start: proto.Int32(100), End: proto.Int32(200)}},
		}},
		Extension: []*descriptorpb.FieldDescriptorProto{{Name: proto.String("e"), Number: proto.Int32(100), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(), Extendee: proto.String(".ext.Holder"), JsonName: proto.String("e")}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(fd.Messages().Get(0))
	m.Set(fd.Messages().Get(0).Fields().Get(0), protoreflect.ValueOfInt32(1))
	m.Set(dynamicpb.NewExtensionType(fd.Extensions().Get(0)).TypeDescriptor(), protoreflect.ValueOfInt32(7))
	got, err := jsonplan.Marshal(m)
	if err != nil || string(got) != `{"a":1,"[ext.e]":7}` {
		t.Errorf("%s, %v", got, err)
	}
}

func timestampAt(secs, nanos int64) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName("google.protobuf.Timestamp")
	if err != nil {
		panic(err)
	}
	m := mt.New()
	m.Set(m.Descriptor().Fields().ByNumber(1), protoreflect.ValueOfInt64(secs))
	m.Set(m.Descriptor().Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(nanos)))
	return m.Interface()
}

func apiMessages(t *testing.T) []protoreflect.MessageType {
	t.Helper()
	var types []protoreflect.MessageType
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		if strings.HasPrefix(string(mt.Descriptor().FullName()), "carepath.v1.") {
			types = append(types, mt)
		}
		return true
	})
	// The registry is a map: sorted, the random values fall on the same fields every run.
	slices.SortFunc(types, func(a, b protoreflect.MessageType) int {
		return strings.Compare(string(a.Descriptor().FullName()), string(b.Descriptor().FullName()))
	})
	return types
}

var (
	strs = []string{"", "a", "Zoë Smith", "line\nbreak\ttab", `quote " and \ backslash`, "\x01\x1f control",
		"\u2028\u2029", "<script>&amp;", "emoji 👍", "\uFFFD replacement", "\x7f del"}
	ints    = []int64{0, 1, -1, 42, math.MaxInt32, math.MinInt32}
	int64s  = []int64{0, -1, math.MaxInt64, math.MinInt64, 1 << 53}
	floats  = []float64{0, 1, -1.5, 0.1, 1e-7, 1e21, 123456789.125, math.Inf(1), math.Inf(-1), math.NaN(), 3.4e38, 1e-45}
	masks   = []string{"display_name", "date_of_birth", "status"}
	seconds = []int64{0, 1_700_000_000, -62135596800, 253402300799, 951_782_400}
	nanos   = []int64{0, 1, 120_000_000, 123_456_000, 999_999_999}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// fill sets about two in three of m's fields at random, nesting messages four deep.
func fill(r *rand.Rand, m protoreflect.Message, depth int) {
	switch m.Descriptor().FullName() {
	case "google.protobuf.Timestamp":
		secs, ns := pick(r, seconds), pick(r, nanos)
		if r.IntN(40) == 0 {
			secs = 253402300800 // out of range: both fail
		}
		m.Set(m.Descriptor().Fields().ByNumber(1), protoreflect.ValueOfInt64(secs))
		m.Set(m.Descriptor().Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(ns)))
		return
	case "google.protobuf.Duration":
		m.Set(m.Descriptor().Fields().ByNumber(1), protoreflect.ValueOfInt64(r.Int64N(1e6)))
		m.Set(m.Descriptor().Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(pick(r, nanos))))
		return
	case "google.protobuf.FieldMask":
		l := m.Mutable(m.Descriptor().Fields().ByNumber(1)).List()
		for range r.IntN(3) {
			l.Append(protoreflect.ValueOfString(pick(r, masks)))
		}
		return
	case "google.protobuf.Any": // as an operation's: a message of the API's, packed
		if r.IntN(4) > 0 {
			packed, err := anypb.New(&pb.KeyDate{Age: pick(r, strs), Date: &date.Date{Year: 2030, Month: 2, Day: 28}})
			if err != nil {
				panic(err)
			}
			proto.Merge(m.Interface(), packed)
		}
		return
	}
	fds := m.Descriptor().Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if r.IntN(3) == 0 {
			continue
		}
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(4) {
				if fd.Message() != nil {
					if depth < 4 {
						e := l.NewElement()
						fill(r, e.Message(), depth+1)
						l.Append(e)
					}
					continue
				}
				l.Append(scalar(r, fd))
			}
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.IntN(3) {
				mp.Set(scalar(r, fd.MapKey()).MapKey(), scalar(r, fd.MapValue()))
			}
		case fd.Message() != nil:
			if depth < 4 {
				fill(r, m.Mutable(fd).Message(), depth+1)
			}
		default:
			m.Set(fd, scalar(r, fd))
		}
	}
}

func scalar(r *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if r.IntN(200) == 0 {
			return protoreflect.ValueOfString("not UTF-8 \xff") // both fail
		}
		return protoreflect.ValueOfString(pick(r, strs))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(pick(r, ints)))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(pick(r, ints)))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(pick(r, int64s))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(pick(r, int64s)))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(pick(r, floats)))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(pick(r, floats))
	case protoreflect.BytesKind:
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		if r.IntN(10) == 0 {
			return protoreflect.ValueOfEnum(999) // a number the build does not name
		}
		return protoreflect.ValueOfEnum(vals.Get(r.IntN(vals.Len())).Number())
	}
	panic("no scalar of kind " + fd.Kind().String())
}

// BenchmarkPage writes a page of 50 young people, filled at random, with each encoder:
// compare the two in one run (go test -bench Page -benchmem).
func BenchmarkPage(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 5))
	page := &pb.ListYoungPeopleResponse{NextPageToken: "token"}
	for range 50 {
		yp := &pb.YoungPerson{}
		for _, err := protoJSON.Marshal(yp); yp.GetCreateTime() == nil || err != nil; _, err = protoJSON.Marshal(yp) {
			yp = &pb.YoungPerson{Name: "youngPeople/4b9c1d2e-0f3a-4c5d-8e6f-7a8b9c0d1e2f"}
			fill(r, yp.ProtoReflect(), 2)
		}
		page.YoungPeople = append(page.YoungPeople, yp)
	}
	for name, marshal := range map[string]func(proto.Message) ([]byte, error){
		"protojson": protoJSON.Marshal,
		"jsonplan":  jsonplan.Marshal,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := marshal(page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
