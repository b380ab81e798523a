package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// listServices asks a gRPC server's reflection service for its services.
func listServices(t *testing.T, conn *grpc.ClientConn) ([]string, error) {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		return nil, err
	}
	// io.EOF from Send means the server ended the stream; Recv returns its status.
	err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		out = append(out, svc.GetName())
	}
	return out, nil
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// In production, reflection and metrics move off the public listeners, which then answer
// neither without a token, onto the operators' listeners.
func TestAdminListeners(t *testing.T) {
	cfg := testConfig()
	cfg.Reflection, cfg.PublicMetrics = false, false
	cfg.AdminAddr, cfg.AdminGRPCAddr = "127.0.0.1:0", "127.0.0.1:0"
	s := start(t, cfg)
	eventually(t, "readiness", func() bool { return s.do(t, "GET", "/readyz", "").code == 200 })
	s.do(t, "GET", "/v1/youngPeople", "") // one call to count

	// The public listeners.
	if r := s.as("").do(t, "GET", "/metrics", ""); r.code != 404 || strings.Contains(string(r.body), "grpc_server_handled_total") {
		t.Errorf("public /metrics: HTTP %d, want 404", r.code)
	}
	if _, err := listServices(t, s.dial(t, "")); status.Code(err) != codes.Unimplemented {
		t.Errorf("public reflection: %v, want UNIMPLEMENTED", err)
	}
	if r := s.as("").do(t, "GET", "/readyz", ""); r.code != 200 {
		t.Errorf("public /readyz: HTTP %d", r.code) // load balancers still probe it
	}

	// The operators' HTTP listener.
	code, body := httpGet(t, "http://"+s.admin+"/metrics")
	if code != 200 || !strings.Contains(body, `grpc_server_handled_total{grpc_code="OK",grpc_method="ListYoungPeople"`) {
		t.Errorf("admin /metrics: HTTP %d, without the call's count", code)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := httpGet(t, "http://"+s.admin+path); code != 200 {
			t.Errorf("admin %s: HTTP %d", path, code)
		}
	}
	if code, _ := httpGet(t, "http://"+s.admin+"/v1/youngPeople"); code != 404 {
		t.Errorf("admin /v1/youngPeople: HTTP %d, want 404: the API is not served there", code)
	}

	// The operators' gRPC listener describes the public server's API, and answers health.
	admin, err := grpc.NewClient(s.adminGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	services, err := listServices(t, admin)
	if err != nil || !strings.Contains(strings.Join(services, " "), "carepath.v1.YoungPeopleService") {
		t.Errorf("admin reflection lists %v, %v", services, err)
	}
	resp, err := healthpb.NewHealthClient(admin).Check(t.Context(), &healthpb.HealthCheckRequest{Service: "carepath.v1.YoungPeopleService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("admin health = %v, %v", resp, err)
	}
	// It serves no carepath method.
	_, err = pb.NewYoungPeopleServiceClient(admin).ListYoungPeople(t.Context(), &pb.ListYoungPeopleRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("ListYoungPeople on the admin listener: %v, want UNIMPLEMENTED", err)
	}
}

// On shutdown, health reports NOT_SERVING over gRPC and HTTP, on every listener, while the
// server still answers for the drain delay; only then do the listeners close.
func TestShutdownReportsNotServingBeforeClosing(t *testing.T) {
	cfg := testConfig()
	cfg.ShutdownDrainDelay = 10 * time.Second // the checks below must all fit in it, on a busy CI machine too
	cfg.AdminAddr = "127.0.0.1:0"
	s := start(t, cfg)
	eventually(t, "readiness", func() bool { return s.do(t, "GET", "/readyz", "").code == 200 })
	health := healthpb.NewHealthClient(s.conn)

	begun := time.Now() // elapsed time of a real shutdown
	go s.stop()
	eventually(t, "NOT_SERVING", func() bool { return s.do(t, "GET", "/readyz", "").code == 503 })
	if code, _ := httpGet(t, "http://"+s.admin+"/readyz"); code != 503 {
		t.Errorf("admin /readyz during the drain: HTTP %d, want 503", code)
	}
	resp, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health during the drain = %v, %v; want NOT_SERVING", resp, err)
	}
	// Calls are still answered while load balancers catch up.
	if _, err := s.yp.ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{}); err != nil {
		t.Errorf("a call during the drain: %v", err)
	}
	if r := s.do(t, "GET", "/v1/youngPeople", ""); r.code != 200 {
		t.Errorf("a REST call during the drain: HTTP %d", r.code)
	}
	if time.Since(begun) >= cfg.ShutdownDrainDelay {
		t.Fatalf("the checks took longer than the drain delay; they prove nothing")
	}
	s.stop() // waits for Run to return
	if time.Since(begun) < cfg.ShutdownDrainDelay {
		t.Errorf("stopped after %v, before the drain delay of %v", time.Since(begun), cfg.ShutdownDrainDelay)
	}
}
