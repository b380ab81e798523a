package gateway

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQueryParser is the gateway's query parser, except that a parameter naming no field
// of the request is an error instead of being ignored.
type strictQueryParser struct{}

var mapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

func (strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	for key := range values {
		path := key
		if m := mapKey.FindStringSubmatch(key); m != nil {
			path = m[1]
		}
		if !resolves(msg.ProtoReflect().Descriptor(), strings.Split(path, ".")) {
			return fmt.Errorf("unknown query parameter %q", key)
		}
	}
	return (&runtime.DefaultQueryParser{}).Parse(msg, values, filter)
}

// resolves reports whether path names a field of md, by proto or JSON names.
func resolves(md protoreflect.MessageDescriptor, path []string) bool {
	for i, name := range path {
		fields := md.Fields()
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil {
			fd = fields.ByJSONName(name)
		}
		if fd == nil {
			return false
		}
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return false
			}
			md = fd.Message()
		}
	}
	return true
}
