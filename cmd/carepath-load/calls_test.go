package main

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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

// On a measured connection (dialled with unread) a call sends its request as any other and
// gets its answer's status, but leaves the answer undecoded; a call that asks for its
// answer decoded (admit's create) gets it.
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
	conn, err := dial(lis.Addr().String(), "token", unread)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewYoungPeopleServiceClient(conn)
	ctx := context.Background()

	got, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/a"})
	if err != nil {
		t.Fatal(err)
	}
	if asked := <-svc.asked; asked != "youngPeople/a" {
		t.Errorf("the server was asked for %q, want youngPeople/a", asked)
	}
	if got.GetName() != "" || got.GetGivenName() != "" {
		t.Errorf("an unread answer was decoded: %v", got)
	}

	if _, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/gone"}); status.Code(err) != codes.NotFound {
		t.Errorf("an unread call that fails: %v, want its NotFound", err)
	}
	<-svc.asked

	answer, err := client.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/b"}, decoded)
	if err != nil || answer.GetGivenName() != "Sam" {
		t.Errorf("the same call asking for its answer decoded: %v, %v", answer, err)
	}
}
