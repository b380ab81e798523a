package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/carepath/carepath/internal/access"
)

// servedMethods asks the running server, through reflection, which services it serves,
// and returns the full name (/pkg.Service/Method) and descriptor of each of their methods.
func servedMethods(t *testing.T, s *server) map[string]protoreflect.MethodDescriptor {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(s.dial(t, "")).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]protoreflect.MethodDescriptor{}
	for _, svc := range resp.GetListServicesResponse().GetService() {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.GetName()))
		if err != nil {
			t.Fatalf("served service %s: %v", svc.GetName(), err)
		}
		sd := d.(protoreflect.ServiceDescriptor)
		for i := range sd.Methods().Len() {
			m := sd.Methods().Get(i)
			methods["/"+string(sd.FullName())+"/"+string(m.Name())] = m
		}
	}
	if len(methods) < 40 {
		t.Fatalf("reflection lists only %d methods", len(methods))
	}
	return methods
}

// TestEveryMethodHasAPolicyThatIsEnforced walks every method the server serves: each must
// have a policy, every policy must name a served method, every non-public method must refuse
// a caller without credentials, and a caller whose role the policy does not name.
func TestEveryMethodHasAPolicyThatIsEnforced(t *testing.T) {
	s := startWithoutPerson(t, testConfig())
	methods := servedMethods(t, s)
	for name := range methods {
		if _, ok := access.PolicyFor(name); !ok {
			t.Errorf("%s is served but has no access policy", name)
		}
	}
	for name := range access.Policies {
		if _, ok := methods[name]; !ok {
			t.Errorf("the policy of %s names a method the server does not serve", name)
		}
	}

	// A demo person of each role.
	people := map[string]string{access.PA: "sam-okoro", access.Manager: "tess-manager",
		access.Partner: "hana-housing", access.Admin: "ada-admin", access.Auditor: "aud-auditor"}
	anonymous := s.dial(t, "")
	conns := map[string]*server{}
	for role, person := range people {
		c := *s
		c.conn = s.dial(t, tokenFor(t, person))
		conns[role] = &c
	}
	ctx := context.Background()
	for name, m := range methods {
		policy, _ := access.PolicyFor(name)
		if policy.Public || m.IsStreamingClient() || m.IsStreamingServer() {
			continue
		}
		invoke := func(s *server) error {
			in, out := dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output())
			return s.conn.Invoke(ctx, name, in, out)
		}
		if err := anonymous.Invoke(ctx, name, dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output())); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s without credentials: %v, want UNAUTHENTICATED", name, err)
		}
		for role := range people {
			if slices.Contains(policy.Roles, role) {
				continue
			}
			err := invoke(conns[role])
			if status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "role") {
				t.Errorf("%s as %s, a role its policy does not name: %v, want PERMISSION_DENIED for the role", name, role, err)
			}
		}
	}
}
