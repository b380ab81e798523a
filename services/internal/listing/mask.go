package listing

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// UpdateMask returns the paths an Update copies from in: the request's mask without the
// ignored paths (identity and output-only fields, which REST clients echo back), or, when
// no mask was sent, the fields set in in (AIP-134).
func UpdateMask(mask *fieldmaskpb.FieldMask, in proto.Message, ignored map[string]bool) *fieldmaskpb.FieldMask {
	var paths []string
	if len(mask.GetPaths()) == 0 {
		in.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			paths = append(paths, string(fd.Name()))
			return true
		})
	} else {
		paths = mask.GetPaths()
	}
	out := &fieldmaskpb.FieldMask{}
	for _, p := range paths {
		if !ignored[p] {
			out.Paths = append(out.Paths, p)
		}
	}
	return out
}
