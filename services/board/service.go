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
		Milestones: m.Milestones()}
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
	)
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if org, err = tx.GetOrganisation(ctx, council); err != nil {
			return err
		}
		if settings, err = s.planner.Council(ctx, tx, council); err != nil {
			return err
		}
		q := store.MeasureQuery{CouncilID: council, Measures: s.measures.Measures, Dates: dates, Rule: settings.Settings.LeaplingRule}
		if counts, err = tx.CountMeasures(ctx, q); err != nil {
			return err
		}
		// The cliff edge: those turning 18 in the next six months (aged 17½ to 18).
		if cliff, err = tx.CountReadiness(ctx, store.ReadinessQuery{Scope: &store.Scope{CouncilID: council, WholeCouncil: true},
			EighteenthFrom: today.AddDays(1), EighteenthTo: today.Add(civil.Period{Months: 6}, civil.MarchFirst)}); err != nil {
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
	totals, teams := sum(counts)
	for _, m := range bd.Ordered(s.measures.Measures) {
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
