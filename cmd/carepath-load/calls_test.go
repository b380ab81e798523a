package main

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// answering is a YoungPeopleService that answers a young person for any name but "gone".
type answering struct {
	pb.UnimplementedYoungPeopleServiceServer
	asked chan string
}

func (a *answering) GetYoungPerson(_ context.Context, req *pb.GetYoungPersonRequest) (*pb.YoungPerson, error) {
	a.asked <- req.GetName()
	if req.GetName() == "youngPeople/gone" {
		return nil, status.Error(codes.NotFound, "no such young person")
	}
	return &pb.YoungPerson{Name: req.GetName(), GivenName: "Sam"}, nil
}

// A call made with unread sends its request as any other, and gets its answer's status,
// but leaves the answer undecoded; without unread the same answer is decoded.
func TestUnreadCallsSendTheirRequestAndLeaveTheAnswerUndecoded(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	svc := &answering{asked: make(chan string, 3)}
	pb.RegisterYoungPeopleServiceServer(srv, svc)
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewYoungPeopleServiceClient(conn)
	ctx := context.Background()

	got, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/a"}, unread)
	if err != nil {
		t.Fatal(err)
	}
	if asked := <-svc.asked; asked != "youngPeople/a" {
		t.Errorf("the server was asked for %q, want youngPeople/a", asked)
	}
	if got.GetName() != "" || got.GetGivenName() != "" {
		t.Errorf("an unread answer was decoded: %v", got)
	}

	if _, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/gone"}, unread); status.Code(err) != codes.NotFound {
		t.Errorf("an unread call that fails: %v, want its NotFound", err)
	}
	<-svc.asked

	decoded, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/b"})
	if err != nil || decoded.GetGivenName() != "Sam" {
		t.Errorf("the same call without unread: %v, %v; want the answer decoded", decoded, err)
	}
}
