package app

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

var update = flag.Bool("update", false, "rewrite testdata/api.golden with the API as it is")

const goldenFile = "testdata/api.golden"

// TestAPIGolden keeps a list of every gRPC method and HTTP route the server offers, with
// each method's REST binding, in testdata/api.golden. An API change fails this test until
// the file is rewritten (go test ./internal/app -run TestAPIGolden -update) and the
// change to it is reviewed with the code.
func TestAPIGolden(t *testing.T) {
	got := describeAPI(t)
	if *update {
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v; create it with: go test ./internal/app -run TestAPIGolden -update", err)
	}
	if diff := lineDiff(string(want), got); diff != "" {
		t.Errorf("the API differs from %s (- in the file, + served now):\n%s\nIf the change is meant, run "+
			"go test ./internal/app -run TestAPIGolden -update and commit the file with the change.", goldenFile, diff)
	}
}

// lineDiff lists whole lines only in want (-) or only in got (+), and notes a change of
// order when the lines are the same.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(the same lines, in another order or repeated)\n"
	}
	return b.String()
}

// describeAPI builds a server with everything on (reflection and metrics public, the
// development issuer, both operators' listeners) and lists what each listener offers.
func describeAPI(t *testing.T) string {
	t.Helper()
	cfg := Defaults()
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.AdminAddr, cfg.AdminGRPCAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DemoData = false
	a, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()

	var b strings.Builder
	b.WriteString("# Every gRPC method and HTTP route of carepath, with everything switched on. A change\n" +
		"# here is a change of the API: review it. Rewrite with\n" +
		"#   go test ./internal/app -run TestAPIGolden -update\n")
	fmt.Fprintf(&b, "\n## public gRPC listener (--grpc-addr): method, kind, REST binding\n")
	for _, line := range grpcMethods(t, a.grpc) {
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "\n## public HTTP listener (--http-addr), besides the REST bindings above\n")
	for _, line := range patterns(a.publicRoutes(nil, nil)) {
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "\n## operators' HTTP listener (--admin-addr)\n")
	for _, line := range patterns(a.adminRoutes(nil)) {
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "\n## operators' gRPC listener (--admin-grpc-addr)\n")
	for _, line := range grpcMethods(t, a.adminGRPC) {
		b.WriteString(line + "\n")
	}
	return b.String()
}

func patterns(routes []route) []string {
	var out []string
	for _, r := range routes {
		if r.pattern == "/" {
			out = append(out, "/ (the REST gateway)")
			continue
		}
		out = append(out, r.pattern)
	}
	slices.Sort(out)
	return out
}

// grpcMethods lists the methods s serves, each with its kind and, for carepath's, the
// HTTP rule the gateway serves it under.
func grpcMethods(t *testing.T, s *grpc.Server) []string {
	t.Helper()
	var out []string
	for name, info := range s.GetServiceInfo() {
		for _, m := range info.Methods {
			kind := "unary"
			switch {
			case m.IsClientStream && m.IsServerStream:
				kind = "bidi-stream"
			case m.IsServerStream:
				kind = "server-stream"
			case m.IsClientStream:
				kind = "client-stream"
			}
			line := name + "/" + m.Name + "  " + kind
			if rules := httpRules(t, name, m.Name); rules != "" {
				line += "  " + rules
			}
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// httpRules describes a method's google.api.http bindings, or "" when it has none.
func httpRules(t *testing.T, service, method string) string {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		t.Fatalf("no descriptor for %s: %v", service, err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || !proto.HasExtension(opts, annotations.E_Http) {
		return ""
	}
	rule := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
	var parts []string
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		var verb, path string
		switch p := r.GetPattern().(type) {
		case *annotations.HttpRule_Get:
			verb, path = "GET", p.Get
		case *annotations.HttpRule_Post:
			verb, path = "POST", p.Post
		case *annotations.HttpRule_Put:
			verb, path = "PUT", p.Put
		case *annotations.HttpRule_Patch:
			verb, path = "PATCH", p.Patch
		case *annotations.HttpRule_Delete:
			verb, path = "DELETE", p.Delete
		case *annotations.HttpRule_Custom:
			verb, path = p.Custom.GetKind(), p.Custom.GetPath()
		}
		part := verb + " " + path
		if r.GetBody() != "" {
			part += " body=" + r.GetBody()
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " | ")
}
