// Package youngpeople implements carepath.v1.YoungPeopleService: the young people whose
// pathways carepath plans.
package youngpeople

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements YoungPeopleService.
type Server struct {
	pb.UnimplementedYoungPeopleServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service over s, replanning pathways with p and telling the time with now.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

// render renders young people with the leap-day rules of their councils.
func (s *Server) render(ctx context.Context, tx store.Tx, yps ...domain.YoungPerson) ([]*pb.YoungPerson, error) {
	today := civil.Today(s.now())
	rules := store.NewLeaplingRules(tx)
	out := make([]*pb.YoungPerson, len(yps))
	for i, yp := range yps {
		rule, err := rules.Of(ctx, yp.CouncilID)
		if err != nil {
			return nil, err
		}
		out[i] = toProto(yp, today, rule)
	}
	return out, nil
}

// filterFields are the fields of ListYoungPeopleRequest.filter.
var filterFields = func() map[string]listing.Field {
	fields := listing.Fields(store.YoungPersonFields)
	fields["council"] = listing.Field{Type: query.String, Value: listing.NameValue(organisationPrefix)}
	fields["personal_adviser"] = listing.Field{Type: query.String, Value: listing.NameValue(personPrefix)}
	return fields
}()

func (s *Server) GetYoungPerson(ctx context.Context, req *pb.GetYoungPersonRequest) (*pb.YoungPerson, error) {
	id, err := parseName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	var out []*pb.YoungPerson
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		yp, err := access.YoungPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		out, err = s.render(ctx, tx, yp)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Server) ListYoungPeople(ctx context.Context, req *pb.ListYoungPeopleRequest) (*pb.ListYoungPeopleResponse, error) {
	filter, err := listing.Filter(req.GetFilter(), filterFields)
	if err != nil {
		return nil, err
	}
	// A page token is tied to the filter it was issued for.
	after, err := listing.AfterID(req.GetPageToken(), req.GetFilter())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	resp := &pb.ListYoungPeopleResponse{}
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		scope := access.Scope(ctx)
		page, err := tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Filter: filter, AfterID: after, Limit: size + 1, Scope: scope})
		if err != nil {
			return err
		}
		page, resp.NextPageToken = listing.Next(page, size, func(yp domain.YoungPerson) string { return yp.ID }, req.GetFilter())
		ids := make([]string, len(page))
		for i, yp := range page {
			ids[i] = yp.ID
		}
		if err := access.Audit(ctx, tx, s.now(), access.DirectCare, scope.CouncilID, ids...); err != nil {
			return err
		}
		resp.YoungPeople, err = s.render(ctx, tx, page...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// createScope separates this method's request ids from other methods'.
const createScope = "carepath.v1.YoungPeopleService/CreateYoungPerson"

func (s *Server) CreateYoungPerson(ctx context.Context, req *pb.CreateYoungPersonRequest) (*pb.YoungPerson, error) {
	now := s.now()
	yp := fromProto(req.GetYoungPerson())
	yp.ID = uuid.Must(uuid.NewV7()).String()
	yp.CreateTime, yp.UpdateTime = now, now
	if err := yp.Validate(civil.Of(now)); err != nil {
		return nil, errs.Prefixed(err, "young_person")
	}
	caller := access.Caller(ctx)
	if yp.CouncilID != caller.Organisation {
		return nil, errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
			"you may add young people only to your own council")
	}
	if yp.PersonalAdviserID == "" && caller.Has(access.PA) {
		yp.PersonalAdviserID = caller.Subject // a personal adviser adds to their own caseload
	}
	hash := requestHash(req.GetYoungPerson())
	var out domain.YoungPerson
	var rendered []*pb.YoungPerson
	err := s.store.InTx(ctx, func(tx store.Tx) (err error) {
		defer func() {
			if err == nil {
				rendered, err = s.render(ctx, tx, out)
			}
		}()
		prior, err := idem.Claim(ctx, tx, createScope, req.GetRequestId(), hash, yp.ID, now)
		if err != nil {
			return err
		}
		if prior != "" { // a retry: answer with what the first request made
			out, err = access.YoungPerson(ctx, tx, prior)
			return err
		}
		if err := checkAdviser(ctx, tx, "young_person.personal_adviser", "", yp.PersonalAdviserID); err != nil {
			return err
		}
		if out, err = tx.CreateYoungPerson(ctx, yp); err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, out.CouncilID, out.ID); err != nil {
			return err
		}
		return s.planner.PlanNew(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return rendered[0], nil
}

// requestHash fingerprints what a create asks for, ignoring the fields the server sets.
func requestHash(in *pb.YoungPerson) []byte {
	c := proto.CloneOf(in)
	c.Name, c.CreateTime, c.UpdateTime, c.Etag = "", nil, nil, ""
	return idem.Hash(c)
}

func (s *Server) UpdateYoungPerson(ctx context.Context, req *pb.UpdateYoungPersonRequest) (*pb.YoungPerson, error) {
	in := req.GetYoungPerson()
	id, err := parseName("young_person.name", in.GetName())
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*pb.YoungPerson
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := access.LockYoungPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := toProto(cur, civil.Date{}, civil.MarchFirst)
		mask, err := listing.Changes("young_person", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := fromProto(merged)
		next.ID, next.CreateTime, next.UpdateTime = cur.ID, cur.CreateTime, now
		next.SSDA903 = cur.SSDA903 // the return's own columns are not in the API
		if err := next.Validate(civil.Of(now)); err != nil {
			return errs.Prefixed(err, "young_person")
		}
		if err := checkAdviser(ctx, tx, "young_person.personal_adviser", cur.PersonalAdviserID, next.PersonalAdviserID); err != nil {
			return err
		}
		updated, err := tx.UpdateYoungPerson(ctx, next, cur.Revision)
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, updated.CouncilID, updated.ID); err != nil {
			return err
		}
		// A new date of birth or new flags move or change the milestones.
		if err := s.planner.Replan(ctx, tx, id); err != nil {
			return err
		}
		out, err = s.render(ctx, tx, updated)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Server) DeleteYoungPerson(ctx context.Context, req *pb.DeleteYoungPersonRequest) (*emptypb.Empty, error) {
	id, err := parseName("name", req.GetName())
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		return tx.DeleteYoungPerson(ctx, id, ifRevision)
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// checkAdviser allows the caller to change a young person's personal adviser from cur to
// next ("" for none), reporting a bad adviser on field. Allocation is a team manager's
// decision: a manager may allocate to an enabled personal adviser of their own team, or
// unallocate (the young person then joins the council's unallocated young people, whom
// every team manager sees, which is how a young person moves to another team). A personal
// adviser may only take a young person onto their own caseload (when adding them); they
// may not hand one to someone else or to no one.
func checkAdviser(ctx context.Context, tx store.Tx, field, cur, next string) error {
	if next == cur {
		return nil
	}
	caller := access.Caller(ctx)
	manager := caller.Has(access.Manager)
	if !manager && next != caller.Subject || manager && next != "" && next != caller.Subject &&
		!slices.Contains(caller.TeamAdvisers, next) {
		return errAllocate
	}
	if next == "" || next == caller.Subject && caller.Has(access.PA) {
		// Nobody, or the caller: authenticated as an enabled personal adviser of the council.
		return nil
	}
	person, err := tx.GetPerson(ctx, next)
	if errors.Is(err, store.ErrPersonNotFound) || err == nil && (!person.Has(domain.PersonalAdviser) ||
		person.Disabled || person.OrganisationID != caller.Organisation) {
		return errs.Invalid(errs.Violation{Field: field,
			Description: "is not an enabled personal adviser of the council"})
	}
	return err
}

var errAllocate = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may not allocate young people to that personal adviser: team managers allocate, to advisers of their own team")
