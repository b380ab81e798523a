// Package returns implements carepath.v1.Ssda903Service, the import of a council's SSDA903
// return uploaded over the API, and carepath.v1.OperationsService, through which the
// council's administrators follow the import as a long-running operation (AIP-151).
//
// The import itself is ssda903return's, the same as `carepath import ssda903`: this package
// checks who asks and what they sent, stores the operation with the files (queued for a
// River job on PostgreSQL; run by the runner it is given on the memory store), and turns
// operations into google.longrunning.Operation.
package returns

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/apierr"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/platform/requestid"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements Ssda903Service.
type Server struct {
	pb.UnimplementedSsda903ServiceServer
	store store.Store
	now   func() time.Time
	// run starts the work of a new operation in-process; nil where the store queues it
	// (PostgreSQL: a River job inserted with the operation).
	run func(id string)
	// maxBytes bounds the CSV of one import, all files together.
	maxBytes int64
}

// New returns the import service. run, if not nil, is called with each new operation's id
// once it is stored, to start its work.
func New(s store.Store, now func() time.Time, run func(id string), maxBytes int64) *Server {
	return &Server{store: s, now: now, run: run, maxBytes: maxBytes}
}

const orgPrefix = "organisations/"

var errNotAdmin = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"only the council's administrators import its return and read its operations")

func councilAdmin(ctx context.Context, council string) error {
	if c := access.Caller(ctx); c.Organisation == council && c.Has(access.Admin) {
		return nil
	}
	return errNotAdmin
}

// ImportSsda903Return stores the operation with the files and starts it.
func (s *Server) ImportSsda903Return(ctx context.Context, req *pb.ImportSsda903ReturnRequest) (*longrunningpb.Operation, error) {
	council := strings.TrimPrefix(req.GetParent(), orgPrefix)
	if err := councilAdmin(ctx, council); err != nil {
		return nil, err
	}
	files, err := s.files(req)
	if err != nil {
		return nil, err
	}
	now := s.now()
	method, _ := grpc.Method(ctx)
	c := access.Caller(ctx)
	op := domain.Operation{ID: uuid.Must(uuid.NewV7()).String(), CouncilID: council, Kind: domain.ImportReturn,
		Stage: domain.StageQueued, CreateTime: now, UpdateTime: now,
		Audit: audit.Record{Chain: c.Organisation, Actor: c.Subject, Organisation: c.Organisation, Roles: c.Roles,
			Purpose: access.DirectCare, Action: strings.TrimPrefix(method, "/"), RequestID: requestid.From(ctx),
			ClientAddress: c.ClientAddress}}
	fingerprint := proto.Clone(req).(*pb.ImportSsda903ReturnRequest)
	fingerprint.RequestId = ""
	hash := idem.Hash(fingerprint)
	retry := false
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		prior, err := idem.Claim(ctx, tx, "ImportSsda903Return:"+council, req.GetRequestId(), hash, op.ID, now)
		if err != nil {
			return err
		}
		if retry = prior != ""; retry {
			op, err = tx.GetOperation(ctx, council, prior)
			return err
		}
		op, err = tx.CreateOperation(ctx, op, files)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !retry && s.run != nil {
		s.run(op.ID)
	}
	return ToProto(op, true)
}

// files checks the upload: within the size allowed, and every file a table of a return
// (its header row says which), a Header table among them.
func (s *Server) files(req *pb.ImportSsda903ReturnRequest) ([]domain.File, error) {
	var total int64
	for _, f := range req.GetFiles() {
		total += int64(len(f.GetContent()))
	}
	if total > s.maxBytes {
		return nil, errs.New(errs.ResourceExhausted, errs.ReasonRequestTooLarge,
			"the files hold %d bytes; an import takes at most %d (%d MiB)", total, s.maxBytes, s.maxBytes>>20)
	}
	var v errs.Violations
	var files []domain.File
	header := false
	for i, f := range req.GetFiles() {
		t, ok := table(f.GetContent())
		if !ok {
			v.Add(fmt.Sprintf("files[%d].content", i), ssda903.ErrUnknownTable.Error())
		}
		header = header || t == ssda903.Header
		files = append(files, domain.File{Name: f.GetName(), Content: f.GetContent()})
	}
	if !header {
		v.Add("files", "hold no Header table: every child of a return has a Header row")
	}
	return files, v.Err()
}

// table names the table a file's header row says it is.
func table(content []byte) (ssda903.Table, bool) {
	line, _, _ := bufio.NewReader(bytes.NewReader(content)).ReadLine()
	header, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		return "", false
	}
	return ssda903.Recognise(header)
}

// Operations implements OperationsService.
type Operations struct {
	pb.UnimplementedOperationsServiceServer
	store store.Store
	now   func() time.Time
}

// NewOperations returns the operations service.
func NewOperations(s store.Store, now func() time.Time) *Operations {
	return &Operations{store: s, now: now}
}

// GetOperation returns one of the council's operations. Its response names children of the
// return and the values refused, so reading it is recorded in the audit trail.
func (s *Operations) GetOperation(ctx context.Context, req *pb.GetOperationRequest) (*longrunningpb.Operation, error) {
	ids, err := convert.Parse("name", req.GetName(), "organisations", "operations")
	if err != nil {
		return nil, err
	}
	if err := councilAdmin(ctx, ids[0]); err != nil {
		return nil, err
	}
	var op domain.Operation
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if op, err = tx.GetOperation(ctx, ids[0], ids[1]); err != nil {
			return err
		}
		return access.AuditSummary(ctx, tx, s.now(), access.DirectCare, ids[0])
	})
	if err != nil {
		return nil, err
	}
	return ToProto(op, true)
}

// ListOperations lists the council's operations, newest first, without their problem rows.
func (s *Operations) ListOperations(ctx context.Context, req *pb.ListOperationsRequest) (*pb.ListOperationsResponse, error) {
	council := strings.TrimPrefix(req.GetParent(), orgPrefix)
	if err := councilAdmin(ctx, council); err != nil {
		return nil, err
	}
	before, err := pagetoken.Decode(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var ops []domain.Operation
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if ops, err = tx.ListOperations(ctx, council, before, size+1); err != nil {
			return err
		}
		return access.AuditSummary(ctx, tx, s.now(), access.DirectCare, council)
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(ops, size, func(o domain.Operation) string { return o.ID }, req.GetParent())
	out := &pb.ListOperationsResponse{NextPageToken: next}
	for _, op := range page {
		p, err := ToProto(op, false)
		if err != nil {
			return nil, err
		}
		out.Operations = append(out.Operations, p)
	}
	return out, nil
}

var stages = map[domain.OperationStage]pb.ImportSsda903ReturnMetadata_Stage{
	domain.StageQueued: pb.ImportSsda903ReturnMetadata_QUEUED, domain.StageReading: pb.ImportSsda903ReturnMetadata_READING,
	domain.StageImporting: pb.ImportSsda903ReturnMetadata_IMPORTING, domain.StageFinished: pb.ImportSsda903ReturnMetadata_FINISHED,
}

// ToProto is an operation as the API gives it: its metadata, and once done its response
// (with the problem rows when withProblems) or its error as an AIP-193 status.
func ToProto(op domain.Operation, withProblems bool) (*longrunningpb.Operation, error) {
	md, err := anypb.New(&pb.ImportSsda903ReturnMetadata{Stage: stages[op.Stage], ChildrenDone: int32(op.ChildrenDone),
		ChildrenTotal: int32(op.ChildrenTotal), Requester: "people/" + op.Audit.Actor,
		CreateTime: timestamppb.New(op.CreateTime), UpdateTime: timestamppb.New(op.UpdateTime)})
	if err != nil {
		return nil, err
	}
	out := &longrunningpb.Operation{Name: orgPrefix + op.CouncilID + "/operations/" + op.ID, Metadata: md, Done: op.Done()}
	switch {
	case op.Error != nil:
		st, _ := apierr.Status(errs.New(op.Error.Kind, op.Error.Reason, "%s", op.Error.Message))
		out.Result = &longrunningpb.Operation_Error{Error: st.Proto()}
	case op.Result != nil:
		r := op.Result
		resp := &pb.ImportSsda903ReturnResponse{Created: int32(r.Created), Updated: int32(r.Updated),
			Unchanged: int32(r.Unchanged), Rejected: int32(r.Rejected), ProblemCount: int32(r.ProblemCount)}
		if withProblems {
			for _, p := range r.Problems {
				resp.Problems = append(resp.Problems, &pb.Ssda903Problem{File: p.File, Line: int32(p.Line), Column: p.Column,
					Value: p.Value, Rule: p.Rule, Reason: p.Reason, Child: p.Child})
			}
		}
		a, err := anypb.New(resp)
		if err != nil {
			return nil, err
		}
		out.Result = &longrunningpb.Operation_Response{Response: a}
	}
	return out, nil
}
