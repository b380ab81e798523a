package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/platform/jsonplan"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The load generator re-executes itself as the bare reference server when roleEnv is
// roleBare; the database URL comes in the environment too, never on a command line that
// other users of the machine can read.
const (
	roleEnv     = "CAREPATH_LOAD_ROLE"
	roleBare    = "bare"
	bareDBEnv   = "CAREPATH_LOAD_DATABASE_URL"
	bareServing = "bare reference server is serving"
)

// bareServer is the ceiling: carepath's generated YoungPeopleService answering
// GetYoungPerson with one primary-key select and nothing else (no authentication, policy,
// audit, validation or logging). Every other method is unimplemented.
type bareServer struct {
	pb.UnimplementedYoungPeopleServiceServer
	pool *pgxpool.Pool
}

func (b *bareServer) GetYoungPerson(ctx context.Context, req *pb.GetYoungPersonRequest) (*pb.YoungPerson, error) {
	id, ok := strings.CutPrefix(req.GetName(), "youngPeople/")
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "name must be youngPeople/{young_person}")
	}
	var (
		yp                    pb.YoungPerson
		dob, created, updated time.Time
		council               string
		revision              int64
	)
	err := b.pool.QueryRow(ctx, `SELECT id::text, given_name, family_name, preferred_name, date_of_birth, council_id,
		case_reference, unaccompanied_asylum_seeking_child, ehc_plan, disability, revision, create_time, update_time
		FROM young_people WHERE id = $1`, id).Scan(&yp.Name, &yp.GivenName, &yp.FamilyName, &yp.PreferredName, &dob,
		&council, &yp.CaseReference, &yp.UnaccompaniedAsylumSeekingChild, &yp.EhcPlan, &yp.Disability, &revision,
		&created, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, status.Error(codes.NotFound, "no such young person")
	} else if err != nil {
		return nil, status.Error(codes.Internal, "query failed")
	}
	yp.Name = "youngPeople/" + yp.Name
	yp.Council = "organisations/" + council
	yp.DateOfBirth = &date.Date{Year: int32(dob.Year()), Month: int32(dob.Month()), Day: int32(dob.Day())}
	yp.CreateTime, yp.UpdateTime = timestamppb.New(created), timestamppb.New(updated)
	yp.Etag = strconv.FormatInt(revision, 10)
	return &yp, nil
}

// bareMain runs the bare server on free loopback ports until it is signalled, logging its
// addresses as one JSON line as carepath does. Its pool is pgx's default for the URL, as
// carepath's is.
func bareMain(ctx context.Context, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if err := serveBare(ctx, os.Getenv(bareDBEnv), log); err != nil {
		log.Error("bare reference server failed", "error", err.Error())
		return 1
	}
	return 0
}

func serveBare(ctx context.Context, databaseURL string, log *slog.Logger) error {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	srv := &bareServer{pool: pool}
	grpcServer := grpc.NewServer()
	pb.RegisterYoungPeopleServiceServer(grpcServer, srv)
	// The REST ceiling: grpc-gateway calling the implementation in-process, writing JSON
	// as carepath's gateway does.
	gw := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, jsonplan.NewMarshaler(protojson.UnmarshalOptions{})))
	if err := pb.RegisterYoungPeopleServiceHandlerServer(ctx, gw, srv); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Handle("/", gw)
	httpServer := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		grpcLis.Close()
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return grpcServer.Serve(grpcLis) })
	g.Go(func() error {
		if err := httpServer.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		grpcServer.Stop()
		return httpServer.Close()
	})
	log.Info(bareServing, "grpc_addr", grpcLis.Addr().String(), "http_addr", httpLis.Addr().String())
	return g.Wait()
}
