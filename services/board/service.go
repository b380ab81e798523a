// Package board implements carepath.v1.BoardService: the partnership board's report of a
// council's outcome measures (domain/measure, counted set based by the store), with their
// monthly trend, by team, grouped by Ofsted's care-leaver judgement and the council's
// ambitions, and the cliff-edge summary. Every count leaves through domain/board's
// suppression; no young person is ever named. render.go writes the same report as CSV and
// as a printable page.
package board

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	bd "github.com/carepath/carepath/internal/domain/board"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

// Server implements BoardService.
type Server struct {
	pb.UnimplementedBoardServiceServer
	store    store.Store
	planner  *planner.Planner
	measures *measure.Catalogue
	now      func() time.Time
}

// New returns the service, computing the shipped measures.
func New(s store.Store, p *planner.Planner, now func() time.Time) *Server {
	return &Server{store: s, planner: p, measures: measure.Default(), now: now}
}

func (s *Server) ListMeasureDefinitions(context.Context, *pb.ListMeasureDefinitionsRequest) (*pb.ListMeasureDefinitionsResponse, error) {
	out := &pb.ListMeasureDefinitionsResponse{CatalogueVersion: s.measures.Version}
	for _, m := range s.measures.Measures {
		out.MeasureDefinitions = append(out.MeasureDefinitions, definition(m))
	}
	return out, nil
}

func definition(m measure.Measure) *pb.MeasureDefinition {
	return &pb.MeasureDefinition{Name: "measureDefinitions/" + m.Key, Key: m.Key, Title: m.Title,
		OfstedGroup: pb.OfstedGroup(pb.OfstedGroup_value["OFSTED_GROUP_"+string(m.Ofsted)]), Definition: m.Definition,
		Numerator: m.Numerator, Denominator: m.Denominator, Source: m.Source, LowerIsBetter: m.LowerIsBetter,
		Milestones: m.Milestones(), Local: strings.HasPrefix(m.Key, catalogue.LocalPrefix)}
}

var errNotYourCouncil = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "you may see your own council's board report only")

// maxPeriod is the longest trend a report draws: five years of months.
var maxPeriod = civil.Period{Years: 5}

// period reads the report's dates: as of a day not after today, and a trend from a day
// at most five years before it.
func period(req *pb.GetBoardReportRequest, today civil.Date) (asOf, start civil.Date, err error) {
	if asOf, err = convert.AsOf("as_of", req.GetAsOf(), today); err != nil {
		return asOf, start, err
	}
	if asOf.After(today) {
		return asOf, start, errs.Invalid(errs.Violation{Field: "as_of", Description: "must not be after today"})
	}
	start = civil.New(asOf.Year, asOf.Month, 1).Sub(civil.Period{Months: 11}, civil.MarchFirst)
	if req.GetPeriodStart() != nil {
		start = convert.FromDate(req.GetPeriodStart())
		switch {
		case !start.Valid():
			return asOf, start, errs.Invalid(errs.Violation{Field: "period_start", Description: "is not a real calendar date"})
		case start.After(asOf):
			return asOf, start, errs.Invalid(errs.Violation{Field: "period_start", Description: "must not be after as_of"})
		case start.Before(asOf.Sub(maxPeriod, civil.MarchFirst)):
			return asOf, start, errs.Invalid(errs.Violation{Field: "period_start", Description: "must be at most five years before as_of"})
		}
	}
	return asOf, start, nil
}

func (s *Server) GetBoardReport(ctx context.Context, req *pb.GetBoardReportRequest) (*pb.BoardReport, error) {
	caller := access.Caller(ctx)
	council := strings.TrimSuffix(strings.TrimPrefix(req.GetName(), "organisations/"), "/boardReport")
	if council != caller.Organisation {
		return nil, errNotYourCouncil
	}
	today := civil.Today(s.now())
	asOf, start, err := period(req, today)
	if err != nil {
		return nil, err
	}
	dates := measure.MonthEnds(start, asOf)
	var (
		org      domain.Organisation
		settings planner.Council
		counts   []store.MeasureCount
		cliff    store.ReadinessCounts
		agencies []store.AgencyCount
		plan     domain.DeliveryPlan
		actions  []domain.PlanAction
		names    = map[string]string{}
	)
	err = s.store.InRead(ctx, func(tx store.Tx) error {
		if org, err = tx.GetOrganisation(ctx, council); err != nil {
			return err
		}
		if settings, err = s.planner.Council(ctx, tx, council); err != nil {
			return err
		}
		// The council's measures, as the planner keeps its young people's standings in them.
		q := store.MeasureQuery{CouncilID: council, Measures: settings.Measures, Dates: dates, Rule: settings.Settings.LeaplingRule}
		if counts, err = tx.CountMeasures(ctx, q); err != nil {
			return err
		}
		// The cliff edge: those turning 18 in the next six months (aged 17½ to 18).
		if cliff, err = tx.CountReadiness(ctx, store.ReadinessQuery{Scope: &store.Scope{CouncilID: council, WholeCouncil: true},
			EighteenthFrom: today.AddDays(1), EighteenthTo: today.Add(civil.Period{Months: 6}, civil.MarchFirst)}); err != nil {
			return err
		}
		if agencies, err = tx.CountAgencies(ctx, council, asOf); err != nil {
			return err
		}
		if plan, actions, err = planOf(ctx, tx, council, req.GetDeliveryPlan(), asOf); err != nil {
			return err
		}
		if err := displayNames(ctx, tx, names, agencies, actions); err != nil {
			return err
		}
		// Counts name no one but are read from young people's data: recorded, naming none.
		return access.AuditSummary(ctx, tx, s.now(), access.Reporting, council)
	})
	if err != nil {
		return nil, err
	}
	out := &pb.BoardReport{Name: req.GetName(), CouncilDisplayName: org.DisplayName, AsOf: convert.Date(asOf),
		PeriodStart: convert.Date(start), CatalogueVersion: s.measures.Version, CliffEdge: &pb.BoardCliffEdge{
			AsOf: convert.Date(today), Total: boardCount(bd.Suppress(cliff.Total)), Red: boardCount(bd.Suppress(cliff.ByRating[domain.Red])),
			Amber: boardCount(bd.Suppress(cliff.ByRating[domain.Amber])), Green: boardCount(bd.Suppress(cliff.ByRating[domain.Green]))}}
	for _, a := range settings.Catalogue.Ambitions {
		out.Ambitions = append(out.Ambitions, &pb.BoardAmbition{Key: a.Key, Title: a.Title})
	}
	if plan.ID != "" {
		out.DeliveryPlan = "organisations/" + council + "/deliveryPlans/" + plan.ID
	}
	for _, a := range actions {
		out.Actions = append(out.Actions, &pb.BoardAction{Name: actionName(a), Title: a.Title, Ambitions: a.Ambitions,
			LeadOrganisation: "organisations/" + a.LeadOrganisationID, LeadOrganisationDisplayName: names[a.LeadOrganisationID],
			DueDate: convert.Date(a.Due), Status: pb.ActionStatus(pb.ActionStatus_value["ACTION_STATUS_"+string(a.Status)]),
			Rating: convert.Rating(a.Rating), RatingReason: a.RatingReason, Measure: measureName(a.Measure), Baseline: a.Baseline, Target: a.Target})
	}
	out.Agencies = agencyTable(council, agencies, actions, names)
	totals, teams := sum(counts)
	for _, m := range bd.Ordered(settings.Measures) {
		bm := &pb.BoardMeasure{Definition: definition(m), Ambitions: bd.Ambitions(m, settings.Catalogue.Ambitions),
			Value: value(totals[point{m.Key, asOf}])}
		for _, d := range dates {
			bm.Trend = append(bm.Trend, &pb.BoardMeasure_Point{AsOf: convert.Date(d), Value: value(totals[point{m.Key, d}])})
		}
		for _, c := range teams {
			if c.Measure == m.Key && c.AsOf == asOf {
				bm.ByTeam = append(bm.ByTeam, &pb.BoardMeasure_Team{Team: c.Team, Value: value(c)})
			}
		}
		for _, a := range actions {
			if a.Measure == m.Key {
				bm.Targets = append(bm.Targets, &pb.BoardMeasure_Target{Action: actionName(a), Baseline: a.Baseline, Target: a.Target,
					DueDate: convert.Date(a.Due)})
			}
		}
		out.Measures = append(out.Measures, bm)
	}
	return out, nil
}

type point struct {
	measure string
	asOf    civil.Date
}

// sum adds the teams' counts up to the council's, and returns the teams' in team order.
func sum(counts []store.MeasureCount) (map[point]store.MeasureCount, []store.MeasureCount) {
	totals := map[point]store.MeasureCount{}
	for _, c := range counts {
		t := totals[point{c.Measure, c.AsOf}]
		t.Cohort, t.Count = t.Cohort+c.Cohort, t.Count+c.Count
		totals[point{c.Measure, c.AsOf}] = t
	}
	teams := slices.Clone(counts)
	slices.SortFunc(teams, func(a, b store.MeasureCount) int { return cmp.Compare(a.Team, b.Team) })
	return totals, teams
}

func value(c store.MeasureCount) *pb.MeasureValue {
	v := bd.Publish(c.Count, c.Cohort)
	return &pb.MeasureValue{Count: boardCount(v.Count), Cohort: boardCount(v.Cohort), Rate: v.Rate, RateWithheld: v.RateWithheld}
}

func boardCount(c bd.Count) *pb.BoardCount {
	return &pb.BoardCount{Value: int32(c.Value), Withheld: c.Withheld, Display: c.Display}
}

func actionName(a domain.PlanAction) string {
	return "organisations/" + a.CouncilID + "/deliveryPlans/" + a.PlanID + "/actions/" + a.ID
}

func measureName(key string) string {
	if key == "" {
		return ""
	}
	return "measureDefinitions/" + key
}

// planOf returns the delivery plan a report shows, with its actions: the one named, or
// the council's plan of the latest year not after asOf's (none if it has none).
func planOf(ctx context.Context, tx store.Tx, council, name string, asOf civil.Date) (domain.DeliveryPlan, []domain.PlanAction, error) {
	var plan domain.DeliveryPlan
	if name != "" {
		c, id, _ := strings.Cut(strings.TrimPrefix(name, "organisations/"), "/deliveryPlans/")
		if c != council {
			return plan, nil, errs.Invalid(errs.Violation{Field: "delivery_plan", Description: "must be a plan of the report's council"})
		}
		p, err := tx.GetDeliveryPlan(ctx, council, id)
		if err != nil {
			return plan, nil, err
		}
		plan = p
	} else {
		for after := ""; ; {
			page, err := tx.ListDeliveryPlans(ctx, council, after, 500)
			if err != nil {
				return plan, nil, err
			}
			for _, p := range page {
				if p.Year <= asOf.Year && (plan.ID == "" || p.Year > plan.Year) {
					plan = p
				}
			}
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1].ID
		}
		if plan.ID == "" {
			return plan, nil, nil
		}
	}
	var actions []domain.PlanAction
	for after := ""; ; {
		page, err := tx.ListPlanActions(ctx, store.PlanActionQuery{CouncilID: council, PlanID: plan.ID, AfterID: after, Limit: 500})
		if err != nil {
			return plan, nil, err
		}
		actions = append(actions, page...)
		if len(page) < 500 {
			return plan, actions, nil
		}
		after = page[len(page)-1].ID
	}
}

// displayNames reads the names of the organisations in the agency table.
func displayNames(ctx context.Context, tx store.Tx, names map[string]string, agencies []store.AgencyCount, actions []domain.PlanAction) error {
	ids := []string{}
	for _, a := range agencies {
		ids = append(ids, a.OrganisationID)
	}
	for _, a := range actions {
		ids = append(ids, a.LeadOrganisationID)
	}
	for _, id := range ids {
		if _, ok := names[id]; ok {
			continue
		}
		o, err := tx.GetOrganisation(ctx, id)
		if err == store.ErrOrganisationNotFound {
			names[id] = id
			continue
		} else if err != nil {
			return err
		}
		names[id] = o.DisplayName
	}
	return nil
}

// agencyTable is the same row for every agency, the council first, then by name: the
// counts leave the council suppressed, and days overdue only with a count that is shown.
func agencyTable(council string, counts []store.AgencyCount, actions []domain.PlanAction, names map[string]string) []*pb.BoardAgency {
	rows := map[string]*pb.BoardAgency{}
	row := func(org string) *pb.BoardAgency {
		if rows[org] == nil {
			zero := boardCount(bd.Suppress(0))
			rows[org] = &pb.BoardAgency{Organisation: "organisations/" + org, DisplayName: names[org], MilestonesDue: zero,
				MilestonesDone: zero, MilestonesOverdue: zero, FactsRecorded: zero}
		}
		return rows[org]
	}
	row(council)
	for _, c := range counts {
		r := row(c.OrganisationID)
		r.MilestonesDue, r.MilestonesDone, r.FactsRecorded = boardCount(bd.Suppress(c.Due)), boardCount(bd.Suppress(c.Done)), boardCount(bd.Suppress(c.Facts))
		r.MilestonesOverdue = boardCount(bd.Suppress(c.Overdue))
		if !r.MilestonesOverdue.GetWithheld() && c.Overdue > 0 {
			r.MaxDaysOverdue, r.MeanDaysOverdue = int32(c.MaxDaysOverdue), int32(c.DaysOverdue/c.Overdue)
		}
	}
	for _, a := range actions {
		r := row(a.LeadOrganisationID)
		r.Actions++
		switch a.Rating {
		case domain.Red:
			r.ActionsRed++
		case domain.Amber:
			r.ActionsAmber++
		case domain.Green:
			r.ActionsGreen++
		}
	}
	out := make([]*pb.BoardAgency, 0, len(rows))
	for _, r := range rows {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *pb.BoardAgency) int {
		if (a.GetOrganisation() == "organisations/"+council) != (b.GetOrganisation() == "organisations/"+council) {
			if a.GetOrganisation() == "organisations/"+council {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.GetDisplayName(), b.GetDisplayName()), cmp.Compare(a.GetOrganisation(), b.GetOrganisation()))
	})
	return out
}
