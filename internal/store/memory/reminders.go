package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// keyIndex indexes objects by a key made of their fields. Unlike memdb's string indexes it
// keeps empty keys and empty parts (an age notice's milestone), as a unique constraint of
// PostgreSQL does.
type keyIndex func(obj any) string

func (f keyIndex) FromObject(obj any) (bool, []byte, error) {
	return true, []byte(f(obj) + "\x00"), nil
}

func (keyIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("a key index takes one argument")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("a key index takes a string, not %T", args[0])
	}
	return []byte(s + "\x00"), nil
}

func joinKey(parts ...string) string { return strings.Join(parts, "\x1f") }

func reminderKey(obj any) string {
	r := obj.(*domain.Reminder)
	return joinKey(r.YoungPersonID, r.Rule, r.MilestoneID, r.DueOn.String(), string(r.Recipient))
}

// schedule is when a young person's reminders must next be worked out.
type schedule struct {
	YoungPersonID string
	Next          time.Time
}

func storedReminder(r domain.Reminder) domain.Reminder {
	r.SnoozeUntil, r.CreateTime, r.UpdateTime = storedTime(r.SnoozeUntil), storedTime(r.CreateTime), storedTime(r.UpdateTime)
	return r
}

// AddReminders stores, in order, the reminders whose key is free and whose young person
// exists, and reopens a cancelled reminder whose key one of them has (keeping its id); a
// taken id (with another key) fails with ErrExists, as in PostgreSQL.
func (t *tx) AddReminders(_ context.Context, rs []domain.Reminder) ([]domain.Reminder, error) {
	var added []domain.Reminder
	for _, r := range rs {
		if _, err := t.getYoungPerson(r.YoungPersonID); err == store.ErrYoungPersonNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		r = storedReminder(r)
		r.Revision = 1
		if obj, err := t.first(tableReminders, "key", reminderKey(&r)); err != nil {
			return nil, err
		} else if obj != nil {
			old := obj.(*domain.Reminder)
			if old.State != domain.ReminderCancelled {
				continue
			}
			reopened := *old
			reopened.State, reopened.CancelReason, reopened.SnoozeUntil = domain.ReminderOpen, "", time.Time{}
			reopened.Title, reopened.UpdateTime, reopened.Revision = r.Title, r.UpdateTime, old.Revision+1
			stored := reopened
			if err := t.insert(tableReminders, &stored); err != nil {
				return nil, err
			}
			added = append(added, reopened)
			continue
		}
		if obj, err := t.first(tableReminders, "id", r.ID); err != nil || obj != nil {
			return nil, orExists(err)
		}
		stored := r
		if err := t.insert(tableReminders, &stored); err != nil {
			return nil, err
		}
		added = append(added, r)
	}
	return added, nil
}

func (t *tx) getReminder(id string) (*domain.Reminder, error) {
	obj, err := t.first(tableReminders, "id", id)
	if err != nil || obj == nil {
		return nil, orMissing(err, store.ErrReminderNotFound)
	}
	return obj.(*domain.Reminder), nil
}

func (t *tx) GetReminder(_ context.Context, id string) (domain.Reminder, error) {
	r, err := t.getReminder(id)
	if err != nil {
		return domain.Reminder{}, err
	}
	return *r, nil
}

func (t *tx) ListReminders(_ context.Context, q store.ReminderQuery) ([]domain.Reminder, error) {
	var objs []any
	switch {
	case q.YoungPersonID != "":
		var err error
		if objs, err = t.all(tableReminders, "young_person", q.YoungPersonID); err != nil {
			return nil, err
		}
	case len(q.Recipients) > 0:
		for _, r := range slices.Compact(slices.Sorted(slices.Values(q.Recipients))) {
			some, err := t.all(tableReminders, "recipient", string(r))
			if err != nil {
				return nil, err
			}
			objs = append(objs, some...)
		}
	default:
		var err error
		if objs, err = t.all(tableReminders, "id"); err != nil {
			return nil, err
		}
	}
	var out []domain.Reminder
	for _, o := range objs {
		r := o.(*domain.Reminder)
		switch {
		case q.YoungPersonID != "" && r.YoungPersonID != q.YoungPersonID,
			len(q.Recipients) > 0 && !slices.Contains(q.Recipients, r.Recipient),
			len(q.States) > 0 && !slices.Contains(q.States, r.State),
			!q.AwakeAt.IsZero() && r.SnoozeUntil.After(q.AwakeAt),
			q.AfterID != "" && r.ID <= q.AfterID,
			q.BeforeID != "" && r.ID >= q.BeforeID:
			continue
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b domain.Reminder) int {
		if q.Oldest {
			return strings.Compare(a.ID, b.ID)
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out[:min(max(q.Limit, 0), len(out))], nil
}

func (t *tx) UpdateReminder(_ context.Context, r domain.Reminder, ifRevision int64) (domain.Reminder, error) {
	old, err := t.getReminder(r.ID)
	if err != nil {
		return domain.Reminder{}, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return domain.Reminder{}, err
	}
	next := *old
	next.State, next.SnoozeUntil, next.CancelReason = r.State, storedTime(r.SnoozeUntil), r.CancelReason
	next.UpdateTime, next.Revision = storedTime(r.UpdateTime), old.Revision+1
	stored := next
	return next, t.insert(tableReminders, &stored)
}

func (t *tx) CancelReminders(_ context.Context, ids []string, reason string, now time.Time) error {
	now = storedTime(now)
	for _, id := range ids {
		obj, err := t.first(tableReminders, "id", id)
		if err != nil {
			return err
		}
		if obj == nil || obj.(*domain.Reminder).State != domain.ReminderOpen {
			continue
		}
		r := *obj.(*domain.Reminder)
		r.State, r.CancelReason, r.UpdateTime, r.Revision = domain.ReminderCancelled, reason, now, r.Revision+1
		if err := t.insert(tableReminders, &r); err != nil {
			return err
		}
		ds, err := t.all(tableDeliveries, "reminder", id)
		if err != nil {
			return err
		}
		for _, o := range ds {
			if d := *o.(*domain.Delivery); d.State == domain.DeliveryPending {
				d.State, d.UpdateTime = domain.DeliveryCancelled, now
				if err := t.insert(tableDeliveries, &d); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (t *tx) SetReminderSchedules(_ context.Context, schedules []store.ReminderSchedule) error {
	for _, sc := range schedules {
		if sc.Next.IsZero() {
			obj, err := t.first(tableSchedules, "id", sc.YoungPersonID)
			if err != nil {
				return err
			}
			if obj != nil {
				if err := t.delete(tableSchedules, obj); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := t.getYoungPerson(sc.YoungPersonID); err != nil {
			return err
		}
		if err := t.insert(tableSchedules, &schedule{YoungPersonID: sc.YoungPersonID, Next: storedTime(sc.Next)}); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) HastenReminderSchedules(_ context.Context, councilID, partnerID string, at time.Time) error {
	objs, err := t.all(tableShares, "partner", partnerID)
	if err != nil {
		return err
	}
	for _, o := range objs {
		id := o.(*domain.Share).YoungPersonID
		yp, err := t.getYoungPerson(id)
		if err != nil {
			return err
		}
		obj, err := t.first(tableSchedules, "id", id)
		if err != nil {
			return err
		}
		if s, ok := obj.(*schedule); ok && yp.CouncilID == councilID && s.Next.After(at) {
			if err := t.insert(tableSchedules, &schedule{YoungPersonID: id, Next: storedTime(at)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *tx) HastenCaseloads(_ context.Context, councilID string, adviserIDs []string, at time.Time) error {
	objs, err := t.all(tableSchedules, "id")
	if err != nil {
		return err
	}
	for _, o := range objs {
		s := o.(*schedule)
		yp, err := t.getYoungPerson(s.YoungPersonID)
		if err != nil {
			return err
		}
		if yp.CouncilID == councilID && slices.Contains(adviserIDs, yp.PersonalAdviserID) && s.Next.After(at) {
			if err := t.insert(tableSchedules, &schedule{YoungPersonID: s.YoungPersonID, Next: storedTime(at)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// DueReminderSchedules needs no locks: memory transactions are serialised.
func (t *tx) DueReminderSchedules(_ context.Context, now time.Time, limit int) ([]string, error) {
	objs, err := t.all(tableSchedules, "id")
	if err != nil {
		return nil, err
	}
	var due []*schedule
	for _, o := range objs {
		if s := o.(*schedule); !s.Next.After(now) {
			due = append(due, s)
		}
	}
	slices.SortFunc(due, func(a, b *schedule) int {
		if c := a.Next.Compare(b.Next); c != 0 {
			return c
		}
		return strings.Compare(a.YoungPersonID, b.YoungPersonID)
	})
	var ids []string
	for _, s := range due[:min(max(limit, 0), len(due))] {
		ids = append(ids, s.YoungPersonID)
	}
	return ids, nil
}

func (t *tx) ReminderRouting(ctx context.Context, youngPersonIDs, personIDs []string, openLimit int) (store.ReminderRouting, error) {
	var out store.ReminderRouting
	if len(youngPersonIDs) > 0 { // a query of none would be of every young person
		var err error
		if out.Shares, err = t.ListShares(ctx, youngPersonIDs...); err != nil {
			return out, err
		}
		if out.Accounts, err = t.YoungPersonAccounts(ctx, youngPersonIDs); err != nil {
			return out, err
		}
		for _, id := range slices.Compact(slices.Sorted(slices.Values(youngPersonIDs))) {
			open, err := t.ListReminders(ctx, store.ReminderQuery{YoungPersonID: id,
				States: []domain.ReminderState{domain.ReminderOpen}, Limit: openLimit})
			if err != nil {
				return out, err
			}
			out.Open = append(out.Open, open...)
		}
	}
	for _, id := range slices.Compact(slices.Sorted(slices.Values(personIDs))) {
		switch p, err := t.GetPerson(ctx, id); {
		case err == nil:
			out.People = append(out.People, p)
		case errs.KindOf(err) != errs.NotFound:
			return out, err
		}
	}
	return out, nil
}
