// Package planner keeps young people's pathways planned, their readiness assessed and their
// reminders raised. It runs the pure planning of domain/pathway, the assessment of
// domain/readiness and the rules of domain/reminder over the store: for a few young people
// inside the transaction that changed them, and in the background for every pathway planned
// with an older catalogue or council settings, every readiness summary that time has
// overtaken and every young person whose next reminders are due.
package planner

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/store"
)

// Planner plans pathways with one catalogue.
type Planner struct {
	catalogue *catalogue.Catalogue
	// measures are the shipped outcome measures.
	measures *measure.Catalogue
	now      func() time.Time
	// applied caches councils' catalogues by council and settings revision: settings
	// never change without a new revision, and applying them is work every change would
	// otherwise repeat.
	applied sync.Map
	// raised, if set, is told how many reminders each Remind stored (see OnRaised).
	raised func(n int)
	// log is told of what the planner leaves out (see SetLogger).
	log *slog.Logger
}

// New returns a planner for the catalogue.
func New(cat *catalogue.Catalogue, now func() time.Time) *Planner {
	return &Planner{catalogue: cat, measures: measure.Default(), now: now, log: slog.Default()}
}

// SetLogger has the planner log to l (slog.Default() until set).
func (p *Planner) SetLogger(l *slog.Logger) { p.log = l }

// OnRaised has f told how many new reminders each transaction of the planner stored, for
// metrics. It is told when they are stored, before the transaction commits: one that then
// fails and is retried tells again.
func (p *Planner) OnRaised(f func(n int)) { p.raised = f }

// Catalogue returns the shipped catalogue the planner uses.
func (p *Planner) Catalogue() *catalogue.Catalogue { return p.catalogue }

// Council is a council's settings and the catalogue as it uses them.
type Council struct {
	Settings  domain.PathwaySettings
	Catalogue *catalogue.Catalogue
	// Measures are the outcome measures its board counts, and MeasuresVersion their
	// measure.Version, which young people's kept standings are worked out for.
	Measures        []measure.Measure
	MeasuresVersion string
}

// applied is what the planner caches of a council's settings at a revision.
type applied struct {
	catalogue       *catalogue.Catalogue
	measures        []measure.Measure
	measuresVersion string
}

// Council loads a council's settings within tx.
func (p *Planner) Council(ctx context.Context, tx store.Tx, councilID string) (Council, error) {
	s, err := tx.GetPathwaySettings(ctx, councilID)
	if err != nil {
		return Council{}, err
	}
	key := councilID + ":" + strconv.FormatInt(s.Revision, 10)
	a, ok := p.applied.Load(key)
	if !ok {
		ms, dropped := measure.Council(p.measures, s.Settings.Measures)
		a, ok = p.applied.LoadOrStore(key, &applied{catalogue: p.catalogue.Apply(s.Settings), measures: ms,
			measuresVersion: measure.Version(ms, s.Settings.LeaplingRule)})
		if !ok {
			// Once per council and revision in this process, by the call that cached it: the
			// measure's key and the check's words, which name no one.
			for _, d := range dropped {
				p.log.WarnContext(ctx, "a council's own measure no longer passes the measure check: its board leaves it out",
					"council", councilID, "settings_revision", s.Revision, "measure", d.Key, "problem", measure.Describe(d.Err))
			}
		}
	}
	c := a.(*applied)
	return Council{Settings: s, Catalogue: c.catalogue, Measures: c.measures, MeasuresVersion: c.measuresVersion}, nil
}

// councils returns a function that loads a council within tx, each council once.
func (p *Planner) councils(tx store.Tx) func(context.Context, string) (Council, error) {
	loaded := map[string]Council{}
	return func(ctx context.Context, id string) (Council, error) {
		if c, ok := loaded[id]; ok {
			return c, nil
		}
		c, err := p.Council(ctx, tx, id)
		if err == nil {
			loaded[id] = c
		}
		return c, err
	}
}

// Replan plans the pathways of the young people with the given ids, within tx.
func (p *Planner) Replan(ctx context.Context, tx store.Tx, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	states, err := tx.LoadPathways(ctx, ids)
	if err != nil {
		return err
	}
	if states, err = p.plan(ctx, tx, states); err != nil {
		return err
	}
	return p.changed(ctx, tx, states)
}

// PlanNew plans the pathway of a young person created in tx with no episodes, milestones
// or facts yet, so with nothing to load first, nor shares, an account or reminders.
func (p *Planner) PlanNew(ctx context.Context, tx store.Tx, yp domain.YoungPerson) error {
	states, err := p.plan(ctx, tx, []store.PathwayState{{YoungPerson: yp}})
	if err != nil {
		return err
	}
	if err := p.reassess(ctx, tx, states); err != nil {
		return err
	}
	return newReminders(tx, p.now(), p.raised).remind(ctx, p, states)
}

// plan plans the loaded pathways and returns them as planned: fresh ones with the
// milestones SavePathways stored, the rest read back.
func (p *Planner) plan(ctx context.Context, tx store.Tx, states []store.PathwayState) ([]store.PathwayState, error) {
	councils := p.councils(tx)
	plans := make([]store.PathwayPlan, 0, len(states))
	now := p.now()
	for _, st := range states {
		id := st.YoungPerson.CouncilID
		c, err := councils(ctx, id)
		if err != nil {
			return nil, err
		}
		plans = append(plans, store.PathwayPlan{
			YoungPersonID: st.YoungPerson.ID,
			CouncilID:     id,
			Version:       store.PathwayVersion(p.catalogue.Version, c.Settings.Revision),
			Fresh:         len(st.Milestones) == 0,
			Planned: pathway.Plan(c.Catalogue, pathway.Input{
				YoungPerson: st.YoungPerson,
				Episodes:    st.Episodes,
				Achieved:    achieved(st.Milestones),
				Rule:        c.Settings.LeaplingRule,
			}),
		})
	}
	stored, err := tx.SavePathways(ctx, now, plans)
	if err != nil {
		return nil, err
	}
	out := make([]store.PathwayState, 0, len(states))
	var reload []string
	for i, pl := range plans {
		if pl.Fresh {
			st := states[i]
			st.Milestones = stored[i]
			out = append(out, st)
		} else {
			reload = append(reload, pl.YoungPersonID)
		}
	}
	if len(reload) == 0 {
		return out, nil
	}
	again, err := tx.LoadPathways(ctx, reload) // without any deleted meanwhile
	return append(out, again...), err
}

// Changed brings what follows from the young people's milestones up to date, within tx,
// after any of them changed: readiness and reminders, from one load of their pathways.
func (p *Planner) Changed(ctx context.Context, tx store.Tx, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	states, err := tx.LoadPathways(ctx, ids)
	if err != nil {
		return err
	}
	return p.changed(ctx, tx, states)
}

// changed is Changed for pathways already loaded.
func (p *Planner) changed(ctx context.Context, tx store.Tx, states []store.PathwayState) error {
	if err := p.reassess(ctx, tx, states); err != nil {
		return err
	}
	return p.remind(ctx, tx, states)
}

// Reassess replaces the readiness summaries of the young people with ids with their
// assessment as of today, within tx.
func (p *Planner) Reassess(ctx context.Context, tx store.Tx, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	states, err := tx.LoadPathways(ctx, ids)
	if err != nil {
		return err
	}
	return p.reassess(ctx, tx, states)
}

// reassess saves the young people's readiness summaries and their standings in their
// council's measures, which read the rating at the 17½ review.
func (p *Planner) reassess(ctx context.Context, tx store.Tx, states []store.PathwayState) error {
	inputs, err := p.InputsOf(ctx, tx, civil.Today(p.now()), states...)
	if err != nil {
		return err
	}
	councils := p.councils(tx)
	rows := make([]domain.ReadinessSummary, len(inputs))
	standings := make([]store.MeasureStandings, len(inputs))
	for i, in := range inputs {
		rows[i] = readiness.CliffEdge(in).Summary(in.YoungPerson)
		rows[i].RatingAtReview = readiness.AtReview(in)
		c, err := councils(ctx, in.YoungPerson.CouncilID)
		if err != nil {
			return err
		}
		standings[i] = store.MeasureStandings{YoungPersonID: in.YoungPerson.ID, CouncilID: in.YoungPerson.CouncilID,
			Version: c.MeasuresVersion, Standings: measure.Standings(c.Measures, measure.Record{DateOfBirth: in.YoungPerson.DateOfBirth,
				Rule: in.Rule, Milestones: in.Milestones, Facts: in.Facts, RatingAtReview: rows[i].RatingAtReview})}
	}
	if err := tx.SaveReadiness(ctx, rows); err != nil {
		return err
	}
	return tx.SaveMeasureStandings(ctx, standings)
}

// Inputs loads, within tx, what assessing the readiness of the young people with ids as of
// a day needs (young people who do not exist are left out).
func (p *Planner) Inputs(ctx context.Context, tx store.Tx, asOf civil.Date, ids ...string) ([]readiness.Input, error) {
	states, err := tx.LoadPathways(ctx, ids)
	if err != nil {
		return nil, err
	}
	return p.InputsOf(ctx, tx, asOf, states...)
}

// InputsOf is Inputs for pathways already loaded.
func (p *Planner) InputsOf(ctx context.Context, tx store.Tx, asOf civil.Date, states ...store.PathwayState) ([]readiness.Input, error) {
	councils := p.councils(tx)
	out := make([]readiness.Input, 0, len(states))
	for _, st := range states {
		yp := st.YoungPerson
		c, err := councils(ctx, yp.CouncilID)
		if err != nil {
			return nil, err
		}
		out = append(out, readiness.Input{YoungPerson: yp, Episodes: st.Episodes, Milestones: st.Milestones,
			Facts: st.Facts, AsOf: asOf, Rule: c.Settings.LeaplingRule, Ambitions: c.Catalogue.Ambitions})
	}
	return out, nil
}

// RefreshStale replans, batch young people per transaction, every pathway planned with
// another catalogue version or settings revision, and returns how many it replanned.
func (p *Planner) RefreshStale(ctx context.Context, s store.Store, batch, workers int) (int, error) {
	return drain(ctx, s, batch, workers, func(ctx context.Context, tx store.Tx) ([]string, error) {
		return tx.StalePathways(ctx, p.catalogue.Version, batch)
	}, p.Replan)
}

// RefreshReadiness reassesses, batch young people per transaction, every readiness summary
// of the council ("" for all) that is missing, of other rules, or overtaken by time, and
// returns how many it reassessed.
func (p *Planner) RefreshReadiness(ctx context.Context, s store.Store, councilID string, batch, workers int) (int, error) {
	return p.refreshReadiness(ctx, s, store.StaleReadinessQuery{CouncilID: councilID, Limit: batch}, workers)
}

// RefreshOvertaken is RefreshReadiness of the summaries there are alone, in one worker: what
// a view of the council reassesses before it shows them (see store.StaleReadinessQuery).
func (p *Planner) RefreshOvertaken(ctx context.Context, s store.Store, councilID string, batch int) (int, error) {
	return p.refreshReadiness(ctx, s, store.StaleReadinessQuery{CouncilID: councilID, Limit: batch, Overtaken: true}, 1)
}

func (p *Planner) refreshReadiness(ctx context.Context, s store.Store, q store.StaleReadinessQuery, workers int) (int, error) {
	return drain(ctx, s, q.Limit, workers, func(ctx context.Context, tx store.Tx) ([]string, error) {
		q := q // each worker's, each batch of today's
		q.Today, q.Version = civil.Today(p.now()), readiness.Version
		return tx.StaleReadiness(ctx, q)
	}, p.Reassess)
}

// RefreshMeasures reassesses, batch young people per transaction, every young person whose
// kept standings in their council's measures are stale (after the measures or the way
// standings are worked out changed), council by council, and returns how many.
func (p *Planner) RefreshMeasures(ctx context.Context, s store.Store, batch, workers int) (int, error) {
	total := 0
	for after := ""; ; {
		var orgs []domain.Organisation
		if err := s.InRead(ctx, func(tx store.Tx) (err error) {
			orgs, err = tx.ListOrganisations(ctx, after, 100)
			return err
		}); err != nil || len(orgs) == 0 {
			return total, err
		}
		after = orgs[len(orgs)-1].ID
		for _, o := range orgs {
			if o.Type != domain.Council {
				continue
			}
			n, err := drain(ctx, s, batch, workers, func(ctx context.Context, tx store.Tx) ([]string, error) {
				c, err := p.Council(ctx, tx, o.ID)
				if err != nil {
					return nil, err
				}
				return tx.StaleMeasureStandings(ctx, o.ID, c.MeasuresVersion, batch)
			}, p.Reassess)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
}

// drain runs work on batches that claim returns until one is short. It runs workers
// transactions at once (work in Go overlaps writing in the database); like several
// replicas doing the same, each claims its batch with a lock the others skip.
func drain(ctx context.Context, s store.Store, batch, workers int, claim func(context.Context, store.Tx) ([]string, error),
	work func(context.Context, store.Tx, ...string) error) (int, error) {
	var (
		mu    sync.Mutex
		total int
	)
	g, ctx := errgroup.WithContext(ctx)
	for range max(workers, 1) {
		g.Go(func() error {
			for {
				n := 0
				err := s.InTx(ctx, func(tx store.Tx) error {
					ids, err := claim(ctx, tx)
					n = len(ids)
					if err != nil {
						return err
					}
					return work(ctx, tx, ids...)
				})
				mu.Lock()
				total += n
				mu.Unlock()
				if err != nil || n < batch {
					return err
				}
			}
		})
	}
	err := g.Wait()
	return total, err
}

// achieved gives the latest achieved date of each catalogue milestone.
func achieved(ms []domain.Milestone) map[string]civil.Date {
	out := map[string]civil.Date{}
	for _, m := range ms {
		if m.Key != "" && m.State == domain.Achieved && m.AchievedDate.After(out[m.Key]) {
			out[m.Key] = m.AchievedDate
		}
	}
	return out
}
