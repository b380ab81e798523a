package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

func deliveryKey(obj any) string {
	d := obj.(*domain.Delivery)
	return joinKey(d.ReminderID, d.EndpointID)
}

func webhookIDKey(obj any) string { return obj.(*domain.Delivery).WebhookID }

// storedEndpoint is how an endpoint is kept: times in UTC to the microsecond, secrets
// copied (nil when none, as PostgreSQL gives them back) and no count of failures.
func storedEndpoint(e domain.WebhookEndpoint) domain.WebhookEndpoint {
	var secrets []domain.WebhookSecret
	for _, s := range e.Secrets {
		secrets = append(secrets, domain.WebhookSecret{Secret: s.Secret, CreateTime: storedTime(s.CreateTime),
			Expires: storedTime(s.Expires)})
	}
	e.Secrets, e.FailedDeliveries = secrets, 0
	e.CreateTime, e.UpdateTime = storedTime(e.CreateTime), storedTime(e.UpdateTime)
	return e
}

// endpointOut is a stored endpoint as returned: a copy, with its failed deliveries counted.
func (t *tx) endpointOut(e *domain.WebhookEndpoint) (domain.WebhookEndpoint, error) {
	out := *e
	out.Secrets = slices.Clone(e.Secrets)
	ds, err := t.all(tableDeliveries, "endpoint", e.ID)
	if err != nil {
		return out, err
	}
	for _, d := range ds {
		if d.(*domain.Delivery).State == domain.DeliveryFailed {
			out.FailedDeliveries++
		}
	}
	return out, nil
}

func (t *tx) CreateWebhookEndpoint(ctx context.Context, e domain.WebhookEndpoint) (domain.WebhookEndpoint, error) {
	if obj, err := t.first(tableEndpoints, "id", e.ID); err != nil || obj != nil {
		return domain.WebhookEndpoint{}, orExists(err)
	}
	if _, err := t.GetOrganisation(ctx, e.OrganisationID); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	stored := storedEndpoint(e)
	stored.Revision = 1
	if err := t.insert(tableEndpoints, &stored); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	return t.endpointOut(&stored)
}

func (t *tx) getEndpoint(id string) (*domain.WebhookEndpoint, error) {
	obj, err := t.first(tableEndpoints, "id", id)
	if err != nil || obj == nil {
		return nil, orMissing(err, store.ErrWebhookEndpointNotFound)
	}
	return obj.(*domain.WebhookEndpoint), nil
}

func (t *tx) GetWebhookEndpoint(_ context.Context, id string) (domain.WebhookEndpoint, error) {
	e, err := t.getEndpoint(id)
	if err != nil {
		return domain.WebhookEndpoint{}, err
	}
	return t.endpointOut(e)
}

func (t *tx) ListWebhookEndpoints(_ context.Context, organisationID, afterID string, limit int) ([]domain.WebhookEndpoint, error) {
	it, err := t.txn.LowerBound(tableEndpoints, "id", afterID)
	if err != nil {
		return nil, err
	}
	var out []domain.WebhookEndpoint
	for obj := it.Next(); obj != nil && len(out) < limit; obj = it.Next() {
		e := obj.(*domain.WebhookEndpoint)
		if e.ID == afterID || organisationID != "" && e.OrganisationID != organisationID {
			continue
		}
		listed, err := t.endpointOut(e)
		if err != nil {
			return nil, err
		}
		out = append(out, listed)
	}
	return out, nil
}

func (t *tx) UpdateWebhookEndpoint(_ context.Context, e domain.WebhookEndpoint, ifRevision int64) (domain.WebhookEndpoint, error) {
	old, err := t.getEndpoint(e.ID)
	if err != nil {
		return domain.WebhookEndpoint{}, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	stored := storedEndpoint(e)
	stored.OrganisationID, stored.CreateTime, stored.Revision = old.OrganisationID, old.CreateTime, old.Revision+1
	if err := t.insert(tableEndpoints, &stored); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	return t.endpointOut(&stored)
}

func storedDelivery(d domain.Delivery) domain.Delivery {
	d.NextAttemptTime, d.DeliverTime = storedTime(d.NextAttemptTime), storedTime(d.DeliverTime)
	d.CreateTime, d.UpdateTime = storedTime(d.CreateTime), storedTime(d.UpdateTime)
	return d
}

// AddDeliveries stores, in order, the deliveries whose reminder and endpoint exist and
// have none yet, and reopens a cancelled delivery whose reminder and endpoint one of them
// has (keeping its id and webhook id); a taken id or webhook id fails with ErrExists, as
// in PostgreSQL. There is nothing to queue: the in-process dispatcher finds them with
// DueDeliveries.
func (t *tx) AddDeliveries(_ context.Context, ds []domain.Delivery) ([]domain.Delivery, error) {
	var added []domain.Delivery
	for _, d := range ds {
		if _, err := t.getReminder(d.ReminderID); err == store.ErrReminderNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		if _, err := t.getEndpoint(d.EndpointID); err == store.ErrWebhookEndpointNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		d = storedDelivery(d)
		if obj, err := t.first(tableDeliveries, "key", deliveryKey(&d)); err != nil {
			return nil, err
		} else if obj != nil {
			old := obj.(*domain.Delivery)
			if old.State != domain.DeliveryCancelled {
				continue
			}
			reopened := *old
			reopened.State, reopened.Attempts, reopened.LastError = domain.DeliveryPending, 0, ""
			reopened.NextAttemptTime, reopened.UpdateTime, reopened.DeliverTime = d.NextAttemptTime, d.UpdateTime, time.Time{}
			stored := reopened
			if err := t.insert(tableDeliveries, &stored); err != nil {
				return nil, err
			}
			added = append(added, reopened)
			continue
		}
		for _, taken := range []struct{ index, value string }{{"id", d.ID}, {"webhook_id", d.WebhookID}} {
			if obj, err := t.first(tableDeliveries, taken.index, taken.value); err != nil || obj != nil {
				return nil, orExists(err)
			}
		}
		stored := d
		if err := t.insert(tableDeliveries, &stored); err != nil {
			return nil, err
		}
		added = append(added, d)
	}
	return added, nil
}

func (t *tx) GetDelivery(_ context.Context, id string) (domain.Delivery, error) {
	obj, err := t.first(tableDeliveries, "id", id)
	if err != nil || obj == nil {
		return domain.Delivery{}, orMissing(err, store.ErrDeliveryNotFound)
	}
	return *obj.(*domain.Delivery), nil
}

func (t *tx) UpdateDelivery(ctx context.Context, d domain.Delivery) (domain.Delivery, error) {
	old, err := t.GetDelivery(ctx, d.ID)
	if err != nil {
		return domain.Delivery{}, err
	}
	d = storedDelivery(d)
	next := old
	next.State, next.Attempts, next.NextAttemptTime, next.LastError = d.State, d.Attempts, d.NextAttemptTime, d.LastError
	next.UpdateTime, next.DeliverTime = d.UpdateTime, d.DeliverTime
	stored := next
	return next, t.insert(tableDeliveries, &stored)
}

func (t *tx) ListDeliveries(_ context.Context, q store.DeliveryQuery) ([]domain.Delivery, error) {
	var (
		objs []any
		err  error
	)
	switch {
	case q.ReminderID != "":
		objs, err = t.all(tableDeliveries, "reminder", q.ReminderID)
	case q.EndpointID != "":
		objs, err = t.all(tableDeliveries, "endpoint", q.EndpointID)
	default:
		objs, err = t.all(tableDeliveries, "id")
	}
	if err != nil {
		return nil, err
	}
	var out []domain.Delivery
	for _, o := range objs {
		d := o.(*domain.Delivery)
		switch {
		case q.OrganisationID != "" && d.OrganisationID != q.OrganisationID,
			q.EndpointID != "" && d.EndpointID != q.EndpointID,
			q.ReminderID != "" && d.ReminderID != q.ReminderID,
			len(q.States) > 0 && !slices.Contains(q.States, d.State),
			q.BeforeID != "" && d.ID >= q.BeforeID:
			continue
		}
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b domain.Delivery) int { return strings.Compare(b.ID, a.ID) }) // newest first
	return out[:min(max(q.Limit, 0), len(out))], nil
}

// DueDeliveries needs no locks: memory transactions are serialised.
func (t *tx) DueDeliveries(_ context.Context, now time.Time, limit int) ([]domain.Delivery, error) {
	objs, err := t.all(tableDeliveries, "id")
	if err != nil {
		return nil, err
	}
	var due []domain.Delivery
	for _, o := range objs {
		d := o.(*domain.Delivery)
		if d.State == domain.DeliveryPending && !d.NextAttemptTime.IsZero() && !d.NextAttemptTime.After(now) {
			due = append(due, *d)
		}
	}
	slices.SortFunc(due, func(a, b domain.Delivery) int { // earliest first
		if c := a.NextAttemptTime.Compare(b.NextAttemptTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return due[:min(max(limit, 0), len(due))], nil
}

// RequeueDeliveries picks from the endpoint's deliveries, in id order; the in-process
// dispatcher finds them with DueDeliveries.
func (t *tx) RequeueDeliveries(_ context.Context, q store.RequeueQuery, now time.Time) ([]store.Requeued, error) {
	if q.Limit <= 0 || len(q.States) == 0 {
		return nil, nil
	}
	objs, err := t.all(tableDeliveries, "endpoint", q.EndpointID)
	if err != nil {
		return nil, err
	}
	var picked []domain.Delivery
	for _, o := range objs {
		d := o.(*domain.Delivery)
		switch {
		case !slices.Contains(q.States, d.State),
			!q.Since.IsZero() && d.CreateTime.Before(q.Since),
			q.AfterID != "" && d.ID <= q.AfterID,
			q.IDs != nil && !slices.Contains(q.IDs, d.ID):
			continue
		}
		picked = append(picked, *d)
	}
	slices.SortFunc(picked, func(a, b domain.Delivery) int { return strings.Compare(a.ID, b.ID) })
	picked = picked[:min(q.Limit, len(picked))]
	out := make([]store.Requeued, len(picked))
	now = storedTime(now)
	for i, d := range picked {
		r, err := t.getReminder(d.ReminderID)
		if err != nil {
			return nil, err
		}
		d.State, d.Attempts, d.LastError = domain.DeliveryPending, 0, ""
		d.NextAttemptTime, d.UpdateTime, d.DeliverTime = now, now, time.Time{}
		stored := d
		if err := t.insert(tableDeliveries, &stored); err != nil {
			return nil, err
		}
		out[i] = store.Requeued{Delivery: d, YoungPersonID: r.YoungPersonID, CouncilID: r.CouncilID}
	}
	return out, nil
}
