package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

// getAll returns the objects of table whose index matches args, as values of T.
func getAll[T any](t *tx, table, index string, args ...any) ([]T, error) {
	objs, err := t.all(table, index, args...)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(objs))
	for i, o := range objs {
		out[i] = *o.(*T)
	}
	return out, nil
}

func (t *tx) ListViews(_ context.Context, youngPersonID string) ([]domain.View, error) {
	out, err := getAll[domain.View](t, tableViews, "young_person", youngPersonID)
	slices.SortFunc(out, func(a, b domain.View) int { return cmp.Compare(a.Area, b.Area) })
	return out, err
}

func (t *tx) PutView(_ context.Context, v domain.View, ifRevision int64) (domain.View, error) {
	if _, err := t.getYoungPerson(v.YoungPersonID); err != nil {
		return v, err
	}
	var stored int64
	obj, err := t.first(tableViews, "id", v.YoungPersonID, string(v.Area))
	if err != nil {
		return v, err
	}
	if obj != nil {
		stored = obj.(*domain.View).Revision
	}
	if err := store.CheckRevision(ifRevision, stored); err != nil {
		return v, err
	}
	v.Revision, v.UpdateTime = stored+1, storedTime(v.UpdateTime)
	return v, t.insert(tableViews, &v)
}

func (t *tx) CreateGoal(_ context.Context, g domain.Goal) (domain.Goal, error) {
	if _, err := t.getYoungPerson(g.YoungPersonID); err != nil {
		return g, err
	}
	if obj, err := t.first(tableGoals, "id", g.ID); err != nil || obj != nil {
		return g, orExists(err)
	}
	g.Revision, g.CreateTime, g.UpdateTime = 1, storedTime(g.CreateTime), storedTime(g.UpdateTime)
	return g, t.insert(tableGoals, &g)
}

func (t *tx) GetGoal(_ context.Context, youngPersonID, id string) (domain.Goal, error) {
	obj, err := t.first(tableGoals, "id", id)
	if err != nil {
		return domain.Goal{}, err
	}
	if obj == nil || obj.(*domain.Goal).YoungPersonID != youngPersonID {
		return domain.Goal{}, store.ErrGoalNotFound
	}
	return *obj.(*domain.Goal), nil
}

func (t *tx) ListGoals(_ context.Context, youngPersonID, afterID string, limit int) ([]domain.Goal, error) {
	all, err := getAll[domain.Goal](t, tableGoals, "young_person", youngPersonID)
	all = slices.DeleteFunc(all, func(g domain.Goal) bool { return g.ID <= afterID })
	slices.SortFunc(all, func(a, b domain.Goal) int { return cmp.Compare(a.ID, b.ID) })
	return all[:min(len(all), max(limit, 0))], err
}

func (t *tx) UpdateGoal(ctx context.Context, g domain.Goal, ifRevision int64) (domain.Goal, error) {
	old, err := t.GetGoal(ctx, g.YoungPersonID, g.ID)
	if err != nil {
		return g, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return g, err
	}
	old.Title, old.Area, old.TargetDate, old.Done, old.Author = g.Title, g.Area, g.TargetDate, g.Done, g.Author
	old.UpdateTime, old.Revision = storedTime(g.UpdateTime), old.Revision+1
	return old, t.insert(tableGoals, &old)
}

func (t *tx) DeleteGoal(ctx context.Context, youngPersonID, id string, ifRevision int64) error {
	old, err := t.GetGoal(ctx, youngPersonID, id)
	if err != nil {
		return err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return err
	}
	return t.delete(tableGoals, &old)
}

func (t *tx) ListSkillAnswers(_ context.Context, youngPersonID string) ([]domain.SkillAnswer, error) {
	out, err := getAll[domain.SkillAnswer](t, tableAnswers, "young_person", youngPersonID)
	slices.SortFunc(out, func(a, b domain.SkillAnswer) int { return cmp.Compare(a.Key, b.Key) })
	return out, err
}

func (t *tx) PutSkillAnswers(_ context.Context, answers []domain.SkillAnswer) error {
	for _, a := range answers {
		if _, err := t.getYoungPerson(a.YoungPersonID); err != nil {
			return err
		}
		a.UpdateTime = storedTime(a.UpdateTime)
		if err := t.insert(tableAnswers, &a); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) AddAdviserSupportRequest(_ context.Context, r domain.AdviserSupportRequest) (domain.AdviserSupportRequest, error) {
	if _, err := t.getYoungPerson(r.YoungPersonID); err != nil {
		return r, err
	}
	if obj, err := t.first(tableSupport, "id", r.ID); err != nil || obj != nil {
		return r, orExists(err)
	}
	r.CreateTime, r.Recipients = storedTime(r.CreateTime), slices.Clone(r.Recipients)
	stored := r
	return r, t.insert(tableSupport, &stored)
}

func (t *tx) ListAdviserSupportRequests(_ context.Context, youngPersonID string) ([]domain.AdviserSupportRequest, error) {
	out, err := getAll[domain.AdviserSupportRequest](t, tableSupport, "young_person", youngPersonID)
	slices.SortFunc(out, func(a, b domain.AdviserSupportRequest) int {
		return cmp.Or(a.CreateTime.Compare(b.CreateTime), cmp.Compare(a.ID, b.ID))
	})
	for i := range out {
		out[i].Recipients = slices.Clone(out[i].Recipients)
	}
	return out, err
}

func (t *tx) CreateLocalOfferEntry(_ context.Context, e domain.LocalOfferEntry) (domain.LocalOfferEntry, error) {
	if org, err := t.first(tableOrgs, "id", e.CouncilID); err != nil || org == nil {
		return e, cmp.Or(err, error(store.ErrOrganisationNotFound))
	}
	if obj, err := t.first(tableLocalOffer, "id", e.CouncilID, e.ID); err != nil || obj != nil {
		return e, orExists(err)
	}
	e.Revision, e.CreateTime, e.UpdateTime = 1, storedTime(e.CreateTime), storedTime(e.UpdateTime)
	return e, t.insert(tableLocalOffer, &e)
}

func (t *tx) GetLocalOfferEntry(_ context.Context, councilID, id string) (domain.LocalOfferEntry, error) {
	obj, err := t.first(tableLocalOffer, "id", councilID, id)
	if err != nil {
		return domain.LocalOfferEntry{}, err
	}
	if obj == nil {
		return domain.LocalOfferEntry{}, store.ErrLocalOfferEntryNotFound
	}
	return *obj.(*domain.LocalOfferEntry), nil
}

func (t *tx) ListLocalOfferEntries(_ context.Context, q store.LocalOfferQuery) ([]domain.LocalOfferEntry, error) {
	all, err := getAll[domain.LocalOfferEntry](t, tableLocalOffer, "id")
	all = slices.DeleteFunc(all, func(e domain.LocalOfferEntry) bool {
		return e.CouncilID != q.CouncilID || e.ID <= q.AfterID || q.Age != 0 && !e.ForAge(q.Age)
	})
	slices.SortFunc(all, func(a, b domain.LocalOfferEntry) int { return cmp.Compare(a.ID, b.ID) })
	return all[:min(len(all), max(q.Limit, 0))], err
}

func (t *tx) UpdateLocalOfferEntry(ctx context.Context, e domain.LocalOfferEntry, ifRevision int64) (domain.LocalOfferEntry, error) {
	old, err := t.GetLocalOfferEntry(ctx, e.CouncilID, e.ID)
	if err != nil {
		return e, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return e, err
	}
	e.CreateTime, e.Revision, e.UpdateTime = old.CreateTime, old.Revision+1, storedTime(e.UpdateTime)
	return e, t.insert(tableLocalOffer, &e)
}

func (t *tx) DeleteLocalOfferEntry(ctx context.Context, councilID, id string, ifRevision int64) error {
	old, err := t.GetLocalOfferEntry(ctx, councilID, id)
	if err != nil {
		return err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return err
	}
	return t.delete(tableLocalOffer, &old)
}
