package grpcx_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/apierr"
	"github.com/carepath/carepath/internal/platform/grpcx"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// fake is a YoungPeopleService whose methods misbehave on purpose.
type fake struct {
	pb.UnimplementedYoungPeopleServiceServer
	calls int
	// deletes makes DeleteYoungPerson succeed.
	deletes bool
}

func (f *fake) GetYoungPerson(ctx context.Context, _ *pb.GetYoungPersonRequest) (*pb.YoungPerson, error) {
	f.calls++
	panic("handler bug")
}

func (f *fake) DeleteYoungPerson(context.Context, *pb.DeleteYoungPersonRequest) (*emptypb.Empty, error) {
	f.calls++
	if f.deletes {
		return &emptypb.Empty{}, nil
	}
	cause := errors.New(`postgres: FATAL SQLSTATE 57P01: terminating connection due to administrator command`)
	return nil, errs.Wrap(cause, errs.Unavailable, errs.ReasonStoreUnavailable, "the database is unavailable; retry with backoff")
}

func (f *fake) ListYoungPeople(context.Context, *pb.ListYoungPeopleRequest) (*pb.ListYoungPeopleResponse, error) {
	f.calls++
	return nil, errs.Wrap(io.ErrUnexpectedEOF, errs.Internal, errs.ReasonInternal, "row 12 for Jane Doe failed")
}

type logBuffer struct {
	mu sync.Mutex
	strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Builder.Write(p)
}

func serve(t *testing.T) (pb.YoungPeopleServiceClient, *fake, *logBuffer) {
	t.Helper()
	client, f, logs, _ := serveLogging(t, slog.LevelInfo)
	return client, f, logs
}

// serveLogging serves the fake, and gRPC's health service, with its logs at level.
func serveLogging(t *testing.T, level slog.Level) (pb.YoungPeopleServiceClient, *fake, *logBuffer, *grpc.ClientConn) {
	t.Helper()
	logs := &logBuffer{}
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	srv := grpcx.NewServer(log, grpcprom.NewServerMetrics(), v, openGuard{}, nil)
	f := &fake{}
	pb.RegisterYoungPeopleServiceServer(srv, f)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewYoungPeopleServiceClient(conn), f, logs, conn
}

func wantInternal(t *testing.T, err error) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.Internal || apierr.Info(st).GetReason() != "INTERNAL" {
		t.Fatalf("error = %v, want INTERNAL with ErrorInfo", err)
	}
	if strings.Contains(st.Message(), "panic") || strings.Contains(st.Message(), "Jane") {
		t.Fatalf("the caller sees internal detail: %q", st.Message())
	}
}

func TestPanicBecomesInternalAndServerLives(t *testing.T) {
	client, f, logs := serve(t)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-request-id", "req-panic-1")
	name := &pb.GetYoungPersonRequest{Name: "youngPeople/01a20440-392f-7d72-b563-92c02ba5ba95"}
	_, err := client.GetYoungPerson(ctx, name)
	wantInternal(t, err)
	if _, err := client.GetYoungPerson(ctx, name); status.Code(err) != codes.Internal || f.calls != 2 {
		t.Fatalf("after a panic the server must keep serving: %v, %d calls", err, f.calls)
	}
	if !strings.Contains(logs.String(), `"request_id":"req-panic-1"`) || !strings.Contains(logs.String(), "handler bug") {
		t.Fatalf("the panic was not logged with its request id:\n%s", logs.String())
	}
}

func TestInternalErrorsAreHiddenAndLogged(t *testing.T) {
	client, _, logs := serve(t)
	_, err := client.ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{})
	wantInternal(t, err)
	if !strings.Contains(logs.String(), "unexpected EOF") {
		t.Fatalf("the cause was not logged:\n%s", logs.String())
	}
}

// An unavailable store is not an internal error, but operators need its cause.
func TestUnavailableStoreIsLoggedWithItsCause(t *testing.T) {
	client, _, logs := serve(t)
	_, err := client.DeleteYoungPerson(context.Background(),
		&pb.DeleteYoungPersonRequest{Name: "youngPeople/01a20440-392f-7d72-b563-92c02ba5ba95"})
	st := status.Convert(err)
	if st.Code() != codes.Unavailable || apierr.Info(st).GetReason() != "STORE_UNAVAILABLE" || strings.Contains(st.Message(), "SQLSTATE") {
		t.Fatalf("error = %v, want UNAVAILABLE without the cause", err)
	}
	if l := logs.String(); !strings.Contains(l, `"level":"WARN"`) || !strings.Contains(l, "SQLSTATE 57P01: terminating connection") {
		t.Fatalf("the cause was not logged:\n%s", l)
	}
}

// At INFO a call that succeeded leaves no line (the metrics count it) and one that failed
// does; at DEBUG every call does, but for health probes, which never do.
func TestSucceededCallsAreLoggedAtDebug(t *testing.T) {
	del := &pb.DeleteYoungPersonRequest{Name: "youngPeople/01a20440-392f-7d72-b563-92c02ba5ba95"}
	for _, tc := range []struct {
		level  slog.Level
		logged bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}} {
		client, f, logs, conn := serveLogging(t, tc.level)
		if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
		f.deletes = true
		if _, err := client.DeleteYoungPerson(context.Background(), del); err != nil {
			t.Fatal(err)
		}
		f.deletes = false
		if _, err := client.DeleteYoungPerson(context.Background(), del); status.Code(err) != codes.Unavailable {
			t.Fatalf("error = %v, want UNAVAILABLE", err)
		}
		var ok, failed, probe bool
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, `"msg":"finished call"`) {
				ok = ok || strings.Contains(line, `"grpc.code":"OK"`)
				failed = failed || strings.Contains(line, `"grpc.code":"Unavailable"`)
				probe = probe || strings.Contains(line, "grpc.health")
			}
		}
		if probe {
			t.Fatalf("at %v a health probe was logged:\n%s", tc.level, logs.String())
		}
		if ok != tc.logged || !failed {
			t.Fatalf("at %v: the call that succeeded logged %v (want %v), the one that failed %v (want true):\n%s",
				tc.level, ok, tc.logged, failed, logs.String())
		}
	}
}

func TestValidationRunsBeforeTheHandler(t *testing.T) {
	client, f, _ := serve(t)
	_, err := client.GetYoungPerson(context.Background(), &pb.GetYoungPersonRequest{Name: "people/x"})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || apierr.Info(st).GetReason() != "REQUEST_INVALID" {
		t.Fatalf("error = %v, want REQUEST_INVALID", err)
	}
	if f.calls != 0 {
		t.Fatal("the handler ran for an invalid request")
	}
}

// openGuard lets every call through: these tests are about the rest of the chain.
type openGuard struct{}

func (openGuard) Unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(ctx, req)
}

func (openGuard) Stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, ss)
}
