package gateway

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQueryParser is the gateway's query parser, except that a parameter naming no field
// of the request is an error instead of being ignored, and field masks may name fields in
// JSON style (updateMask=endDate), as the JSON form of a FieldMask does.
type strictQueryParser struct{}

var mapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

const fieldMaskName = "google.protobuf.FieldMask"

func (strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key, vs := range values {
		path := key
		if m := mapKey.FindStringSubmatch(key); m != nil {
			path = m[1]
		}
		fd := resolve(msg.ProtoReflect().Descriptor(), strings.Split(path, "."))
		if fd == nil {
			return fmt.Errorf("unknown query parameter %q", key)
		}
		if fd.Message() != nil && fd.Message().FullName() == fieldMaskName {
			for i, v := range vs {
				vs[i] = snakePaths(v)
			}
		}
	}
	return (&runtime.DefaultQueryParser{}).Parse(msg, values, filter)
}

// resolve returns the field path names in md, by proto or JSON names, or nil.
func resolve(md protoreflect.MessageDescriptor, path []string) protoreflect.FieldDescriptor {
	var fd protoreflect.FieldDescriptor
	for i, name := range path {
		fields := md.Fields()
		if fd = fields.ByName(protoreflect.Name(name)); fd == nil {
			fd = fields.ByJSONName(name)
		}
		if fd == nil {
			return nil
		}
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil
			}
			md = fd.Message()
		}
	}
	return fd
}

// snakePaths turns comma-separated JSON-style field paths (endDate,youngPerson.givenName)
// into proto names (end_date,young_person.given_name); proto names pass unchanged.
func snakePaths(v string) string {
	var b strings.Builder
	for _, r := range v {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
