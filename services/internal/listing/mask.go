package listing

import (
	"slices"
	"strings"

	"go.einride.tech/aip/fieldbehavior"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/errs"
)

// Changes returns the paths an Update copies from in onto current, read from the fields'
// annotations (AIP-203): identity and output-only fields, which REST clients echo back, are
// ignored, as is the etag (checked apart); an immutable field may be sent only with the value
// it has, and a change to one is refused, naming it under field (the request's resource
// field, e.g. "person"). With no mask, the fields set in in are the paths (AIP-134).
func Changes(field string, mask *fieldmaskpb.FieldMask, in, current proto.Message) (*fieldmaskpb.FieldMask, error) {
	paths := mask.GetPaths()
	if len(paths) == 0 {
		in.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			paths = append(paths, string(fd.Name()))
			return true
		})
	}
	desc := in.ProtoReflect().Descriptor()
	out := &fieldmaskpb.FieldMask{}
	var v errs.Violations
	for _, p := range paths {
		// A REST body's mask names nested fields ("end_date.year"): the top-level field's
		// annotations decide.
		top, _, _ := strings.Cut(p, ".")
		fd := desc.Fields().ByName(protoreflect.Name(top))
		switch {
		case fd == nil || top == "etag" || fieldbehavior.Has(fd, annotations.FieldBehavior_IDENTIFIER) ||
			fieldbehavior.Has(fd, annotations.FieldBehavior_OUTPUT_ONLY):
			// Unknown paths are refused by the request's own update_mask rule.
		case fieldbehavior.Has(fd, annotations.FieldBehavior_IMMUTABLE):
			if !in.ProtoReflect().Get(fd).Equal(current.ProtoReflect().Get(fd)) && !slices.ContainsFunc(v, func(x errs.Violation) bool { return x.Field == field+"."+top }) {
				v.Add(field+"."+top, "cannot change once set (it is immutable)")
			}
		default:
			out.Paths = append(out.Paths, p)
		}
	}
	return out, v.Err()
}
