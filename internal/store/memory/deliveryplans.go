package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) CreateDeliveryPlan(_ context.Context, p domain.DeliveryPlan) (domain.DeliveryPlan, error) {
	if existing, err := t.first(tablePlans, "id", p.CouncilID, p.ID); err != nil || existing != nil {
		return p, cmp.Or(err, error(store.ErrExists))
	}
	if org, err := t.first(tableOrgs, "id", p.CouncilID); err != nil || org == nil {
		return p, cmp.Or(err, error(store.ErrOrganisationNotFound))
	}
	p.Revision, p.CreateTime, p.UpdateTime = 1, storedTime(p.CreateTime), storedTime(p.UpdateTime)
	return p, t.insert(tablePlans, &p)
}

func (t *tx) GetDeliveryPlan(_ context.Context, councilID, id string) (domain.DeliveryPlan, error) {
	obj, err := t.first(tablePlans, "id", councilID, id)
	if err != nil {
		return domain.DeliveryPlan{}, err
	}
	if obj == nil {
		return domain.DeliveryPlan{}, store.ErrDeliveryPlanNotFound
	}
	return *obj.(*domain.DeliveryPlan), nil
}

func (t *tx) ListDeliveryPlans(_ context.Context, councilID, afterID string, limit int) ([]domain.DeliveryPlan, error) {
	it, err := t.txn.Get(tablePlans, "id")
	if err != nil {
		return nil, err
	}
	var out []domain.DeliveryPlan
	for o := it.Next(); o != nil; o = it.Next() {
		if p := *o.(*domain.DeliveryPlan); p.CouncilID == councilID && p.ID > afterID {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b domain.DeliveryPlan) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(len(out), max(limit, 0))], nil
}

func (t *tx) UpdateDeliveryPlan(ctx context.Context, p domain.DeliveryPlan, ifRevision int64) (domain.DeliveryPlan, error) {
	old, err := t.GetDeliveryPlan(ctx, p.CouncilID, p.ID)
	if err != nil {
		return p, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return p, err
	}
	old.Title, old.Year, old.Revision, old.UpdateTime = p.Title, p.Year, old.Revision+1, storedTime(p.UpdateTime)
	return old, t.insert(tablePlans, &old)
}

func cloneAction(a domain.PlanAction) domain.PlanAction {
	a.Ambitions, a.Progress = cloneList(a.Ambitions), slices.Clone(a.Progress)
	if len(a.Progress) == 0 {
		a.Progress = nil
	}
	return a
}

func storedAction(a domain.PlanAction) domain.PlanAction {
	a = cloneAction(a)
	a.CreateTime, a.UpdateTime = storedTime(a.CreateTime), storedTime(a.UpdateTime)
	for i := range a.Progress {
		a.Progress[i].RecordTime = storedTime(a.Progress[i].RecordTime)
	}
	return a
}

func (t *tx) CreatePlanAction(ctx context.Context, a domain.PlanAction) (domain.PlanAction, error) {
	if _, err := t.GetDeliveryPlan(ctx, a.CouncilID, a.PlanID); err != nil {
		return a, err
	}
	if existing, err := t.first(tableActions, "id", a.ID); err != nil || existing != nil {
		return a, cmp.Or(err, error(store.ErrExists))
	}
	a = storedAction(a)
	a.Revision = 1
	stored := cloneAction(a)
	return a, t.insert(tableActions, &stored)
}

func (t *tx) GetPlanAction(_ context.Context, councilID, planID, id string) (domain.PlanAction, error) {
	obj, err := t.first(tableActions, "id", id)
	if err != nil {
		return domain.PlanAction{}, err
	}
	if obj == nil || obj.(*domain.PlanAction).CouncilID != councilID || obj.(*domain.PlanAction).PlanID != planID {
		return domain.PlanAction{}, store.ErrPlanActionNotFound
	}
	return cloneAction(*obj.(*domain.PlanAction)), nil
}

func (t *tx) ListPlanActions(_ context.Context, q store.PlanActionQuery) ([]domain.PlanAction, error) {
	it, err := t.txn.LowerBound(tableActions, "id", q.AfterID)
	if err != nil {
		return nil, err
	}
	var out []domain.PlanAction
	for obj := it.Next(); obj != nil && len(out) < q.Limit; obj = it.Next() {
		a := obj.(*domain.PlanAction)
		if a.ID > q.AfterID && a.CouncilID == q.CouncilID && (q.PlanID == "" || a.PlanID == q.PlanID) {
			out = append(out, cloneAction(*a))
		}
	}
	return out, nil
}

func (t *tx) UpdatePlanAction(ctx context.Context, a domain.PlanAction, ifRevision int64) (domain.PlanAction, error) {
	old, err := t.GetPlanAction(ctx, a.CouncilID, a.PlanID, a.ID)
	if err != nil {
		return a, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return a, err
	}
	a = storedAction(a)
	a.Revision, a.CreateTime = old.Revision+1, old.CreateTime
	stored := cloneAction(a)
	return a, t.insert(tableActions, &stored)
}

func (t *tx) AddActionChange(_ context.Context, c domain.ActionChange) (domain.ActionChange, error) {
	c.Time, c.Fields, c.After = storedTime(c.Time), cloneList(c.Fields), storedAction(c.After)
	stored := c
	stored.After = cloneAction(c.After)
	return c, t.insert(tableActionLog, &stored)
}

func (t *tx) ListActionChanges(_ context.Context, actionID, after string, limit int) ([]domain.ActionChange, error) {
	objs, err := t.all(tableActionLog, "action", actionID)
	if err != nil {
		return nil, err
	}
	var out []domain.ActionChange
	for _, o := range objs {
		if c := *o.(*domain.ActionChange); c.ID > after {
			c.After = cloneAction(c.After)
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b domain.ActionChange) int { return cmp.Compare(a.ID, b.ID) })
	return out[:min(len(out), max(limit, 0))], nil
}
