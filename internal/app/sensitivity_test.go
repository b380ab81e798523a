package app_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/carepath/carepath/internal/access"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// sensitiveFields walks md and every message it reaches and returns the fields marked
// HEALTH, CARE_HISTORY or IMMIGRATION.
func sensitiveFields(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) []string {
	if seen[md.FullName()] {
		return nil
	}
	seen[md.FullName()] = true
	var out []string
	for i := range md.Fields().Len() {
		f := md.Fields().Get(i)
		if s := proto.GetExtension(f.Options(), pb.E_Sensitivity).(pb.Sensitivity); s != pb.Sensitivity_SENSITIVITY_UNSPECIFIED {
			out = append(out, string(f.FullName())+" ("+s.String()+")")
		}
		if f.Message() != nil {
			out = append(out, sensitiveFields(f.Message(), seen)...)
		}
		if f.IsMap() && f.MapValue().Message() != nil {
			out = append(out, sensitiveFields(f.MapValue().Message(), seen)...)
		}
	}
	return out
}

// TestPartnersCannotReachSensitiveFields walks the response of every method a partner's
// role may call: none may reach a field of health, care history or immigration status.
func TestPartnersCannotReachSensitiveFields(t *testing.T) {
	s := startWithoutPerson(t, testConfig())
	partnerMethods := 0
	for name, m := range servedMethods(t, s) {
		policy, _ := access.PolicyFor(name)
		if !slices.Contains(policy.Roles, access.Partner) {
			continue
		}
		partnerMethods++
		if fields := sensitiveFields(m.Output(), map[protoreflect.FullName]bool{}); len(fields) > 0 {
			t.Errorf("%s, open to partners, returns sensitive fields %v", name, fields)
		}
	}
	if partnerMethods < 2 {
		t.Fatalf("only %d methods are open to partners; the walk proved little", partnerMethods)
	}
	// Control: the walk finds what the staff view holds.
	fields := sensitiveFields((&pb.YoungPerson{}).ProtoReflect().Descriptor(), map[protoreflect.FullName]bool{})
	if len(fields) < 3 {
		t.Fatalf("the walk found only %v in YoungPerson", fields)
	}
}
