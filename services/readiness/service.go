// Package readiness implements carepath.v1.ReadinessService: the facts readiness depends on,
// each young person's cliff-edge assessment, and the council's view of who is not ready for
// 18 and who must fix it. Assessments come from domain/readiness over the same milestones
// and facts the pathway shows; the council's view reads the summaries the planner keeps.
package readiness

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	rd "github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements ReadinessService.
type Server struct {
	pb.UnimplementedReadinessServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, now: now}
}

// latest is each kind's latest record, as the assessment reads facts.
func latest(records []domain.Fact) map[string]domain.Fact {
	out := map[string]domain.Fact{}
	for _, f := range records {
		if cur, ok := out[f.Key]; !ok || !f.RecordTime.Before(cur.RecordTime) {
			out[f.Key] = f
		}
	}
	return out
}

func factToProto(youngPerson string, kind rd.FactKind, f *domain.Fact) *pb.Fact {
	out := &pb.Fact{Name: youngPerson + "/facts/" + kind.Key, Title: kind.Title}
	for _, p := range kind.Purposes {
		if kind.VisibleTo(p) {
			out.PartnerPurposes = append(out.PartnerPurposes, pb.SharingAgreement_Purpose(pb.SharingAgreement_Purpose_value[string(p)]))
		}
	}
	if f != nil {
		out.Recorded, out.Value, out.EffectiveDate = true, f.Value, convert.Date(f.EffectiveDate)
		out.EvidenceType, out.Note, out.RecordedBy = convert.EvidenceType(f.EvidenceType), f.Note, convert.ActorName(f.RecordedBy)
		out.Organisation, out.RecordTime = "organisations/"+f.OrganisationID, timestamppb.New(f.RecordTime)
	}
	return out
}

func (s *Server) ListFacts(ctx context.Context, req *pb.ListFactsRequest) (*pb.ListFactsResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople")
	if err != nil {
		return nil, err
	}
	after, err := pagetoken.Decode(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	var records []domain.Fact
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		yp, err := access.YoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if records, err = tx.ListFacts(ctx, yp.ID); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	current := latest(records)
	page, next := listing.PageOf(rd.FactKinds, after, listing.PageSize(req.GetPageSize()),
		func(k rd.FactKind) string { return k.Key }, req.GetParent())
	resp := &pb.ListFactsResponse{NextPageToken: next}
	for _, kind := range page {
		var f *domain.Fact
		if rec, ok := current[kind.Key]; ok {
			f = &rec
		}
		resp.Facts = append(resp.Facts, factToProto(req.GetParent(), kind, f))
	}
	return resp, nil
}

func (s *Server) RecordFact(ctx context.Context, req *pb.RecordFactRequest) (*pb.Fact, error) {
	ids, err := convert.Parse("name", req.GetName(), "youngPeople", "facts")
	if err != nil {
		return nil, err
	}
	now := s.now()
	f := convert.NewFact(ctx, ids[0], ids[1], req.GetValue(), req.GetEffectiveDate(), req.GetEvidenceType(), now)
	f.Note = req.GetNote()
	if err := rd.ValidateFact(f, civil.Today(now)); err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if f, err = tx.AddFact(ctx, f); err != nil {
			return err
		}
		if err := s.planner.Reassess(ctx, tx, yp.ID); err != nil {
			return err
		}
		return access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	kind, _ := rd.LookupFact(f.Key)
	return factToProto("youngPeople/"+ids[0], kind, &f), nil
}

func (s *Server) GetCliffEdgeAssessment(ctx context.Context, req *pb.GetCliffEdgeAssessmentRequest) (*pb.CliffEdgeAssessment, error) {
	ids, err := convert.ParseSingleton("name", req.GetName(), "cliffEdgeAssessment", "youngPeople")
	if err != nil {
		return nil, err
	}
	now := s.now()
	asOf, err := convert.AsOf("as_of", req.GetAsOf(), civil.Today(now))
	if err != nil {
		return nil, err
	}
	var a rd.Assessment
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		state, err := access.Pathway(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		inputs, err := s.planner.InputsOf(ctx, tx, asOf, state)
		if err != nil {
			return err
		}
		a = rd.CliffEdge(inputs[0])
		yp := state.YoungPerson
		return access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	return assessmentToProto(req.GetName(), a), nil
}

func assessmentToProto(name string, a rd.Assessment) *pb.CliffEdgeAssessment {
	out := &pb.CliffEdgeAssessment{Name: name, AsOf: convert.Date(a.AsOf), EighteenthBirthday: convert.Date(a.EighteenthBirthday),
		CheckDate: convert.Date(a.CheckDate), Rating: convert.Rating(a.Rating), Rule: a.Rule, Explanation: a.Explanation}
	if a.ValidUntil.Year < 9999 {
		out.ValidUntil = convert.Date(a.ValidUntil)
	}
	for _, r := range a.Checks {
		c := &pb.CliffEdgeCheck{Check: r.Check.Key, Title: r.Check.Title, Status: convert.CheckStatus(r.Status), Reason: r.Reason,
			OwnerAgencyType: string(r.Check.Owner), FixBy: convert.Date(r.FixBy), Overdue: r.Overdue, Hard: r.Check.Hard,
			Basis: r.Check.Basis, Sources: r.Check.Sources}
		c.Ambitions = r.Ambitions
		for _, f := range r.Findings {
			pf := &pb.CliffEdgeFinding{Ref: f.Ref, Title: f.Title, Status: convert.CheckStatus(f.Status), DueDate: convert.Date(f.Due),
				Overdue: f.Overdue, Reason: f.Reason}
			if f.Provenance != nil {
				pf.Provenance, pf.RecordedBy = convert.Provenance(*f.Provenance), convert.ActorName(f.Provenance.RecordedBy)
			}
			c.Findings = append(c.Findings, pf)
		}
		out.Checks = append(out.Checks, c)
	}
	return out
}

var errNotYourCouncil = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "you may see your own council's young people only")

// query turns a view into a store query, as of today, for the caller's scope; ok is false
// for a view that can hold no one (a team without advisers, green adults "with gaps").
func (s *Server) query(ctx context.Context, tx store.Tx, parent string, v *pb.CliffEdgeView, today civil.Date) (q store.ReadinessQuery, ok bool, err error) {
	caller := access.Caller(ctx)
	if parent != "organisations/"+caller.Organisation {
		return q, false, errNotYourCouncil
	}
	q = store.ReadinessQuery{Scope: access.Scope(ctx), Check: v.GetCheck()}
	if caller.Has(access.Admin) && !caller.Has(access.PA, access.Manager) {
		q.Scope = &store.Scope{CouncilID: caller.Organisation, WholeCouncil: true} // counts only: see the policy
	}
	if q.Check != "" {
		if _, ok := rd.LookupCheck(q.Check); !ok {
			return q, false, errs.Invalid(errs.Violation{Field: "view.check", Description: "is not a cliff-edge check"})
		}
	}
	for _, r := range v.GetRatings() {
		q.Ratings = append(q.Ratings, convert.FromRating(r))
	}
	switch v.GetPopulation() {
	case pb.CliffEdgeView_ADULTS_WITH_GAPS:
		// 18th birthday passed, 25th not yet: born after today less 25 years.
		q.EighteenthFrom, q.EighteenthTo = today.Sub(civil.Period{Years: 7}, civil.MarchFirst).AddDays(1), today
		if len(q.Ratings) == 0 {
			q.Ratings = []domain.Rating{domain.Red, domain.Amber}
		}
		q.Ratings = slices.DeleteFunc(q.Ratings, func(r domain.Rating) bool { return r == domain.Green })
		if len(q.Ratings) == 0 {
			return q, false, nil // green adults have no gap
		}
	default:
		days := int(v.GetWithinDays())
		if days == 0 {
			days = 90
		}
		q.EighteenthFrom, q.EighteenthTo = today, today.AddDays(days-1)
	}
	if v.GetPersonalAdviser() != "" {
		q.AdviserIDs = []string{strings.TrimPrefix(v.GetPersonalAdviser(), "people/")}
	}
	if v.GetTeam() != "" {
		team, err := access.TeamAdvisers(ctx, tx, caller.Organisation, v.GetTeam())
		if err != nil {
			return q, false, err
		}
		if q.AdviserIDs != nil {
			team = slices.DeleteFunc(team, func(id string) bool { return id != q.AdviserIDs[0] })
		}
		if len(team) == 0 {
			return q, false, nil
		}
		q.AdviserIDs = team
	}
	return q, true, nil
}

var orders = map[string]store.ReadinessOrder{"": store.ByEighteenthBirthday, "eighteenth_birthday": store.ByEighteenthBirthday,
	"fix_by": store.ByFixBy, "rating": store.ByRating}

// sortValue is an entry's value in the order, as the store's cursor holds it.
func sortValue(o store.ReadinessOrder, sum domain.ReadinessSummary) string {
	switch o {
	case store.ByFixBy:
		if sum.FixBy.IsZero() {
			return "9999-12-31"
		}
		return sum.FixBy.String()
	case store.ByRating:
		return strconv.Itoa(sum.Rating.Rank())
	}
	return sum.EighteenthBirthday.String()
}

// refresh reassesses the council's summaries that time (or new rules) has overtaken since
// the background refresher last ran, so that the view is today's.
func (s *Server) refresh(ctx context.Context) error {
	_, err := s.planner.RefreshOvertaken(ctx, s.store, access.Caller(ctx).Organisation, 500)
	return err
}

func (s *Server) ListCliffEdgeAssessments(ctx context.Context, req *pb.ListCliffEdgeAssessmentsRequest) (*pb.ListCliffEdgeAssessmentsResponse, error) {
	order := orders[req.GetOrderBy()]
	fingerprint := []string{req.GetParent(), req.GetView().String(), string(order)}
	raw, err := pagetoken.Decode(req.GetPageToken(), fingerprint...)
	if err != nil {
		return nil, err
	}
	var after store.ReadinessCursor
	if raw != "" {
		value, id, _ := strings.Cut(raw, "|")
		if !convert.IsUUID(id) {
			return nil, pagetoken.Invalid()
		}
		after = store.ReadinessCursor{Value: value, YoungPersonID: id}
	}
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	today := civil.Today(now)
	size := listing.PageSize(req.GetPageSize())
	resp := &pb.ListCliffEdgeAssessmentsResponse{AsOf: convert.Date(today)}
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		q, ok, err := s.query(ctx, tx, req.GetParent(), req.GetView(), today)
		if err != nil || !ok {
			return err
		}
		if raw == "" { // counted once, on the first page: the count costs more than a page
			counts, err := tx.CountReadiness(ctx, q)
			if err != nil {
				return err
			}
			resp.TotalSize = int32(counts.Total)
		}
		q.Order, q.After, q.Limit = order, after, size+1
		page, err := tx.ListReadiness(ctx, q)
		if err != nil {
			return err
		}
		page, resp.NextPageToken = listing.Next(page, size, func(e store.ReadinessEntry) string {
			return sortValue(order, e.Summary) + "|" + e.YoungPerson.ID
		}, fingerprint...)
		ids := make([]string, len(page))
		for i, e := range page {
			ids[i] = e.YoungPerson.ID
			resp.Entries = append(resp.Entries, entryToProto(e))
		}
		return access.Audit(ctx, tx, now, access.DirectCare, access.Caller(ctx).Organisation, ids...)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func entryToProto(e store.ReadinessEntry) *pb.CliffEdgeEntry {
	yp, sum := e.YoungPerson, e.Summary
	out := &pb.CliffEdgeEntry{YoungPerson: "youngPeople/" + yp.ID, GivenName: yp.GivenName, FamilyName: yp.FamilyName,
		PreferredName: yp.PreferredName, EighteenthBirthday: convert.Date(sum.EighteenthBirthday), Rating: convert.Rating(sum.Rating),
		FailingChecks: sum.FailingChecks, FixBy: convert.Date(sum.FixBy), AssessedOn: convert.Date(sum.AssessedOn)}
	if yp.PersonalAdviserID != "" {
		out.PersonalAdviser = "people/" + yp.PersonalAdviserID
	}
	return out
}

func (s *Server) SummarizeCliffEdge(ctx context.Context, req *pb.SummarizeCliffEdgeRequest) (*pb.CliffEdgeSummary, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	today := civil.Today(s.now())
	var (
		counts  store.ReadinessCounts
		council planner.Council
	)
	err := s.store.InRead(ctx, func(tx store.Tx) error {
		q, ok, err := s.query(ctx, tx, req.GetParent(), req.GetView(), today)
		if err != nil {
			return err
		}
		if council, err = s.planner.Council(ctx, tx, access.Caller(ctx).Organisation); err != nil {
			return err
		}
		if ok {
			if counts, err = tx.CountReadiness(ctx, q); err != nil {
				return err
			}
		}
		// Counts name no one but are read from young people's data: recorded, naming none.
		purpose := access.DirectCare
		if !access.Caller(ctx).Has(access.PA, access.Manager) {
			purpose = access.Reporting
		}
		return access.AuditSummary(ctx, tx, s.now(), purpose, q.Scope.CouncilID)
	})
	if err != nil {
		return nil, err
	}
	out := &pb.CliffEdgeSummary{Total: int32(counts.Total), Red: int32(counts.ByRating[domain.Red]),
		Amber: int32(counts.ByRating[domain.Amber]), Green: int32(counts.ByRating[domain.Green]), AsOf: convert.Date(today)}
	for _, c := range rd.Checks {
		out.ByCheck = append(out.ByCheck, &pb.CliffEdgeSummary_Count{Key: c.Key, Title: c.Title, Count: int32(counts.ByCheck[c.Key])})
	}
	for _, am := range council.Catalogue.Ambitions {
		out.ByAmbition = append(out.ByAmbition, &pb.CliffEdgeSummary_Count{Key: am.Key, Title: am.Title, Count: int32(counts.ByAmbition[am.Key])})
	}
	return out, nil
}
