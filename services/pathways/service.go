// Package pathways implements carepath.v1.PathwaysService: young people's pathways, their
// milestones and the lifecycle of each milestone.
package pathways

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements PathwaysService.
type Server struct {
	pb.UnimplementedPathwaysServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

func (s *Server) GetPathway(ctx context.Context, req *pb.GetPathwayRequest) (*pb.Pathway, error) {
	ids, err := convert.ParseSingleton("name", req.GetName(), "pathway", "youngPeople")
	if err != nil {
		return nil, err
	}
	today := civil.Today(s.now())
	var (
		state store.PathwayState
		rule  civil.LeaplingRule
	)
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		if state, err = access.Timeline(ctx, tx, ids[0]); err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, s.now(), access.DirectCare, state.YoungPerson.CouncilID, state.YoungPerson.ID); err != nil {
			return err
		}
		rule, err = tx.LeaplingRule(ctx, state.YoungPerson.CouncilID)
		return err
	})
	if err != nil {
		return nil, err
	}
	yp, episodes, milestones := state.YoungPerson, state.Episodes, state.Milestones
	status := carestatus.Derive(yp.DateOfBirth, domain.StatusEpisodes(episodes), today, rule, yp.StatusCircumstances())
	out := &pb.Pathway{
		Name:               req.GetName(),
		AsOf:               convert.Date(today),
		Age:                convert.Age(yp.DateOfBirth, today, rule),
		KeyDates:           convert.KeyDates(yp.DateOfBirth, rule),
		CareLeaverCategory: convert.Category(status.Category),
		Counts:             &pb.Pathway_Counts{},
		CatalogueVersion:   s.planner.Catalogue().Version,
		Timeline:           make([]*pb.Milestone, 0, len(milestones)),
	}
	// Each milestone counted in the whole and in its area, and named in its area by the name
	// its timeline entry already has. The areas' lists of names share one slice, each area
	// its part of it, sized by a count first rather than grown.
	perArea := make(map[string]int, len(catalogue.Areas))
	for _, m := range milestones {
		perArea[m.Area]++
	}
	names := make([]string, 0, len(milestones))
	groups := make(map[string]*pb.Pathway_AreaGroup, len(perArea))
	render := newRenderer(len(milestones))
	for _, m := range milestones {
		pm := render.milestone(m, today)
		out.Timeline = append(out.Timeline, pm)
		g := groups[m.Area]
		if g == nil {
			n := len(names)
			names = names[:n+perArea[m.Area]]
			g = &pb.Pathway_AreaGroup{Area: pm.GetArea(), Counts: &pb.Pathway_Counts{}, Milestones: names[n:n:len(names)]}
			groups[m.Area] = g
		}
		count(out.Counts, m, today)
		count(g.Counts, m, today)
		g.Milestones = append(g.Milestones, pm.GetName())
	}
	out.Areas = make([]*pb.Pathway_AreaGroup, 0, len(groups))
	for _, area := range catalogue.Areas {
		if g := groups[string(area)]; g != nil {
			out.Areas = append(out.Areas, g)
		}
	}
	return out, nil
}

func (s *Server) GetMilestone(ctx context.Context, req *pb.GetMilestoneRequest) (*pb.Milestone, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople", "milestones")
	if err != nil {
		return nil, err
	}
	var m domain.Milestone
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		yp, err := access.YoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if m, err = tx.GetMilestone(ctx, ids[0], ids[1]); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return toProto(m, civil.Today(s.now())), nil
}

// filterFields are the fields of ListMilestonesRequest.filter. overdue is derived, as of
// today: applicable, open, due before today and lapsing after it (domain.Milestone.Overdue).
func filterFields(today civil.Date) map[string]listing.Field {
	states := make([]string, len(domain.MilestoneStates))
	for i, st := range domain.MilestoneStates {
		states[i] = string(st)
	}
	enum := func(values map[string]int32) func(string) (string, bool) {
		var names []string
		for name, n := range values {
			if n != 0 {
				names = append(names, name)
			}
		}
		return listing.OneOf(names...)
	}
	return map[string]listing.Field{
		"due_date":           {Type: query.Date},
		"lapse_date":         {Type: query.Date},
		"state":              {Type: query.String, Value: listing.OneOf(states...)},
		"area":               {Type: query.String, Value: enum(pb.MilestoneDefinition_Area_value)},
		"owner_agency_type":  {Type: query.String, Value: enum(pb.MilestoneDefinition_AgencyType_value)},
		"owner_organisation": {Type: query.String, Value: listing.NameValue("organisations/")},
		"council":            {Type: query.String, Value: listing.NameValue("organisations/")},
		"personal_adviser":   {Type: query.String, Value: listing.NameValue("people/")},
		"definition":         {Type: query.String, Value: listing.NameValue("milestoneDefinitions/")},
		"applicable":         {Type: query.Bool},
		"overdue": {Type: query.Bool, Expand: func(overdue bool) query.Expr {
			var open query.Expr
			for _, st := range domain.OpenStates {
				eq := query.Compare{Field: "state", Op: query.Eq, Value: string(st)}
				if open == nil {
					open = eq
				} else {
					open = query.Or{Left: open, Right: eq}
				}
			}
			e := query.Expr(query.And{
				Left: query.And{Left: query.Compare{Field: "applicable", Op: query.Eq, Value: true}, Right: open},
				Right: query.And{
					Left:  query.Compare{Field: "due_date", Op: query.Lt, Value: today},
					Right: query.Compare{Field: "lapse_date", Op: query.Gt, Value: today},
				},
			})
			if !overdue {
				e = query.Not{X: e}
			}
			return e
		}},
	}
}

func (s *Server) ListMilestones(ctx context.Context, req *pb.ListMilestonesRequest) (*pb.ListMilestonesResponse, error) {
	youngPersonID := strings.TrimPrefix(req.GetParent(), "youngPeople/")
	if youngPersonID == "-" {
		youngPersonID = ""
	}
	today := civil.Today(s.now())
	filter, err := listing.Filter(req.GetFilter(), filterFields(today))
	if err != nil {
		return nil, err
	}
	after, err := decodeCursor(req.GetPageToken(), req.GetParent(), req.GetFilter())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.Milestone
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		scope := access.Scope(ctx)
		if youngPersonID != "" {
			if _, err = access.YoungPerson(ctx, tx, youngPersonID); err != nil {
				return err
			}
		}
		page, err = tx.ListMilestones(ctx, store.MilestoneQuery{YoungPersonID: youngPersonID, Filter: filter,
			After: after, Limit: size + 1, Scope: scope})
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(page))
		for _, m := range page[:min(size, len(page))] {
			ids = append(ids, m.YoungPersonID)
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, scope.CouncilID, ids...)
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListMilestonesResponse{}
	page, resp.NextPageToken = listing.Next(page, size,
		func(m domain.Milestone) string { return m.DueDate.String() + "|" + m.ID }, req.GetParent(), req.GetFilter())
	render := newRenderer(len(page))
	for _, m := range page {
		resp.Milestones = append(resp.Milestones, render.milestone(m, today))
	}
	return resp, nil
}

func decodeCursor(token string, query ...string) (store.MilestoneCursor, error) {
	raw, err := pagetoken.Decode(token, query...)
	if err != nil || raw == "" {
		return store.MilestoneCursor{}, err
	}
	due, id, _ := strings.Cut(raw, "|")
	d, err := civil.Parse(due)
	if err != nil || !convert.IsUUID(id) {
		return store.MilestoneCursor{}, pagetoken.Invalid()
	}
	return store.MilestoneCursor{DueDate: d, ID: id}, nil
}

const createScope = "carepath.v1.PathwaysService/CreateMilestone"

func (s *Server) CreateMilestone(ctx context.Context, req *pb.CreateMilestoneRequest) (*pb.Milestone, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	in := req.GetMilestone()
	now := s.now()
	m := domain.Milestone{
		ID: uuid.Must(uuid.NewV7()).String(), YoungPersonID: ids[0], Title: in.GetTitle(),
		Description: in.GetDescription(), Area: in.GetArea().String(), OwnerAgency: in.GetOwnerAgencyType().String(),
		DueDate: convert.FromDate(in.GetDueDate()), Applicable: true, State: domain.Planned,
		CreateTime: now, UpdateTime: now,
	}
	var v errs.Violations
	if m.Title == "" {
		v.Add("milestone.title", "is required")
	}
	if in.GetArea() == pb.MilestoneDefinition_AREA_UNSPECIFIED {
		v.Add("milestone.area", "is required")
	}
	if in.GetOwnerAgencyType() == pb.MilestoneDefinition_AGENCY_TYPE_UNSPECIFIED {
		v.Add("milestone.owner_agency_type", "is required")
	}
	if !m.DueDate.Valid() {
		v.Add("milestone.due_date", "is required and must be a real calendar date")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash := requestHash(req)
	var out domain.Milestone
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		rule, err := tx.LeaplingRule(ctx, yp.CouncilID)
		if err != nil {
			return err
		}
		// A one-off milestone lapses when support ends.
		m.LapseDate = civil.Attains(yp.DateOfBirth, civil.Period{Years: 25}, rule)
		if !m.LapseDate.After(m.DueDate) {
			return errs.Invalid(errs.Violation{Field: "milestone.due_date", Description: "is after the young person's 25th birthday"})
		}
		prior, err := idem.Claim(ctx, tx, createScope, req.GetRequestId(), hash, m.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetMilestone(ctx, ids[0], prior)
			return err
		}
		if out, err = tx.CreateMilestone(ctx, m); err != nil {
			return err
		}
		if _, err = tx.AddMilestoneChange(ctx, domain.MilestoneChange{MilestoneID: out.ID, YoungPersonID: out.YoungPersonID,
			Action: "CreateMilestone", FromState: domain.Planned, ToState: domain.Planned, Actor: principal.Actor(ctx), Time: now}); err != nil {
			return err
		}
		// Like every milestone change: reminders raised and readiness reassessed at once.
		// (Nothing is timed from a one-off milestone, so there is nothing to replan.)
		return s.followUp(ctx, tx, out, false)
	})
	if err != nil {
		return nil, err
	}
	return toProto(out, civil.Today(now)), nil
}

func requestHash(req *pb.CreateMilestoneRequest) []byte {
	c := proto.CloneOf(req)
	c.RequestId = ""
	return idem.Hash(c)
}
