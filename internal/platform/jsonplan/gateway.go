package jsonplan

import (
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Marshaler is grpc-gateway's JSON marshaler with messages written by Marshal. Anything
// else (a response body that is a list, say) is the gateway's.
type Marshaler struct{ *runtime.JSONPb }

// NewMarshaler writes JSON as protojson with EmitDefaultValues, the encoding Marshal
// reproduces, and reads it with the options given.
func NewMarshaler(read protojson.UnmarshalOptions) Marshaler {
	return Marshaler{&runtime.JSONPb{MarshalOptions: protoJSON, UnmarshalOptions: read}}
}

func (j Marshaler) Marshal(v any) ([]byte, error) {
	if m, ok := v.(proto.Message); ok {
		return Marshal(m)
	}
	return j.JSONPb.Marshal(v)
}
