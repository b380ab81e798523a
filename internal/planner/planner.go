// Package planner keeps young people's pathways planned. It runs the pure planning of
// domain/pathway over the store: for a few young people inside the transaction that
// changed them, and in the background for every pathway planned with an older catalogue or
// council settings.
package planner

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/pathway"
	"github.com/carepath/carepath/internal/store"
)

// Planner plans pathways with one catalogue.
type Planner struct {
	catalogue *catalogue.Catalogue
	now       func() time.Time
}

// New returns a planner for the catalogue.
func New(cat *catalogue.Catalogue, now func() time.Time) *Planner {
	return &Planner{catalogue: cat, now: now}
}

// Catalogue returns the shipped catalogue the planner uses.
func (p *Planner) Catalogue() *catalogue.Catalogue { return p.catalogue }

// Council is a council's settings and the catalogue as it uses them.
type Council struct {
	Settings  domain.PathwaySettings
	Catalogue *catalogue.Catalogue
}

// Council loads a council's settings within tx.
func (p *Planner) Council(ctx context.Context, tx store.Tx, councilID string) (Council, error) {
	s, err := tx.GetPathwaySettings(ctx, councilID)
	if err != nil {
		return Council{}, err
	}
	return Council{Settings: s, Catalogue: p.catalogue.Apply(s.Settings)}, nil
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
	councils := map[string]Council{}
	plans := make([]store.PathwayPlan, 0, len(states))
	now := p.now()
	for _, st := range states {
		id := st.YoungPerson.CouncilID
		c, ok := councils[id]
		if !ok {
			if c, err = p.Council(ctx, tx, id); err != nil {
				return err
			}
			councils[id] = c
		}
		plans = append(plans, store.PathwayPlan{
			YoungPersonID: st.YoungPerson.ID,
			CouncilID:     id,
			Version:       store.PathwayVersion(p.catalogue.Version, c.Settings.Revision),
			Planned: pathway.Plan(c.Catalogue, pathway.Input{
				YoungPerson: st.YoungPerson,
				Episodes:    st.Episodes,
				Achieved:    achieved(st.Milestones),
				Rule:        c.Settings.LeaplingRule,
			}),
		})
	}
	return tx.SavePathways(ctx, now, plans)
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

// RefreshStale replans, batch young people per transaction, every pathway planned with
// another catalogue version or settings revision, and returns how many it replanned. It
// runs workers transactions at once (planning in Go overlaps writing in the database);
// like several replicas doing the same, each claims its batch with a lock the others skip.
func (p *Planner) RefreshStale(ctx context.Context, s store.Store, batch, workers int) (int, error) {
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
					ids, err := tx.StalePathways(ctx, p.catalogue.Version, batch)
					n = len(ids)
					if err != nil {
						return err
					}
					return p.Replan(ctx, tx, ids...)
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
