package grpcx_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/carepath/carepath/internal/platform/apierr"
	"github.com/carepath/carepath/internal/platform/grpcx"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// local registers impl with a Local built as serveLogging builds its server.
func local(t *testing.T, impl pb.YoungPeopleServiceServer, client ...grpc.UnaryClientInterceptor) (*grpcx.Local, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	l := grpcx.NewLocal(log, grpcprom.NewServerMetrics(), v, openGuard{}, nil, nil, client...)
	pb.RegisterYoungPeopleServiceServer(l, impl)
	return l, logs
}

// A local call passes the server's chain: errors become AIP-193 statuses with their detail
// only in the log, a panic is an INTERNAL error, validation runs before the handler.
func TestLocalCallsPassTheServersInterceptors(t *testing.T) {
	f := &fake{}
	l, logs := local(t, f)
	client := pb.NewYoungPeopleServiceClient(l)
	ctx := context.Background()
	_, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/01a20440-392f-7d72-b563-92c02ba5ba95"})
	wantInternal(t, err)
	_, err = client.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{})
	wantInternal(t, err)
	if !strings.Contains(logs.String(), "Jane Doe") {
		t.Errorf("the internal error's detail is not in the log:\n%s", logs.String())
	}
	calls := f.calls
	_, err = client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "people/x"})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || apierr.Info(st).GetReason() != "REQUEST_INVALID" {
		t.Errorf("error = %v, want REQUEST_INVALID", err)
	}
	if f.calls != calls {
		t.Error("the handler ran for an invalid request")
	}
}

// probe answers GetYoungPerson with what its call saw.
type probe struct {
	pb.UnimplementedYoungPeopleServiceServer
	answer *pb.YoungPerson
}

func (p *probe) GetYoungPerson(ctx context.Context, req *pb.GetYoungPersonRequest) (*pb.YoungPerson, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	method, _ := grpc.Method(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-seen", strings.Join(md.Get("x-caller"), ",")))
	req.Name = "changed by the handler"
	p.answer = &pb.YoungPerson{Name: method, GivenName: "Ada", KeyDates: []*pb.KeyDate{{Age: "18"}}}
	return p.answer, nil
}

// A local call's handler sees the caller's metadata as incoming and its method by name,
// its header reaches the caller, the handler's request is a copy of the caller's, and the
// caller gets the handler's answer itself.
func TestLocalCallsCarryMetadataCopyRequestsAndMoveAnswers(t *testing.T) {
	p := &probe{}
	l, _ := local(t, p)
	client := pb.NewYoungPeopleServiceClient(l)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-caller", "gateway")
	req := &pb.GetYoungPersonRequest{Name: "youngPeople/01a20440-392f-7d72-b563-92c02ba5ba95"}
	var header metadata.MD
	got, err := client.GetYoungPerson(ctx, req, grpc.Header(&header))
	if err != nil {
		t.Fatal(err)
	}
	if got.GetName() != "/carepath.v1.YoungPeopleService/GetYoungPerson" || got.GetGivenName() != "Ada" {
		t.Errorf("answer %v", got)
	}
	if seen := header.Get("x-seen"); len(seen) != 1 || seen[0] != "gateway" {
		t.Errorf("header x-seen %q, want the caller's metadata", seen)
	}
	if len(header.Get("x-request-id")) != 1 {
		t.Errorf("header %v: no request id (the chain's first interceptor sets it)", header)
	}
	if req.GetName() == "changed by the handler" {
		t.Error("the handler changed the caller's request")
	}
	if len(got.GetKeyDates()) != 1 || got.GetKeyDates()[0] != p.answer.GetKeyDates()[0] {
		t.Error("the answer was copied: a handler's answer is moved to the caller, not copied (move)")
	}
}

// Client interceptors run before the call, and may refuse it; an unknown method is
// UNIMPLEMENTED, and an implementation of another service is refused, as by a server.
func TestLocalCallsPassClientInterceptorsFirst(t *testing.T) {
	p := &probe{}
	refuse := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if method == "/carepath.v1.YoungPeopleService/GetYoungPerson" {
			return status.Error(codes.InvalidArgument, "refused")
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	l, _ := local(t, p, refuse)
	client := pb.NewYoungPeopleServiceClient(l)
	_, err := client.GetYoungPerson(context.Background(), &pb.GetYoungPersonRequest{Name: "youngPeople/01a20440-392f-7d72-b563-92c02ba5ba95"})
	if status.Code(err) != codes.InvalidArgument || p.answer != nil {
		t.Errorf("error %v, handler ran %v: want the client interceptor's refusal first", err, p.answer != nil)
	}
	defer func() {
		if recover() == nil {
			t.Error("a Local took an implementation of another service")
		}
	}()
	_, err = pb.NewPathwaysServiceClient(l).GetPathway(context.Background(), &pb.GetPathwayRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("a method of no service registered: %v", err)
	}
	l.RegisterService(&pb.PathwaysService_ServiceDesc, p)
}
