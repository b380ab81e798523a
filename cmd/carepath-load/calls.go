package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

const (
	grpcProtocol = "grpc"
	restProtocol = "rest"
)

// callNames are the calls that can be measured, in the order they run: creates last, since
// they grow the council the reads read.
var callNames = []string{"get", "list", "pathway", "cliffedge", "housing", "create", "admit"}

// callSpec is one named call: the method it measures, whose token it carries and how to
// make it over each protocol.
type callSpec struct {
	name   string
	method string
	role   string // `carepath dev-token` role of the caller
	grpc   func(ctx context.Context, conn *grpc.ClientConn, w *worker) error
	// rest is the call's requests, made in turn: each is built from the response body of
	// the one before (nil for the first).
	rest []restStep
}

type restStep func(w *worker, previous []byte) (method, path string, body []byte, err error)

// get is a one-request REST call of GET path.
func get(path func(w *worker) string) []restStep {
	return []restStep{func(w *worker, _ []byte) (string, string, []byte, error) {
		return http.MethodGet, path(w), nil, nil
	}}
}

// worker is one caller's state: its own random numbers, and what created young people's
// case references are made of (this run's id and a count shared by every caller of the run).
type worker struct {
	rng     *rand.Rand
	id      int
	run     string
	created *atomic.Int64
	data    *seeded
	today   time.Time
}

func (w *worker) youngPerson() string { return w.data.ids[w.rng.IntN(len(w.data.ids))] }
func (w *worker) sharedOne() string   { return w.data.shared[w.rng.IntN(len(w.data.shared))] }

var calls = map[string]*callSpec{
	"get": {
		name: "get", method: "GetYoungPerson", role: roleTeamManager,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, w *worker) error {
			_, err := pb.NewYoungPeopleServiceClient(conn).GetYoungPerson(ctx,
				&pb.GetYoungPersonRequest{Name: "youngPeople/" + w.youngPerson()})
			return err
		},
		rest: get(func(w *worker) string { return "/v1/youngPeople/" + w.youngPerson() }),
	},
	"list": {
		name: "list", method: "ListYoungPeople (page of 50)", role: roleTeamManager,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, _ *worker) error {
			_, err := pb.NewYoungPeopleServiceClient(conn).ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{PageSize: 50})
			return err
		},
		rest: get(func(*worker) string { return "/v1/youngPeople?page_size=50" }),
	},
	"pathway": {
		name: "pathway", method: "GetPathway", role: roleTeamManager,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, w *worker) error {
			_, err := pb.NewPathwaysServiceClient(conn).GetPathway(ctx,
				&pb.GetPathwayRequest{Name: "youngPeople/" + w.youngPerson() + "/pathway"})
			return err
		},
		rest: get(func(w *worker) string { return "/v1/youngPeople/" + w.youngPerson() + "/pathway" }),
	},
	"cliffedge": {
		name: "cliffedge", method: "ListCliffEdgeAssessments (the council's view)", role: roleTeamManager,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, w *worker) error {
			_, err := pb.NewReadinessServiceClient(conn).ListCliffEdgeAssessments(ctx,
				&pb.ListCliffEdgeAssessmentsRequest{Parent: "organisations/" + w.data.council})
			return err
		},
		rest: get(func(w *worker) string { return "/v1/organisations/" + w.data.council + "/cliffEdgeAssessments" }),
	},
	"housing": {
		name: "housing", method: "GetHousingReadiness (a partner)", role: roleHousing,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, w *worker) error {
			_, err := pb.NewPartnerServiceClient(conn).GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{
				Name: "organisations/" + w.data.partner + "/sharedYoungPeople/" + w.sharedOne() + "/housingReadiness"})
			return err
		},
		rest: get(func(w *worker) string {
			return "/v1/organisations/" + w.data.partner + "/sharedYoungPeople/" + w.sharedOne() + "/housingReadiness"
		}),
	},
	"create": {
		name: "create", method: "CreateYoungPerson (not in care: nothing to plan)", role: roleAdviser,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, w *worker) error {
			_, err := pb.NewYoungPeopleServiceClient(conn).CreateYoungPerson(ctx,
				&pb.CreateYoungPersonRequest{YoungPerson: w.newYoungPerson(), RequestId: uuid.NewString()})
			return err
		},
		rest: []restStep{createStep},
	},
	"admit": {
		name: "admit", method: "CreateYoungPerson, then CreateCareEpisode (plans their pathway)", role: roleAdviser,
		grpc: func(ctx context.Context, conn *grpc.ClientConn, w *worker) error {
			yp := w.newYoungPerson()
			created, err := pb.NewYoungPeopleServiceClient(conn).CreateYoungPerson(ctx,
				&pb.CreateYoungPersonRequest{YoungPerson: yp, RequestId: uuid.NewString()}, decoded)
			if err != nil {
				return err
			}
			_, err = pb.NewCareEpisodesServiceClient(conn).CreateCareEpisode(ctx, &pb.CreateCareEpisodeRequest{
				Parent: created.GetName(), CareEpisode: admission(yp), RequestId: uuid.NewString()})
			return err
		},
		rest: []restStep{createStep, func(_ *worker, previous []byte) (string, string, []byte, error) {
			var created pb.YoungPerson
			if err := protojson.Unmarshal(previous, &created); err != nil {
				return "", "", nil, fmt.Errorf("the created young person: %w", err)
			}
			body, err := protojson.Marshal(admission(&created))
			return http.MethodPost, "/v1/" + created.GetName() + "/careEpisodes?request_id=" +
				url.QueryEscape(uuid.NewString()), body, err
		}},
	},
}

// unread is the measured connections' default call option: each answer is read off the
// connection whole, as the REST client reads a body it does not keep, but not decoded.
// Decoding would spend this machine's CPU, which the tool shares with carepath, on nothing,
// and over gRPC only (the REST client decodes no JSON it does not use): a pathway's 61
// milestones cost the tool more CPU than a call of the bare server costs that server. A
// call whose answer the tool uses asks for it decoded.
var (
	unread  = grpc.WithDefaultCallOptions(grpc.ForceCodecV2(unreadCodec{}))
	decoded = grpc.ForceCodecV2(protoCodec)
)

// unreadCodec encodes requests as gRPC's protobuf codec does and leaves answers undecoded.
// Named "proto", it makes the request's content type application/grpc+proto, which every
// gRPC server reads as the plain application/grpc. gRPC frees the answer's buffers itself.
type unreadCodec struct{}

var protoCodec = encoding.GetCodecV2(grpcproto.Name)

func (unreadCodec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

func (unreadCodec) Unmarshal(mem.BufferSlice, any) error { return nil }

func (unreadCodec) Name() string { return grpcproto.Name }

func createStep(w *worker, _ []byte) (string, string, []byte, error) {
	body, err := protojson.Marshal(w.newYoungPerson())
	return http.MethodPost, "/v1/youngPeople?request_id=" + url.QueryEscape(uuid.NewString()), body, err
}

// admission is a care episode for a young person just created: looked after since their
// twelfth birthday, so that their whole pathway is planned, as a child's is when a council
// takes them into care.
func admission(yp *pb.YoungPerson) *pb.CareEpisode {
	dob := yp.GetDateOfBirth()
	start := time.Date(int(dob.GetYear())+12, time.Month(dob.GetMonth()), int(dob.GetDay()), 0, 0, 0, 0, time.UTC)
	return &pb.CareEpisode{StartDate: civilDate(start), LegalStatus: "C2", PlacementType: "U1"}
}

// newYoungPerson is a young person for a create call, with a case reference unique to the
// run: a personal adviser adds them to their own caseload. They are 13 or 14, so that on a
// database reused for another run they join no one's view of who turns 18 soon, and list
// after the seeded young people (ids are time-ordered): the reads read what was seeded.
func (w *worker) newYoungPerson() *pb.YoungPerson {
	n := w.created.Add(1)
	dob := w.today.AddDate(-13, 0, -w.rng.IntN(2*365))
	return &pb.YoungPerson{
		GivenName: "Load", FamilyName: fmt.Sprintf("Create %d", n), DateOfBirth: civilDate(dob),
		Council: "organisations/" + w.data.council, CaseReference: fmt.Sprintf("LOADC-%s-%d", w.run, n),
	}
}
