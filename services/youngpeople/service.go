// Package youngpeople implements carepath.v1.YoungPeopleService: the young people whose
// pathways carepath plans.
package youngpeople

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements YoungPeopleService.
type Server struct {
	pb.UnimplementedYoungPeopleServiceServer
	store store.Store
	now   func() time.Time
}

// New returns the service over s, telling the time with now.
func New(s store.Store, now func() time.Time) *Server {
	return &Server{store: s, now: now}
}

// filterFields are the fields of ListYoungPeopleRequest.filter.
var filterFields = func() map[string]listing.Field {
	fields := listing.Fields(store.YoungPersonFields)
	fields["council"] = listing.Field{Type: fields["council"].Type, Value: func(s string) (string, bool) {
		id, ok := strings.CutPrefix(s, organisationPrefix)
		return id, ok && id != ""
	}}
	return fields
}()

func (s *Server) GetYoungPerson(ctx context.Context, req *pb.GetYoungPersonRequest) (*pb.YoungPerson, error) {
	id, err := parseName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	var yp domain.YoungPerson
	err = s.store.InTx(ctx, func(tx store.Tx) (err error) {
		yp, err = tx.GetYoungPerson(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return toProto(yp), nil
}

func (s *Server) ListYoungPeople(ctx context.Context, req *pb.ListYoungPeopleRequest) (*pb.ListYoungPeopleResponse, error) {
	filter, err := listing.Filter(req.GetFilter(), filterFields)
	if err != nil {
		return nil, err
	}
	// A page token is tied to the filter it was issued for.
	after, err := pagetoken.Decode(req.GetPageToken(), req.GetFilter())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.YoungPerson
	err = s.store.InTx(ctx, func(tx store.Tx) (err error) {
		page, err = tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Filter: filter, AfterID: after, Limit: size + 1})
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListYoungPeopleResponse{}
	if len(page) > size {
		page = page[:size]
		resp.NextPageToken = pagetoken.Encode(page[size-1].ID, req.GetFilter())
	}
	for _, yp := range page {
		resp.YoungPeople = append(resp.YoungPeople, toProto(yp))
	}
	return resp, nil
}

// createScope separates this method's request ids from other methods'.
const createScope = "carepath.v1.YoungPeopleService/CreateYoungPerson"

var errRequestIDReused = &errs.Error{
	Kind:       errs.InvalidArgument,
	Reason:     errs.ReasonRequestIDReused,
	Message:    "this request_id was already used for a different young person; use a new request_id",
	Violations: []errs.Violation{{Field: "request_id", Description: "was used before with a different request"}},
}

func (s *Server) CreateYoungPerson(ctx context.Context, req *pb.CreateYoungPersonRequest) (*pb.YoungPerson, error) {
	now := s.now()
	yp := fromProto(req.GetYoungPerson())
	yp.ID = uuid.Must(uuid.NewV7()).String()
	yp.CreateTime, yp.UpdateTime = now, now
	if err := yp.Validate(civil.Of(now)); err != nil {
		return nil, errs.Prefixed(err, "young_person")
	}
	hash := requestHash(req.GetYoungPerson())
	var out domain.YoungPerson
	err := s.store.InTx(ctx, func(tx store.Tx) (err error) {
		if req.GetRequestId() != "" {
			prior, claimed, err := tx.ClaimRequest(ctx, store.Request{
				Scope: createScope, ID: req.GetRequestId(), Hash: hash, ResourceID: yp.ID, CreateTime: now,
			})
			if err != nil {
				return err
			}
			if !claimed { // a retry: answer with what the first request made
				if !bytes.Equal(prior.Hash, hash) {
					return errRequestIDReused
				}
				out, err = tx.GetYoungPerson(ctx, prior.ResourceID)
				return err
			}
		}
		out, err = tx.CreateYoungPerson(ctx, yp)
		return err
	})
	if err != nil {
		return nil, err
	}
	return toProto(out), nil
}

// requestHash fingerprints what a create asks for, ignoring the fields the server sets.
func requestHash(in *pb.YoungPerson) []byte {
	c := proto.CloneOf(in)
	c.Name, c.CreateTime, c.UpdateTime, c.Etag = "", nil, nil, ""
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	sum := sha256.Sum256(b)
	return sum[:]
}

// ignoredPaths are accepted in an update mask and ignored: identity and output-only fields
// (AIP-161), which REST clients echo back in the body they PATCH.
var ignoredPaths = map[string]bool{"name": true, "etag": true, "create_time": true, "update_time": true}

func (s *Server) UpdateYoungPerson(ctx context.Context, req *pb.UpdateYoungPersonRequest) (*pb.YoungPerson, error) {
	in := req.GetYoungPerson()
	id, err := parseName("young_person.name", in.GetName())
	if err != nil {
		return nil, err
	}
	ifRevision, err := parseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	mask := updateMask(req.GetUpdateMask(), in)
	now := s.now()
	var out domain.YoungPerson
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetYoungPerson(ctx, id)
		if err != nil {
			return err
		}
		if ifRevision != 0 && ifRevision != cur.Revision {
			return store.ErrRevisionMismatch
		}
		merged := toProto(cur)
		fieldmask.Update(mask, merged, in)
		if merged.GetCouncil() != toProto(cur).GetCouncil() {
			return errs.Invalid(errs.Violation{Field: "young_person.council", Description: "cannot be changed"})
		}
		next := fromProto(merged)
		next.ID, next.CreateTime, next.UpdateTime = cur.ID, cur.CreateTime, now
		if err := next.Validate(civil.Of(now)); err != nil {
			return errs.Prefixed(err, "young_person")
		}
		// Guard on the revision read above, so a concurrent change is never overwritten.
		out, err = tx.UpdateYoungPerson(ctx, next, cur.Revision)
		if errs.ReasonOf(err) == errs.ReasonEtagMismatch && ifRevision == 0 {
			return errs.New(errs.Aborted, errs.ReasonConcurrentUpdate, "the young person changed while updating; retry")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return toProto(out), nil
}

// updateMask returns the paths to copy from in: the mask without the ignored paths, or,
// when no mask was sent, the fields in sets (AIP-134).
func updateMask(mask *fieldmaskpb.FieldMask, in *pb.YoungPerson) *fieldmaskpb.FieldMask {
	var paths []string
	if len(mask.GetPaths()) == 0 {
		in.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			paths = append(paths, string(fd.Name()))
			return true
		})
	} else {
		paths = mask.GetPaths()
	}
	out := &fieldmaskpb.FieldMask{}
	for _, p := range paths {
		if !ignoredPaths[p] {
			out.Paths = append(out.Paths, p)
		}
	}
	return out
}

func (s *Server) DeleteYoungPerson(ctx context.Context, req *pb.DeleteYoungPersonRequest) (*emptypb.Empty, error) {
	id, err := parseName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	ifRevision, err := parseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, id, ifRevision) })
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
