// Package deliveryplans implements carepath.v1.DeliveryPlanService: the partnership
// board's annual delivery plans and their actions, each led by one organisation whose
// people keep it up to date, with every change kept (who, from which organisation, when,
// why).
//
// Who may do what is a capability of existing roles, not a role of its own: the board's
// members are the council's team managers and administrators and the people of the
// partners the council has an information-sharing agreement with (the agencies that sit on
// the board) while an agreement is in force. They see every action of the council's plans; an action is changed by its
// lead organisation's people, and by the council's administrators, who also create plans
// and actions. Nothing here is about a young person, so nothing needs an audit record of
// access to personal data; the actions' history is their own record.
package deliveryplans

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/idem"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements DeliveryPlanService.
type Server struct {
	pb.UnimplementedDeliveryPlanServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

const orgPrefix = "organisations/"

var (
	errNotMember = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"only the members of the council's partnership board see its delivery plans")
	errNotAdmin = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"only the council's administrators create and change delivery plans")
	errNotLead = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
		"only the people of the action's lead organisation (and the council's administrators) change it")
)

// member reports whether the caller sits on the council's board: its managers and
// administrators, and the people of partners it has an agreement in force with today.
func (s *Server) member(ctx context.Context, tx store.Tx, council string) error {
	c := access.Caller(ctx)
	if c.Organisation == council && c.Has(access.Manager, access.Admin) {
		return nil
	}
	if c.Has(access.Partner, access.PartnerAdmin) {
		ok, err := s.partnerOf(ctx, tx, c.Organisation, council)
		if err != nil || ok {
			return err
		}
	}
	return errNotMember
}

// partnerOf reports whether the organisation has an agreement in force today with the
// council (a council has a handful of agreements).
func (s *Server) partnerOf(ctx context.Context, tx store.Tx, org, council string) (bool, error) {
	today := civil.Today(s.now())
	for after := ""; ; {
		page, err := tx.ListSharingAgreements(ctx, council, after, 500)
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(page, func(a domain.SharingAgreement) bool { return a.PartnerID == org && a.InForce(today) }) {
			return true, nil
		}
		if len(page) < 500 {
			return false, nil
		}
		after = page[len(page)-1].ID
	}
}

func councilAdmin(ctx context.Context, council string) error {
	if c := access.Caller(ctx); c.Organisation == council && c.Has(access.Admin) {
		return nil
	}
	return errNotAdmin
}

// mayChange reports whether the caller may change an action: a board member of its lead
// organisation, or the council's administrator.
func (s *Server) mayChange(ctx context.Context, tx store.Tx, a domain.PlanAction) error {
	if councilAdmin(ctx, a.CouncilID) == nil {
		return nil
	}
	if err := s.member(ctx, tx, a.CouncilID); err != nil {
		return err
	}
	if access.Caller(ctx).Organisation != a.LeadOrganisationID {
		return errNotLead
	}
	return nil
}

func planName(p domain.DeliveryPlan) string {
	return orgPrefix + p.CouncilID + "/deliveryPlans/" + p.ID
}

func planToProto(p domain.DeliveryPlan) *pb.DeliveryPlan {
	return &pb.DeliveryPlan{Name: planName(p), Title: p.Title, Year: int32(p.Year), CreateTime: timestamppb.New(p.CreateTime),
		UpdateTime: timestamppb.New(p.UpdateTime), Etag: convert.Etag(p.Revision)}
}

func actionName(a domain.PlanAction) string {
	return orgPrefix + a.CouncilID + "/deliveryPlans/" + a.PlanID + "/actions/" + a.ID
}

func actionToProto(a domain.PlanAction) *pb.PlanAction {
	out := &pb.PlanAction{Name: actionName(a), Title: a.Title, Ambitions: a.Ambitions, LeadOrganisation: orgPrefix + a.LeadOrganisationID,
		StartDate: convert.Date(a.Start), DueDate: convert.Date(a.Due),
		Status: pb.ActionStatus(pb.ActionStatus_value["ACTION_STATUS_"+string(a.Status)]), Rating: convert.Rating(a.Rating),
		RatingReason: a.RatingReason, Baseline: a.Baseline, Target: a.Target, CreateTime: timestamppb.New(a.CreateTime),
		UpdateTime: timestamppb.New(a.UpdateTime), Etag: convert.Etag(a.Revision)}
	if a.LeadPersonID != "" {
		out.LeadPerson = "people/" + a.LeadPersonID
	}
	if a.Measure != "" {
		out.Measure = "measureDefinitions/" + a.Measure
	}
	for _, p := range a.Progress {
		out.Progress = append(out.Progress, &pb.ProgressUpdate{Date: convert.Date(p.Date), Note: p.Note, Rating: convert.Rating(p.Rating),
			Author: "people/" + p.Author, RecordTime: timestamppb.New(p.RecordTime)})
	}
	return out
}

// fromProto reads the writable fields of an action onto a.
func fromProto(in *pb.PlanAction, a domain.PlanAction) domain.PlanAction {
	a.Title, a.Ambitions = in.GetTitle(), slices.Clone(in.GetAmbitions())
	a.LeadOrganisationID = strings.TrimPrefix(in.GetLeadOrganisation(), orgPrefix)
	a.LeadPersonID = strings.TrimPrefix(in.GetLeadPerson(), "people/")
	a.Start, a.Due = convert.FromDate(in.GetStartDate()), convert.FromDate(in.GetDueDate())
	a.Status = domain.ActionStatus(strings.TrimPrefix(in.GetStatus().String(), "ACTION_STATUS_"))
	if in.GetStatus() == pb.ActionStatus_ACTION_STATUS_UNSPECIFIED {
		a.Status = domain.ActionNotStarted
	}
	a.Rating = convert.FromRating(in.GetRating())
	if in.GetRating() == pb.Rating_RATING_UNSPECIFIED {
		a.Rating = domain.Green
	}
	a.RatingReason, a.Baseline, a.Target = in.GetRatingReason(), in.GetBaseline(), in.GetTarget()
	a.Measure = strings.TrimPrefix(in.GetMeasure(), "measureDefinitions/")
	return a
}

// check refuses an action the board could not hold: no title or due date, dates out of
// order, a measure the council's board does not count, an ambition the council does not name, or a
// lead organisation that is neither the council nor a partner it has an agreement with.
// Of an update (was, the action as it is), the measure, ambitions and lead are checked only
// where they change: a council that later drops a local measure or an ambition, or whose
// agreement with the lead ends, must still be able to record the action's progress and
// retitle it; moving it onto something it does not count is still refused.
func (s *Server) check(ctx context.Context, tx store.Tx, a, was domain.PlanAction) error {
	var v errs.Violations
	if a.Title == "" {
		v.Add("action.title", "is required")
	}
	switch {
	case a.Due.IsZero():
		v.Add("action.due_date", "is required")
	case !a.Due.Valid():
		v.Add("action.due_date", "is not a real calendar date")
	case !a.Start.IsZero() && !a.Start.Valid():
		v.Add("action.start_date", "is not a real calendar date")
	case !a.Start.IsZero() && a.Start.After(a.Due):
		v.Add("action.start_date", "must not be after the due date")
	}
	council, err := s.planner.Council(ctx, tx, a.CouncilID)
	if err != nil {
		return err
	}
	// The measures the council's board counts: the shipped ones and its own.
	if a.Measure != "" && a.Measure != was.Measure && !slices.ContainsFunc(council.Measures, func(m measure.Measure) bool { return m.Key == a.Measure }) {
		v.Add("action.measure", "is not a measure the council's board counts (see measureDefinitions and its pathway settings' localMeasures)")
	}
	for i, k := range a.Ambitions {
		if !slices.Contains(was.Ambitions, k) && !slices.ContainsFunc(council.Catalogue.Ambitions, func(am catalogue.Ambition) bool { return am.Key == k }) {
			v.Add(fmt.Sprintf("action.ambitions[%d]", i), "is not one of the council's ambitions (its pathway settings)")
		}
	}
	if a.LeadOrganisationID == "" {
		v.Add("action.lead_organisation", "is required")
	} else if a.LeadOrganisationID != a.CouncilID && a.LeadOrganisationID != was.LeadOrganisationID {
		ok, err := s.partnerOf(ctx, tx, a.LeadOrganisationID, a.CouncilID)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("action.lead_organisation", "must be the council or a partner it has an information-sharing agreement in force with")
		}
	}
	return v.Err()
}

func (s *Server) CreateDeliveryPlan(ctx context.Context, req *pb.CreateDeliveryPlanRequest) (*pb.DeliveryPlan, error) {
	council := strings.TrimPrefix(req.GetParent(), orgPrefix)
	if err := councilAdmin(ctx, council); err != nil {
		return nil, err
	}
	in := req.GetDeliveryPlan()
	if in.GetTitle() == "" || in.GetYear() == 0 {
		return nil, errs.Invalid(errs.Violation{Field: "delivery_plan.title", Description: "a plan needs a title and a year"})
	}
	now := s.now()
	p := domain.DeliveryPlan{CouncilID: council, ID: req.GetDeliveryPlanId(), Title: in.GetTitle(), Year: int(in.GetYear()),
		CreateTime: now, UpdateTime: now}
	hash := idem.Hash(&pb.CreateDeliveryPlanRequest{Parent: req.GetParent(), DeliveryPlan: in, DeliveryPlanId: req.GetDeliveryPlanId()})
	var out domain.DeliveryPlan
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		prior, err := idem.Claim(ctx, tx, "carepath.v1.DeliveryPlanService/CreateDeliveryPlan/"+council, req.GetRequestId(), hash, p.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetDeliveryPlan(ctx, council, prior)
			return err
		}
		out, err = tx.CreateDeliveryPlan(ctx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return planToProto(out), nil
}

func (s *Server) GetDeliveryPlan(ctx context.Context, req *pb.GetDeliveryPlanRequest) (*pb.DeliveryPlan, error) {
	ids, err := convert.Parse("name", req.GetName(), "organisations", "deliveryPlans")
	if err != nil {
		return nil, err
	}
	var out domain.DeliveryPlan
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, ids[0]); err != nil {
			return err
		}
		out, err = tx.GetDeliveryPlan(ctx, ids[0], ids[1])
		return err
	})
	if err != nil {
		return nil, err
	}
	return planToProto(out), nil
}

func (s *Server) ListDeliveryPlans(ctx context.Context, req *pb.ListDeliveryPlansRequest) (*pb.ListDeliveryPlansResponse, error) {
	council := strings.TrimPrefix(req.GetParent(), orgPrefix)
	after, err := pagetoken.Decode(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var plans []domain.DeliveryPlan
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, council); err != nil {
			return err
		}
		plans, err = tx.ListDeliveryPlans(ctx, council, after, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(plans, size, func(p domain.DeliveryPlan) string { return p.ID }, req.GetParent())
	out := &pb.ListDeliveryPlansResponse{NextPageToken: next}
	for _, p := range page {
		out.DeliveryPlans = append(out.DeliveryPlans, planToProto(p))
	}
	return out, nil
}

func (s *Server) UpdateDeliveryPlan(ctx context.Context, req *pb.UpdateDeliveryPlanRequest) (*pb.DeliveryPlan, error) {
	in := req.GetDeliveryPlan()
	ids, err := convert.Parse("delivery_plan.name", in.GetName(), "organisations", "deliveryPlans")
	if err != nil {
		return nil, err
	}
	if err := councilAdmin(ctx, ids[0]); err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.DeliveryPlan
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetDeliveryPlan(ctx, ids[0], ids[1])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := planToProto(cur)
		mask, err := listing.Changes("delivery_plan", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		if merged.GetTitle() == "" || merged.GetYear() < 2000 {
			return errs.Invalid(errs.Violation{Field: "delivery_plan.title", Description: "a plan needs a title and a year"})
		}
		next := cur
		next.Title, next.Year, next.UpdateTime = merged.GetTitle(), int(merged.GetYear()), s.now()
		out, err = tx.UpdateDeliveryPlan(ctx, next, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	return planToProto(out), nil
}

// record appends a change of an action to its history.
func (s *Server) record(ctx context.Context, tx store.Tx, kind, reason string, fields []string, a domain.PlanAction) error {
	c := access.Caller(ctx)
	_, err := tx.AddActionChange(ctx, domain.ActionChange{ID: uuid.Must(uuid.NewV7()).String(), CouncilID: a.CouncilID,
		PlanID: a.PlanID, ActionID: a.ID, Actor: c.Subject, OrganisationID: c.Organisation, Time: a.UpdateTime, Kind: kind,
		Fields: fields, Reason: reason, After: a})
	return err
}

func (s *Server) CreatePlanAction(ctx context.Context, req *pb.CreatePlanActionRequest) (*pb.PlanAction, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "organisations", "deliveryPlans")
	if err != nil {
		return nil, err
	}
	if err := councilAdmin(ctx, ids[0]); err != nil {
		return nil, err
	}
	now := s.now()
	a := fromProto(req.GetAction(), domain.PlanAction{ID: uuid.Must(uuid.NewV7()).String(), CouncilID: ids[0], PlanID: ids[1],
		CreateTime: now, UpdateTime: now})
	hash := idem.Hash(&pb.CreatePlanActionRequest{Parent: req.GetParent(), Action: req.GetAction()})
	var out domain.PlanAction
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.GetDeliveryPlan(ctx, ids[0], ids[1]); err != nil {
			return err
		}
		if err := s.check(ctx, tx, a, domain.PlanAction{}); err != nil {
			return err
		}
		prior, err := idem.Claim(ctx, tx, "carepath.v1.DeliveryPlanService/CreatePlanAction/"+ids[0], req.GetRequestId(), hash, a.ID, now)
		if err != nil {
			return err
		}
		if prior != "" {
			out, err = tx.GetPlanAction(ctx, ids[0], ids[1], prior)
			return err
		}
		if out, err = tx.CreatePlanAction(ctx, a); err != nil {
			return err
		}
		return s.record(ctx, tx, "CREATE", "created", nil, out)
	})
	if err != nil {
		return nil, err
	}
	return actionToProto(out), nil
}

func parseAction(field, name string) ([]string, error) {
	return convert.Parse(field, name, "organisations", "deliveryPlans", "actions")
}

func (s *Server) GetPlanAction(ctx context.Context, req *pb.GetPlanActionRequest) (*pb.PlanAction, error) {
	ids, err := parseAction("name", req.GetName())
	if err != nil {
		return nil, err
	}
	var out domain.PlanAction
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, ids[0]); err != nil {
			return err
		}
		out, err = tx.GetPlanAction(ctx, ids[0], ids[1], ids[2])
		return err
	})
	if err != nil {
		return nil, err
	}
	return actionToProto(out), nil
}

func (s *Server) ListPlanActions(ctx context.Context, req *pb.ListPlanActionsRequest) (*pb.ListPlanActionsResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "organisations", "deliveryPlans")
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var actions []domain.PlanAction
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, ids[0]); err != nil {
			return err
		}
		actions, err = tx.ListPlanActions(ctx, store.PlanActionQuery{CouncilID: ids[0], PlanID: ids[1], AfterID: after, Limit: size + 1})
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(actions, size, func(a domain.PlanAction) string { return a.ID }, req.GetParent())
	out := &pb.ListPlanActionsResponse{NextPageToken: next}
	for _, a := range page {
		out.Actions = append(out.Actions, actionToProto(a))
	}
	return out, nil
}

func (s *Server) UpdatePlanAction(ctx context.Context, req *pb.UpdatePlanActionRequest) (*pb.PlanAction, error) {
	in := req.GetAction()
	ids, err := parseAction("action.name", in.GetName())
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.PlanAction
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, ids[0]); err != nil { // the same refusal whether or not the action exists
			return err
		}
		cur, err := tx.GetPlanAction(ctx, ids[0], ids[1], ids[2])
		if err != nil {
			return err
		}
		if err := s.mayChange(ctx, tx, cur); err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := actionToProto(cur)
		mask, err := listing.Changes("action", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next := fromProto(merged, cur)
		next.UpdateTime = s.now()
		// Handing an action to another organisation is the board's decision.
		if next.LeadOrganisationID != cur.LeadOrganisationID && councilAdmin(ctx, cur.CouncilID) != nil {
			return errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "only the council's administrators hand an action to another organisation")
		}
		if err := s.check(ctx, tx, next, cur); err != nil {
			return err
		}
		if out, err = tx.UpdatePlanAction(ctx, next, cur.Revision); err != nil {
			return err
		}
		return s.record(ctx, tx, "UPDATE", req.GetReason(), mask.GetPaths(), out)
	})
	if err != nil {
		return nil, err
	}
	return actionToProto(out), nil
}

func (s *Server) AddPlanActionProgress(ctx context.Context, req *pb.AddPlanActionProgressRequest) (*pb.PlanAction, error) {
	ids, err := parseAction("name", req.GetName())
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(req.GetEtag())
	if err != nil {
		return nil, err
	}
	now := s.now()
	day, err := convert.AsOf("date", req.GetDate(), civil.Today(now))
	if err != nil {
		return nil, err
	}
	if day.After(civil.Today(now)) {
		return nil, errs.Invalid(errs.Violation{Field: "date", Description: "must not be after today"})
	}
	var out domain.PlanAction
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, ids[0]); err != nil { // the same refusal whether or not the action exists
			return err
		}
		cur, err := tx.GetPlanAction(ctx, ids[0], ids[1], ids[2])
		if err != nil {
			return err
		}
		if err := s.mayChange(ctx, tx, cur); err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		next := cur
		next.Rating, next.UpdateTime = convert.FromRating(req.GetRating()), now
		if req.GetRatingReason() != "" {
			next.RatingReason = req.GetRatingReason()
		}
		next.Progress = append(slices.Clone(cur.Progress), domain.ProgressUpdate{Date: day, Note: req.GetNote(), Rating: next.Rating,
			Author: access.Caller(ctx).Subject, RecordTime: now})
		if out, err = tx.UpdatePlanAction(ctx, next, cur.Revision); err != nil {
			return err
		}
		return s.record(ctx, tx, "PROGRESS", req.GetNote(), []string{"progress", "rating"}, out)
	})
	if err != nil {
		return nil, err
	}
	return actionToProto(out), nil
}

func (s *Server) ListPlanActionChanges(ctx context.Context, req *pb.ListPlanActionChangesRequest) (*pb.ListPlanActionChangesResponse, error) {
	ids, err := parseAction("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	after, err := listing.AfterID(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	size := listing.PageSize(req.GetPageSize())
	var changes []domain.ActionChange
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if err := s.member(ctx, tx, ids[0]); err != nil {
			return err
		}
		if _, err := tx.GetPlanAction(ctx, ids[0], ids[1], ids[2]); err != nil {
			return err
		}
		changes, err = tx.ListActionChanges(ctx, ids[2], after, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next := listing.Next(changes, size, func(c domain.ActionChange) string { return c.ID }, req.GetParent())
	out := &pb.ListPlanActionChangesResponse{NextPageToken: next}
	for _, c := range page {
		out.Changes = append(out.Changes, &pb.PlanActionChange{Name: req.GetParent() + "/changes/" + c.ID, Actor: convert.ActorName(c.Actor),
			Organisation: orgPrefix + c.OrganisationID, ChangeTime: timestamppb.New(c.Time), Kind: c.Kind, Fields: c.Fields,
			Reason: c.Reason, Action: actionToProto(c.After)})
	}
	return out, nil
}
