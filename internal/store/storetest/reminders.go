package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// orderedID is the nth of a run of time-ordered ids, as the UUIDv7s of reminders and
// deliveries are: they sort as n does. kind keeps runs of different things apart.
func orderedID(kind, n int) string { return fmt.Sprintf("01900000-%04x-7000-8000-%012x", kind, n<<4) }

// betweenID is an id of kind that sorts after the nth and before the next.
func betweenID(kind, n int) string {
	return fmt.Sprintf("01900000-%04x-7000-8000-%012x", kind, n<<4+8)
}

func reminderID(n int) string { return orderedID(1, n) }
func deliveryID(n int) string { return orderedID(2, n) }

// Recipients of the reminder tests.
var (
	toAdviser  = domain.PersonRecipient("pa-1")
	toAdviser2 = domain.PersonRecipient("pa-2")
	toPartner  = domain.OrganisationRecipient("partner-h")
)

// reminder is the nth reminder, created n minutes after `at`, of young person ypKey, raised
// by rule about milestone ("" for an age notice) for the day due, to recipient to.
func reminder(n int, ypKey, rule, milestone string, due civil.Date, to domain.Recipient) domain.Reminder {
	created := at.Add(time.Duration(n) * time.Minute)
	return domain.Reminder{ID: reminderID(n), YoungPersonID: idOf(ypKey), CouncilID: "council-a", Rule: rule,
		MilestoneID: milestone, Title: "Reminder " + strconv.Itoa(n), DueOn: due, Recipient: to,
		State: domain.ReminderOpen, CreateTime: created, UpdateTime: created}
}

// nthReminder is the nth reminder of young person ypKey to recipient to, due on the nth
// day of 2026 (so that each has its own key).
func nthReminder(n int, ypKey string, to domain.Recipient) domain.Reminder {
	return reminder(n, ypKey, "milestone.due", idOf("m-"+ypKey), civil.New(2026, 1, n), to)
}

func storedReminder(r domain.Reminder, revision int64) domain.Reminder {
	r.Revision = revision
	r.SnoozeUntil, r.CreateTime, r.UpdateTime = storedTime(r.SnoozeUntil), storedTime(r.CreateTime), storedTime(r.UpdateTime)
	return r
}

func storedReminders(rs ...domain.Reminder) []domain.Reminder {
	out := make([]domain.Reminder, len(rs))
	for i, r := range rs {
		out[i] = storedReminder(r, 1)
	}
	return out
}

func addReminders(t *testing.T, s store.Store, rs ...domain.Reminder) (added []domain.Reminder) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		added, err = tx.AddReminders(context.Background(), rs)
		return err
	})
	return added
}

func getReminder(t *testing.T, s store.Store, id string) (domain.Reminder, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Reminder, error) { return tx.GetReminder(context.Background(), id) })
}

func listReminders(t *testing.T, s store.Store, q store.ReminderQuery) (rs []domain.Reminder) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		rs, err = tx.ListReminders(context.Background(), q)
		return err
	})
	return rs
}

func updateReminder(s store.Store, r domain.Reminder, ifRevision int64) (out domain.Reminder, err error) {
	err = s.InTx(context.Background(), func(tx store.Tx) (err error) {
		out, err = tx.UpdateReminder(context.Background(), r, ifRevision)
		return err
	})
	return out, err
}

func reminderIDs(rs []domain.Reminder) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// reminderNumbers are the ids of the nth reminders.
func reminderNumbers(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = reminderID(n)
	}
	return out
}

func setSchedule(t *testing.T, s store.Store, youngPersonID string, next time.Time) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) error {
		return tx.SetReminderSchedules(context.Background(), []store.ReminderSchedule{{YoungPersonID: youngPersonID, Next: next}})
	})
}

func dueSchedules(t *testing.T, s store.Store, now time.Time, limit int) (ids []string) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ids, err = tx.DueReminderSchedules(context.Background(), now, limit)
		return err
	})
	return ids
}

// webhookOrganisations are the organisations the webhook tests use.
func webhookOrganisations(t *testing.T, s store.Store) {
	t.Helper()
	createOrganisations(t, s,
		organisation("council-a", domain.Council),
		organisation("partner-h", domain.Housing),
		organisation("partner-e", domain.EmploymentAndTraining))
}

// endpoint is an endpoint of org known as key, created at `at` with one secret.
func endpoint(key, org string) domain.WebhookEndpoint {
	return domain.WebhookEndpoint{ID: idOf(key), OrganisationID: org, URL: "https://" + key + ".example/hooks",
		Description: "Endpoint " + key, Secrets: []domain.WebhookSecret{{Secret: "whsec_" + key, CreateTime: at}},
		CreateTime: at, UpdateTime: at}
}

func storedEndpoint(e domain.WebhookEndpoint, revision int64, failed int) domain.WebhookEndpoint {
	e.Revision, e.FailedDeliveries = revision, failed
	e.CreateTime, e.UpdateTime = storedTime(e.CreateTime), storedTime(e.UpdateTime)
	secrets := make([]domain.WebhookSecret, len(e.Secrets))
	for i, sec := range e.Secrets {
		secrets[i] = domain.WebhookSecret{Secret: sec.Secret, CreateTime: storedTime(sec.CreateTime), Expires: storedTime(sec.Expires)}
	}
	e.Secrets = secrets
	return e
}

func createEndpoints(t *testing.T, s store.Store, es ...domain.WebhookEndpoint) {
	t.Helper()
	createEach(t, s, store.Tx.CreateWebhookEndpoint, es...)
}

func getEndpoint(t *testing.T, s store.Store, id string) (domain.WebhookEndpoint, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.WebhookEndpoint, error) {
		return tx.GetWebhookEndpoint(context.Background(), id)
	})
}

func listEndpoints(t *testing.T, s store.Store, org, after string, limit int) (es []domain.WebhookEndpoint) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		es, err = tx.ListWebhookEndpoints(context.Background(), org, after, limit)
		return err
	})
	return es
}

// delivery is the nth delivery, of reminder r to endpoint e, pending with its first
// attempt due at next.
func delivery(n int, r domain.Reminder, e domain.WebhookEndpoint, next time.Time) domain.Delivery {
	return domain.Delivery{ID: deliveryID(n), ReminderID: r.ID, EndpointID: e.ID, OrganisationID: e.OrganisationID,
		WebhookID: "msg_" + strconv.Itoa(n), State: domain.DeliveryPending, NextAttemptTime: next,
		CreateTime: at, UpdateTime: at}
}

func storedDelivery(d domain.Delivery) domain.Delivery {
	d.NextAttemptTime, d.DeliverTime = storedTime(d.NextAttemptTime), storedTime(d.DeliverTime)
	d.CreateTime, d.UpdateTime = storedTime(d.CreateTime), storedTime(d.UpdateTime)
	return d
}

func storedDeliveries(ds ...domain.Delivery) []domain.Delivery {
	out := make([]domain.Delivery, len(ds))
	for i, d := range ds {
		out[i] = storedDelivery(d)
	}
	return out
}

func addDeliveries(t *testing.T, s store.Store, ds ...domain.Delivery) (added []domain.Delivery) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		added, err = tx.AddDeliveries(context.Background(), ds)
		return err
	})
	return added
}

func getDelivery(t *testing.T, s store.Store, id string) (domain.Delivery, error) {
	t.Helper()
	return read(t, s, func(tx store.Tx) (domain.Delivery, error) { return tx.GetDelivery(context.Background(), id) })
}

func updateDelivery(t *testing.T, s store.Store, d domain.Delivery) (out domain.Delivery) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		out, err = tx.UpdateDelivery(context.Background(), d)
		return err
	})
	return out
}

func listDeliveries(t *testing.T, s store.Store, q store.DeliveryQuery) (ds []domain.Delivery) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ds, err = tx.ListDeliveries(context.Background(), q)
		return err
	})
	return ds
}

func dueDeliveries(t *testing.T, s store.Store, now time.Time, limit int) (ds []domain.Delivery) {
	t.Helper()
	inTx(t, s, func(tx store.Tx) (err error) {
		ds, err = tx.DueDeliveries(context.Background(), now, limit)
		return err
	})
	return ds
}

func deliveryIDs(ds []domain.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func deliveryNumbers(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = deliveryID(n)
	}
	return out
}

func testReminders(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	day := civil.New

	t.Run("AddAndGet", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		lead := reminder(1, "y1", "milestone.lead.30d", idOf("m1"), day(2026, 3, 1), toAdviser)
		age := reminder(2, "y1", "age.16y3m", "", day(2026, 6, 1), toAdviser) // an age notice: no milestone
		snoozed := reminder(3, "y1", "milestone.due", idOf("m1"), day(2026, 3, 31), toPartner)
		snoozed.SnoozeUntil = at.Add(90 * time.Minute)
		added := addReminders(t, s, lead, age, snoozed)
		want := storedReminders(lead, age, snoozed)
		if diff := cmp.Diff(want, added); diff != "" {
			t.Fatalf("AddReminders returned (-want +got):\n%s", diff)
		}
		for _, w := range want {
			got, err := getReminder(t, s, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Fatalf("GetReminder (-want +got):\n%s", diff)
			}
		}
		if added := addReminders(t, s); len(added) != 0 {
			t.Fatalf("adding no reminders added %v", added)
		}
	})

	t.Run("AddSkipsExisting", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"), youngPerson("y2"))
		first := reminder(1, "y1", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser)
		addReminders(t, s, first)

		again := reminder(2, "y1", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser) // the same key
		again.Title = "Raised again"
		otherRecipient := reminder(3, "y1", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser2)
		otherDay := reminder(4, "y1", "milestone.due", idOf("m1"), day(2026, 3, 2), toAdviser)
		otherRule := reminder(5, "y1", "milestone.overdue", idOf("m1"), day(2026, 3, 1), toAdviser)
		otherMilestone := reminder(6, "y1", "milestone.due", idOf("m2"), day(2026, 3, 1), toAdviser)
		otherYoungPerson := reminder(7, "y2", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser)
		twice := reminder(8, "y1", "milestone.due", idOf("m1"), day(2026, 3, 2), toAdviser) // as otherDay, in the same call
		ageNotice := reminder(9, "y1", "age.18y", "", day(2026, 3, 1), toAdviser)
		ageNoticeAgain := reminder(10, "y1", "age.18y", "", day(2026, 3, 1), toAdviser)
		missing := reminder(11, "nobody", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser)

		added := addReminders(t, s, again, otherRecipient, otherDay, otherRule, otherMilestone, twice, missing,
			otherYoungPerson, ageNotice, ageNoticeAgain)
		want := storedReminders(otherRecipient, otherDay, otherRule, otherMilestone, otherYoungPerson, ageNotice)
		if diff := cmp.Diff(want, added); diff != "" {
			t.Fatalf("AddReminders returned (-want +got) (only the new, in order):\n%s", diff)
		}
		for _, r := range []domain.Reminder{again, twice, ageNoticeAgain, missing} {
			_, err := getReminder(t, s, r.ID)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
		got, _ := getReminder(t, s, first.ID)
		if diff := cmp.Diff(storedReminder(first, 1), got); diff != "" {
			t.Fatalf("adding the same reminder again changed it (-want +got):\n%s", diff)
		}
		if got := reminderIDs(listReminders(t, s, store.ReminderQuery{YoungPersonID: idOf("y1"), Limit: 100})); !slices.Equal(got,
			reminderNumbers(9, 6, 5, 4, 3, 1)) {
			t.Fatalf("y1's reminders are %v, want one of each key", got)
		}
		if added := addReminders(t, s, first, again, otherDay); len(added) != 0 {
			t.Fatalf("adding stored reminders again added %v", reminderIDs(added))
		}
	})

	t.Run("AddReopensCancelled", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		cancelled := reminder(1, "y1", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser)
		cancelled.SnoozeUntil = at.Add(time.Hour)
		open := reminder(2, "y1", "milestone.due", idOf("m2"), day(2026, 3, 1), toAdviser)
		acknowledged := reminder(3, "y1", "milestone.due", idOf("m3"), day(2026, 3, 1), toAdviser)
		acknowledged.State = domain.ReminderAcknowledged
		addReminders(t, s, cancelled, open, acknowledged)
		cancelTime := at.Add(time.Hour)
		inTx(t, s, func(tx store.Tx) error {
			return tx.CancelReminders(ctx, []string{cancelled.ID}, "milestone achieved", cancelTime)
		})

		// Raised again, with new ids, later, snoozed and under new titles.
		again := func(n int, of domain.Reminder) domain.Reminder {
			r := reminder(n, "y1", of.Rule, of.MilestoneID, of.DueOn, of.Recipient)
			r.Title, r.SnoozeUntil = "Raised again "+strconv.Itoa(n), at.Add(72*time.Hour)
			r.CreateTime, r.UpdateTime = at.Add(48*time.Hour), at.Add(48*time.Hour+789*time.Nanosecond)
			return r
		}
		againCancelled, againOpen, againAcknowledged := again(11, cancelled), again(12, open), again(13, acknowledged)
		twice := again(14, cancelled) // as againCancelled, in the same call
		fresh := reminder(15, "y1", "milestone.due", idOf("m4"), day(2026, 3, 1), toAdviser)
		added := addReminders(t, s, againOpen, againCancelled, twice, fresh, againAcknowledged)

		reopened := storedReminder(cancelled, 3) // added, cancelled, reopened
		reopened.Title, reopened.SnoozeUntil, reopened.UpdateTime = againCancelled.Title, time.Time{}, storedTime(againCancelled.UpdateTime)
		want := []domain.Reminder{reopened, storedReminder(fresh, 1)}
		if diff := cmp.Diff(want, added); diff != "" {
			t.Fatalf("AddReminders returned (-want +got) (the reopened with its own id, then the new):\n%s", diff)
		}
		for _, w := range []domain.Reminder{reopened, storedReminder(open, 1), storedReminder(acknowledged, 1), storedReminder(fresh, 1)} {
			got, _ := getReminder(t, s, w.ID)
			if diff := cmp.Diff(w, got); diff != "" {
				t.Fatalf("after adding again, reminder %s (-want +got):\n%s", w.Title, diff)
			}
		}
		for _, r := range []domain.Reminder{againCancelled, againOpen, againAcknowledged, twice} {
			_, err := getReminder(t, s, r.ID)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
		if got := reminderIDs(listReminders(t, s, store.ReminderQuery{YoungPersonID: idOf("y1"),
			States: []domain.ReminderState{domain.ReminderOpen}, Limit: 100})); !slices.Equal(got, reminderNumbers(15, 2, 1)) {
			t.Fatalf("y1's open reminders are %v", got)
		}
		// Open again, it is left alone.
		if added := addReminders(t, s, again(16, cancelled)); len(added) != 0 {
			t.Fatalf("adding a reopened reminder again added %v", reminderIDs(added))
		}
		if got, _ := getReminder(t, s, cancelled.ID); got.Revision != 3 {
			t.Fatalf("adding a reopened reminder again changed it to revision %d", got.Revision)
		}
	})

	t.Run("AddTakenID", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		first := reminder(1, "y1", "milestone.due", idOf("m1"), day(2026, 3, 1), toAdviser)
		addReminders(t, s, first)
		other := reminder(1, "y1", "milestone.due", idOf("m1"), day(2026, 3, 2), toAdviser) // another key, the same id
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.AddReminders(ctx, []domain.Reminder{other}); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		got, _ := getReminder(t, s, first.ID)
		if diff := cmp.Diff(storedReminder(first, 1), got); diff != "" {
			t.Fatalf("a refused add changed the reminder (-want +got):\n%s", diff)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		addReminders(t, s, nthReminder(1, "y1", toAdviser))
		_, err := getReminder(t, s, reminderID(2))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		in := nthReminder(1, "y1", toAdviser)
		addReminders(t, s, in)
		steps := []struct {
			name       string
			change     func(*domain.Reminder)
			ifRevision int64
		}{
			{"snooze", func(r *domain.Reminder) { r.SnoozeUntil = at.Add(48 * time.Hour) }, 1},
			{"wake", func(r *domain.Reminder) { r.SnoozeUntil = time.Time{} }, 0},
			{"acknowledge", func(r *domain.Reminder) { r.State = domain.ReminderAcknowledged }, 3},
			{"cancel", func(r *domain.Reminder) { r.State, r.CancelReason = domain.ReminderCancelled, "milestone achieved" }, 4},
		}
		current := storedReminder(in, 1)
		for i, step := range steps {
			changed := current
			step.change(&changed)
			changed.UpdateTime = at.Add(time.Duration(i+1) * time.Hour)
			// What a reminder is about, and when it was made, never change.
			sent := changed
			sent.Title, sent.Recipient, sent.DueOn, sent.CreateTime = "Changed", toPartner, day(2030, 1, 1), at.Add(time.Hour)
			out, err := updateReminder(s, sent, step.ifRevision)
			if err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			want := storedReminder(changed, current.Revision+1)
			if diff := cmp.Diff(want, out); diff != "" {
				t.Fatalf("%s: UpdateReminder returned (-want +got):\n%s", step.name, diff)
			}
			got, _ := getReminder(t, s, in.ID)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: after update, GetReminder (-want +got):\n%s", step.name, diff)
			}
			current = got
		}
	})

	t.Run("UpdateStaleRevisionChangesNothing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		in := nthReminder(1, "y1", toAdviser)
		addReminders(t, s, in)
		changed := in
		changed.State = domain.ReminderAcknowledged
		_, err := updateReminder(s, changed, 2)
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		got, _ := getReminder(t, s, in.ID)
		if diff := cmp.Diff(storedReminder(in, 1), got); diff != "" {
			t.Fatalf("a stale update changed the reminder (-want +got):\n%s", diff)
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("y1"))
		for _, ifRevision := range []int64{0, 1} {
			_, err := updateReminder(s, nthReminder(1, "y1", toAdviser), ifRevision)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
	})

	t.Run("List", func(t *testing.T) { testListReminders(t, newStore) })
	t.Run("Routing", func(t *testing.T) { testReminderRouting(t, newStore) })
	t.Run("Cancel", func(t *testing.T) { testCancelReminders(t, newStore) })
	t.Run("Schedules", func(t *testing.T) { testReminderSchedules(t, newStore) })
	t.Run("DeletingTheYoungPerson", func(t *testing.T) { testReminderCascade(t, newStore) })
}

// listRemindersFixture adds ten reminders, out of order:
//
//	n   young person  recipient  state         snoozed until
//	1   y1            pa-1       OPEN
//	2   y1            partner-h  OPEN
//	3   y2            pa-1       OPEN          at+2h
//	4   y2            pa-2       ACKNOWLEDGED
//	5   y1            pa-1       CANCELLED
//	6   y2            partner-h  OPEN          at+30m
//	7   y1            pa-2       OPEN
//	8   y2            pa-1       OPEN
//	9   y1            partner-h  ACKNOWLEDGED
//	10  y2            pa-1       OPEN          at+1h
func listRemindersFixture(t *testing.T, s store.Store) []domain.Reminder {
	create(t, s, youngPerson("y1"), youngPerson("y2"))
	rows := []struct {
		yp     string
		to     domain.Recipient
		state  domain.ReminderState
		snooze time.Duration
	}{
		{"y1", toAdviser, domain.ReminderOpen, 0},
		{"y1", toPartner, domain.ReminderOpen, 0},
		{"y2", toAdviser, domain.ReminderOpen, 2 * time.Hour},
		{"y2", toAdviser2, domain.ReminderAcknowledged, 0},
		{"y1", toAdviser, domain.ReminderCancelled, 0},
		{"y2", toPartner, domain.ReminderOpen, 30 * time.Minute},
		{"y1", toAdviser2, domain.ReminderOpen, 0},
		{"y2", toAdviser, domain.ReminderOpen, 0},
		{"y1", toPartner, domain.ReminderAcknowledged, 0},
		{"y2", toAdviser, domain.ReminderOpen, time.Hour},
	}
	rs := make([]domain.Reminder, len(rows))
	for i, row := range rows {
		r := nthReminder(i+1, row.yp, row.to)
		r.State = row.state
		if row.snooze != 0 {
			r.SnoozeUntil = at.Add(row.snooze)
		}
		rs[i] = r
	}
	// Added out of id order, and in two calls: the order of listings is the ids'.
	addReminders(t, s, rs[6], rs[2], rs[9], rs[0], rs[4])
	addReminders(t, s, rs[8], rs[1], rs[7], rs[3], rs[5])
	return rs
}

// ReminderRouting reads what ListShares, YoungPersonAccounts, ListReminders of each young
// person's open ones and GetPerson read, at once; the open reminders at most as many as asked
// of each young person, their newest: one with many does not crowd out the others.
func testReminderRouting(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	listRemindersFixture(t, s)
	createOrganisations(t, s, organisation("council-a", domain.Council), organisation("partner-h", domain.Housing))
	account := person("yp-1", "council-a", "", domain.YoungPersonRole)
	account.YoungPersonID = idOf("y1")
	adviser := person("pa-1", "council-a", "north", domain.PersonalAdviser)
	createPeople(t, s, account, adviser)
	createShares(t, s, share("s1", "y1", "partner-h", domain.PurposeHousing, civil.New(2026, 1, 1), civil.New(2027, 1, 1)),
		share("s2", "y2", "partner-h", domain.PurposeHousing, civil.New(2026, 1, 1), civil.New(2027, 1, 1)))
	ids := []string{idOf("y2"), idOf("nobody"), idOf("y1")}
	var want, got store.ReminderRouting
	inTx(t, s, func(tx store.Tx) (err error) {
		if want.Shares, err = tx.ListShares(ctx, ids...); err != nil {
			return err
		}
		if want.Accounts, err = tx.YoungPersonAccounts(ctx, ids); err != nil {
			return err
		}
		for _, id := range []string{idOf("y1"), idOf("y2")} {
			open, err := tx.ListReminders(ctx, store.ReminderQuery{YoungPersonID: id,
				States: []domain.ReminderState{domain.ReminderOpen}, Limit: 2})
			if err != nil {
				return err
			}
			want.Open = append(want.Open, open...)
		}
		p, err := tx.GetPerson(ctx, "pa-1")
		want.People = []domain.Person{p}
		return err
	})
	inTx(t, s, func(tx store.Tx) (err error) {
		got, err = tx.ReminderRouting(ctx, ids, []string{"pa-1", "gone", "pa-1"}, 2)
		return err
	})
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ReminderRouting (-the reads one by one +together):\n%s", diff)
	}
	if wantOpen := []string{reminderID(7), reminderID(2), reminderID(10), reminderID(8)}; len(got.Shares) != 2 ||
		len(got.Accounts) != 1 || !slices.Equal(reminderIDs(got.Open), wantOpen) {
		t.Errorf("ReminderRouting read %d shares, %d accounts, open %v; want both shares, y1's account and "+
			"the two newest open reminders of each, %v", len(got.Shares), len(got.Accounts), reminderIDs(got.Open), wantOpen)
	}
	inTx(t, s, func(tx store.Tx) (err error) {
		got, err = tx.ReminderRouting(ctx, nil, []string{"pa-1"}, 2)
		return err
	})
	if len(got.Shares)+len(got.Accounts)+len(got.Open) != 0 || len(got.People) != 1 {
		t.Errorf("ReminderRouting of no young people read %+v, want only the person", got)
	}
}

func testListReminders(t *testing.T, newStore NewStore) {
	s := newStore(t)
	rs := listRemindersFixture(t, s)
	all := []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	cases := []struct {
		name string
		q    store.ReminderQuery
		want []int
	}{
		{"all", store.ReminderQuery{}, all},
		{"a young person", store.ReminderQuery{YoungPersonID: idOf("y1")}, []int{9, 7, 5, 2, 1}},
		{"nobody", store.ReminderQuery{YoungPersonID: idOf("nobody")}, nil},
		{"a recipient", store.ReminderQuery{Recipients: []domain.Recipient{toAdviser}}, []int{10, 8, 5, 3, 1}},
		{"two recipients", store.ReminderQuery{Recipients: []domain.Recipient{toPartner, toAdviser}}, []int{10, 9, 8, 6, 5, 3, 2, 1}},
		{"a recipient with none", store.ReminderQuery{Recipients: []domain.Recipient{domain.PersonRecipient("pa-9")}}, nil},
		{"open", store.ReminderQuery{States: []domain.ReminderState{domain.ReminderOpen}}, []int{10, 8, 7, 6, 3, 2, 1}},
		{"open or acknowledged", store.ReminderQuery{States: []domain.ReminderState{domain.ReminderOpen, domain.ReminderAcknowledged}},
			[]int{10, 9, 8, 7, 6, 4, 3, 2, 1}},
		{"cancelled", store.ReminderQuery{States: []domain.ReminderState{domain.ReminderCancelled}}, []int{5}},
		{"awake at", store.ReminderQuery{AwakeAt: at}, []int{9, 8, 7, 5, 4, 2, 1}},
		{"awake an hour later", store.ReminderQuery{AwakeAt: at.Add(time.Hour)}, []int{10, 9, 8, 7, 6, 5, 4, 2, 1}},
		{"awake a moment before an hour later", store.ReminderQuery{AwakeAt: at.Add(time.Hour - time.Microsecond)},
			[]int{9, 8, 7, 6, 5, 4, 2, 1}},
		{"awake three hours later", store.ReminderQuery{AwakeAt: at.Add(3 * time.Hour)}, all},
		{"an inbox", store.ReminderQuery{Recipients: []domain.Recipient{toAdviser}, States: []domain.ReminderState{domain.ReminderOpen},
			AwakeAt: at.Add(time.Hour)}, []int{10, 8, 1}},
		{"a young person and a recipient", store.ReminderQuery{YoungPersonID: idOf("y2"), Recipients: []domain.Recipient{toAdviser}},
			[]int{10, 8, 3}},
		{"before", store.ReminderQuery{BeforeID: reminderID(6)}, []int{5, 4, 3, 2, 1}},
		{"after", store.ReminderQuery{AfterID: reminderID(6)}, []int{10, 9, 8, 7}},
		{"after and before", store.ReminderQuery{AfterID: reminderID(3), BeforeID: reminderID(8)}, []int{7, 6, 5, 4}},
		{"oldest first", store.ReminderQuery{Oldest: true}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"oldest first after", store.ReminderQuery{Oldest: true, AfterID: reminderID(6)}, []int{7, 8, 9, 10}},
		{"oldest first of a young person", store.ReminderQuery{Oldest: true, YoungPersonID: idOf("y1")}, []int{1, 2, 5, 7, 9}},
		{"after the last", store.ReminderQuery{AfterID: reminderID(10)}, nil},
		// The cursor need not be a reminder.
		{"between cursors that are not reminders", store.ReminderQuery{AfterID: betweenID(1, 1), BeforeID: betweenID(1, 5)},
			[]int{5, 4, 3, 2}},
		{"oldest first between cursors that are not reminders", store.ReminderQuery{Oldest: true, AfterID: betweenID(1, 1),
			BeforeID: betweenID(1, 5)}, []int{2, 3, 4, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := reminderNumbers(tc.want...)
			q := tc.q
			q.Limit = 100
			if got := reminderIDs(listReminders(t, s, q)); !slices.Equal(got, want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
			for _, limit := range []int{1, 2, 3} {
				q := tc.q
				q.Limit = limit
				var got []string
				if q.Oldest {
					got = reminderIDs(allPages(t, limit, q.AfterID, func(after string) []domain.Reminder {
						q.AfterID = after
						return listReminders(t, s, q)
					}, func(r domain.Reminder) string { return r.ID }))
				} else {
					got = reminderIDs(allPages(t, limit, q.BeforeID, func(before string) []domain.Reminder {
						q.BeforeID = before
						return listReminders(t, s, q)
					}, func(r domain.Reminder) string { return r.ID }))
				}
				if !slices.Equal(got, want) {
					t.Fatalf("pages of %d listed %v, want %v", limit, got, want)
				}
			}
		})
	}

	t.Run("WholeReminders", func(t *testing.T) {
		want := storedReminders(rs[9], rs[8], rs[7])
		if diff := cmp.Diff(want, listReminders(t, s, store.ReminderQuery{Limit: 3})); diff != "" {
			t.Fatalf("ListReminders (-want +got):\n%s", diff)
		}
	})
}

func testCancelReminders(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	webhookOrganisations(t, s)
	create(t, s, youngPerson("y1"))
	e := endpoint("e", "partner-h")
	createEndpoints(t, s, e)
	open := nthReminder(1, "y1", toPartner)
	acknowledged := nthReminder(2, "y1", toPartner)
	acknowledged.State = domain.ReminderAcknowledged
	alreadyCancelled := nthReminder(3, "y1", toPartner)
	alreadyCancelled.State, alreadyCancelled.CancelReason = domain.ReminderCancelled, "earlier"
	untouched := nthReminder(4, "y1", toPartner)
	openWithDelivered := nthReminder(5, "y1", toPartner)
	addReminders(t, s, open, acknowledged, alreadyCancelled, untouched, openWithDelivered)
	e2 := endpoint("e2", "partner-h")
	createEndpoints(t, s, e2)
	pending := delivery(1, open, e, at)
	failed := delivery(2, open, e2, at)
	failed.State, failed.Attempts, failed.LastError = domain.DeliveryFailed, 8, "HTTP 503"
	ofAcknowledged := delivery(3, acknowledged, e, at)
	ofUntouched := delivery(4, untouched, e, at)
	delivered := delivery(5, openWithDelivered, e, at)
	delivered.State, delivered.Attempts, delivered.DeliverTime = domain.DeliveryDelivered, 1, at.Add(time.Minute)
	addDeliveries(t, s, pending, failed, ofAcknowledged, ofUntouched, delivered)

	now := at.Add(24*time.Hour + 789*time.Nanosecond)
	inTx(t, s, func(tx store.Tx) error {
		return tx.CancelReminders(ctx, []string{open.ID, acknowledged.ID, alreadyCancelled.ID, openWithDelivered.ID,
			reminderID(99)}, "milestone achieved", now)
	})
	cancelled := func(r domain.Reminder) domain.Reminder {
		r.State, r.CancelReason, r.UpdateTime = domain.ReminderCancelled, "milestone achieved", now
		return storedReminder(r, 2)
	}
	for _, want := range []domain.Reminder{cancelled(open), storedReminder(acknowledged, 1), storedReminder(alreadyCancelled, 1),
		storedReminder(untouched, 1), cancelled(openWithDelivered)} {
		got, _ := getReminder(t, s, want.ID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("after CancelReminders, reminder %s (-want +got):\n%s", want.Title, diff)
		}
	}
	cancelledDelivery := storedDelivery(pending)
	cancelledDelivery.State, cancelledDelivery.UpdateTime = domain.DeliveryCancelled, storedTime(now)
	for _, want := range []domain.Delivery{cancelledDelivery, storedDelivery(failed), storedDelivery(ofAcknowledged),
		storedDelivery(ofUntouched), storedDelivery(delivered)} {
		got, _ := getDelivery(t, s, want.ID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("after CancelReminders, delivery %s (-want +got):\n%s", want.WebhookID, diff)
		}
	}
	if got := deliveryIDs(dueDeliveries(t, s, now, 10)); !slices.Equal(got, deliveryNumbers(3, 4)) {
		t.Fatalf("due deliveries after cancelling are %v, want those of the reminders not cancelled", got)
	}
	inTx(t, s, func(tx store.Tx) error { return tx.CancelReminders(ctx, nil, "nothing", now) })
}

func testReminderSchedules(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("DueEarliestFirst", func(t *testing.T) {
		s := newStore(t)
		keys := []string{"sa", "sb", "sc", "sd", "se"}
		for _, k := range keys {
			create(t, s, youngPerson(k))
		}
		setSchedule(t, s, idOf("sa"), at.Add(2*time.Hour))
		setSchedule(t, s, idOf("sb"), at.Add(time.Hour))
		setSchedule(t, s, idOf("sc"), at.Add(3*time.Hour))
		setSchedule(t, s, idOf("sd"), at.Add(time.Hour)) // as sb: by id
		// se has none.
		tied := sortedIDs("sb", "sd")
		if got := dueSchedules(t, s, at.Add(2*time.Hour), 10); !slices.Equal(got, append(slices.Clone(tied), idOf("sa"))) {
			t.Fatalf("due at +2h: %v, want %v then sa", got, tied)
		}
		if got := dueSchedules(t, s, at.Add(2*time.Hour), 1); !slices.Equal(got, tied[:1]) {
			t.Fatalf("due at +2h, limit 1: %v, want %v", got, tied[:1])
		}
		if got := dueSchedules(t, s, at.Add(time.Hour-time.Microsecond), 10); len(got) != 0 {
			t.Fatalf("due before any: %v", got)
		}
		if got := dueSchedules(t, s, at.Add(time.Hour), 10); !slices.Equal(got, tied) {
			t.Fatalf("due at exactly +1h: %v, want %v", got, tied)
		}
		// Moved on, and moved back.
		setSchedule(t, s, tied[0], at.Add(48*time.Hour))
		setSchedule(t, s, idOf("sc"), at)
		if got, want := dueSchedules(t, s, at.Add(3*time.Hour), 10), []string{idOf("sc"), tied[1], idOf("sa")}; !slices.Equal(got, want) {
			t.Fatalf("after rescheduling: %v, want %v", got, want)
		}
		// The zero time removes the schedule; removing none is no error.
		setSchedule(t, s, idOf("sa"), time.Time{})
		setSchedule(t, s, idOf("se"), time.Time{})
		if got, want := dueSchedules(t, s, at.Add(100*time.Hour), 10), []string{idOf("sc"), tied[1], tied[0]}; !slices.Equal(got, want) {
			t.Fatalf("after removing sa's schedule: %v, want %v", got, want)
		}
	})

	t.Run("HastenedForAPartner", func(t *testing.T) {
		s := newStore(t)
		sharingOrganisations(t, s)
		other := youngPerson("h-other-council")
		other.CouncilID, other.CaseReference = "council-b", "REF-B"
		create(t, s, youngPerson("h-shared"), youngPerson("h-withdrawn"), youngPerson("h-soon"), youngPerson("h-none"),
			youngPerson("h-other-partner"), youngPerson("h-past-25"), other)
		day := civil.New(2026, 1, 1)
		withdrawn := share("hs-2", "h-withdrawn", "partner-h", domain.PurposeHousing, day, day.AddDays(90))
		createShares(t, s, share("hs-1", "h-shared", "partner-h", domain.PurposeHousing, day, day.AddDays(90)), withdrawn,
			share("hs-3", "h-soon", "partner-h", domain.PurposeHousing, day, day.AddDays(90)),
			share("hs-4", "h-other-partner", "partner-e", domain.PurposeEmployment, day, day.AddDays(90)),
			share("hs-5", "h-past-25", "partner-h", domain.PurposeHousing, day, day.AddDays(90)),
			share("hs-6", "h-other-council", "partner-h", domain.PurposeHousing, day, day.AddDays(90)))
		withdraw(t, s, withdrawn, 1)
		later := at.Add(48 * time.Hour)
		for _, k := range []string{"h-shared", "h-withdrawn", "h-none", "h-other-partner", "h-other-council"} {
			setSchedule(t, s, idOf(k), later)
		}
		setSchedule(t, s, idOf("h-soon"), at.Add(time.Minute)) // already sooner: kept
		inTx(t, s, func(tx store.Tx) error {
			return tx.HastenReminderSchedules(ctx, "council-a", "partner-h", at.Add(time.Hour))
		})
		want := append(sortedIDs("h-soon"), sortedIDs("h-shared", "h-withdrawn")...)
		if got := dueSchedules(t, s, at.Add(time.Hour), 10); !slices.Equal(got, want) {
			t.Fatalf("due after hastening: %v, want %v (the partner's young people of the council, with a schedule)", got, want)
		}
	})

	t.Run("HastenedForCaseloads", func(t *testing.T) {
		s := newStore(t)
		withAdviser := func(key, adviser string) domain.YoungPerson {
			yp := youngPerson(key)
			yp.PersonalAdviserID = adviser
			return yp
		}
		other := withAdviser("c-other-council", "pa-1")
		other.CouncilID, other.CaseReference = "council-b", "REF-B"
		create(t, s, withAdviser("c-pa1", "pa-1"), withAdviser("c-pa2", "pa-2"), withAdviser("c-pa3", "pa-3"),
			withAdviser("c-none", ""), withAdviser("c-soon", "pa-1"), other)
		later := at.Add(48 * time.Hour)
		for _, k := range []string{"c-pa1", "c-pa2", "c-pa3", "c-none", "c-other-council"} {
			setSchedule(t, s, idOf(k), later)
		}
		setSchedule(t, s, idOf("c-soon"), at.Add(time.Minute)) // already sooner: kept
		inTx(t, s, func(tx store.Tx) error {
			return tx.HastenCaseloads(ctx, "council-a", []string{"pa-1", "pa-2"}, at.Add(time.Hour))
		})
		want := append(sortedIDs("c-soon"), sortedIDs("c-pa1", "c-pa2")...)
		if got := dueSchedules(t, s, at.Add(time.Hour), 10); !slices.Equal(got, want) {
			t.Fatalf("due after hastening: %v, want %v (the advisers' young people of the council)", got, want)
		}
		inTx(t, s, func(tx store.Tx) error { return tx.HastenCaseloads(ctx, "council-a", nil, at) })
	})

	t.Run("MissingYoungPerson", func(t *testing.T) {
		s := newStore(t)
		create(t, s, youngPerson("somebody"))
		err := s.InTx(ctx, func(tx store.Tx) error {
			return tx.SetReminderSchedules(ctx, []store.ReminderSchedule{{YoungPersonID: idOf("somebody"), Next: at},
				{YoungPersonID: idOf("nobody"), Next: at}})
		})
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if got := dueSchedules(t, s, at, 10); len(got) != 0 {
			t.Fatalf("due: %v", got)
		}
	})

	t.Run("SkipsLocked", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"lock-1", "lock-2", "lock-3"} {
			create(t, s, youngPerson(k))
			setSchedule(t, s, idOf(k), at)
		}
		testClaimSkipsLocked(t, s, "DueReminderSchedules", sortedIDs("lock-1", "lock-2", "lock-3"),
			func(tx store.Tx, limit int) ([]string, error) { return tx.DueReminderSchedules(ctx, at, limit) })
	})

	t.Run("SkipsHeldYoungPeople", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"lock-1", "lock-2", "lock-3"} {
			create(t, s, youngPerson(k))
			setSchedule(t, s, idOf(k), at)
		}
		// A service holds the young person (and would then set their schedule).
		testClaimSkipsHeld(t, s, "DueReminderSchedules", sortedIDs("lock-1", "lock-2", "lock-3"),
			func(tx store.Tx) (string, error) {
				yp, err := tx.LockYoungPerson(ctx, idOf("lock-2"))
				return yp.ID, err
			},
			func(tx store.Tx, limit int) ([]string, error) { return tx.DueReminderSchedules(ctx, at, limit) })
	})

	t.Run("ConcurrentPlannersPlanEachOnce", func(t *testing.T) {
		s := newStore(t)
		const n = 12
		for i := range n {
			k := fmt.Sprintf("rs-%02d", i)
			create(t, s, youngPerson(k))
			setSchedule(t, s, idOf(k), at.Add(time.Duration(i)*time.Second))
		}
		claimEachOnce(t, s, n, "planned", func(tx store.Tx) ([]string, error) {
			ids, err := tx.DueReminderSchedules(ctx, at.Add(time.Hour), 1)
			for _, id := range ids {
				if err := tx.SetReminderSchedules(ctx, []store.ReminderSchedule{{YoungPersonID: id, Next: at.Add(24 * time.Hour)}}); err != nil {
					return nil, err
				}
			}
			return ids, err
		})
	})
}

// testClaimSkipsLocked checks that claim locks what it returns and skips, rather than
// waits for, what another transaction holds; all is everything it can claim, in id order.
// A store that runs transactions one at a time (memory) cannot show the second
// transaction at work; the test then only checks that the second claims what the first
// never held.
func testClaimSkipsLocked(t *testing.T, s store.Store, name string, all []string, claim func(tx store.Tx, limit int) ([]string, error)) {
	testClaimSkipsHeld(t, s, name, all, func(tx store.Tx) (string, error) {
		held, err := claim(tx, 1)
		if err != nil || len(held) != 1 {
			return "", fmt.Errorf("first %s = %v, %v; want one id", name, held, err)
		}
		return held[0], nil
	}, claim)
}

// testClaimSkipsHeld checks that, while a transaction holds what hold returns the id of,
// claim in another transaction skips it, rather than waiting for it, and returns the rest
// of all (in id order), as testClaimSkipsLocked.
func testClaimSkipsHeld(t *testing.T, s store.Store, name string, all []string, hold func(tx store.Tx) (string, error),
	claim func(tx store.Tx, limit int) ([]string, error)) {
	ctx := context.Background()
	entered, done := make(chan struct{}, 1), make(chan []string, 1)
	var second []string
	var held string
	var concurrent, received bool
	inTx(t, s, func(tx store.Tx) (err error) {
		held, err = hold(tx)
		if err != nil {
			return err
		}
		go func() {
			var ids []string
			err := s.InTx(ctx, func(tx store.Tx) (err error) {
				select {
				case entered <- struct{}{}:
				default:
				}
				ids, err = claim(tx, 10)
				return err
			})
			if err != nil {
				t.Errorf("second %s: %v", name, err)
			}
			done <- ids
		}()
		select {
		case <-entered:
			concurrent = true
		case <-time.After(2 * time.Second):
			return nil // transactions are serialised; the second runs after this one
		}
		select {
		case second = <-done:
			received = true
		case <-time.After(10 * time.Second):
			t.Errorf("%s waited for what another transaction holds instead of skipping it", name)
			return nil
		}
		slices.Sort(second)
		want := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return id == held })
		if !slices.Equal(second, want) {
			t.Errorf("while %s is held, another %s returned %v, want %v", held, name, second, want)
		}
		return nil
	})
	if !concurrent {
		second = <-done
		for _, id := range all {
			if id != held && !slices.Contains(second, id) {
				t.Errorf("%s returned %v, which leaves out %s, never held", name, second, id)
			}
		}
	} else if !received {
		<-done
	}
}

// testReminderCascade checks that deleting a young person deletes their reminders, the
// deliveries of those and their schedule, and nothing of anyone else's.
func testReminderCascade(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	webhookOrganisations(t, s)
	create(t, s, youngPerson("gone"), youngPerson("kept"))
	e := endpoint("e", "partner-h")
	createEndpoints(t, s, e)
	gone1, gone2 := nthReminder(1, "gone", toPartner), nthReminder(2, "gone", toAdviser)
	kept1 := nthReminder(3, "kept", toPartner)
	addReminders(t, s, gone1, gone2, kept1)
	goneDelivery, keptDelivery := delivery(1, gone1, e, at), delivery(2, kept1, e, at)
	addDeliveries(t, s, goneDelivery, keptDelivery)
	setSchedule(t, s, idOf("gone"), at)
	setSchedule(t, s, idOf("kept"), at.Add(time.Minute))

	inTx(t, s, func(tx store.Tx) error { return tx.DeleteYoungPerson(ctx, idOf("gone"), 0) })

	for _, r := range []domain.Reminder{gone1, gone2} {
		_, err := getReminder(t, s, r.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	}
	if got := reminderIDs(listReminders(t, s, store.ReminderQuery{Limit: 100})); !slices.Equal(got, []string{kept1.ID}) {
		t.Fatalf("reminders after deleting a young person: %v, want only the other's", got)
	}
	_, err := getDelivery(t, s, goneDelivery.ID)
	wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	if got := deliveryIDs(listDeliveries(t, s, store.DeliveryQuery{Limit: 100})); !slices.Equal(got, []string{keptDelivery.ID}) {
		t.Fatalf("deliveries after deleting a young person: %v, want only the other's", got)
	}
	if got := deliveryIDs(dueDeliveries(t, s, at, 10)); !slices.Equal(got, []string{keptDelivery.ID}) {
		t.Fatalf("due deliveries after deleting a young person: %v, want only the other's", got)
	}
	if got := dueSchedules(t, s, at.Add(time.Hour), 10); !slices.Equal(got, []string{idOf("kept")}) {
		t.Fatalf("due schedules after deleting a young person: %v, want only the other's", got)
	}
	// Created again, the young person has none of the old reminders, and theirs can be
	// raised again.
	create(t, s, youngPerson("gone"))
	if got := listReminders(t, s, store.ReminderQuery{YoungPersonID: idOf("gone"), Limit: 100}); len(got) != 0 {
		t.Fatalf("re-created, the young person has reminders %v", reminderIDs(got))
	}
	if added := addReminders(t, s, gone1); len(added) != 1 {
		t.Fatalf("re-adding a deleted reminder added %d", len(added))
	}
}

func testWebhooks(t *testing.T, newStore NewStore) {
	t.Run("Endpoints", func(t *testing.T) { testWebhookEndpoints(t, newStore) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, newStore) })
	t.Run("Requeue", func(t *testing.T) { testRequeue(t, newStore) })
}

// testRequeue covers redelivery (one failed delivery by id) and replay (an endpoint's
// delivered and failed deliveries since a time, in pages): each delivery keeps its id and
// webhook id and starts a fresh schedule; nothing else changes.
func testRequeue(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	s := newStore(t)
	rs, es := deliveriesFixture(t, s, 7)
	states := []domain.DeliveryState{domain.DeliveryDelivered, domain.DeliveryFailed, domain.DeliveryPending,
		domain.DeliveryCancelled, domain.DeliveryDelivered, domain.DeliveryFailed}
	var ds []domain.Delivery
	for i := range states {
		d := delivery(i+1, rs[i], es[0], at)
		d.CreateTime = at.Add(time.Duration(i+1) * time.Minute)
		ds = append(ds, d)
	}
	other := delivery(7, rs[6], es[1], at) // another endpoint's
	addDeliveries(t, s, append(slices.Clone(ds), other)...)
	for i, st := range states {
		d := ds[i]
		d.State, d.Attempts, d.LastError, d.UpdateTime = st, 3, "HTTP 503", at.Add(time.Hour)
		if st == domain.DeliveryDelivered {
			d.LastError, d.DeliverTime = "", at.Add(time.Hour)
		}
		if st != domain.DeliveryPending {
			d.NextAttemptTime = time.Time{}
		}
		ds[i] = updateDelivery(t, s, d)
	}
	other.State, other.NextAttemptTime = domain.DeliveryFailed, time.Time{}
	other = updateDelivery(t, s, other)

	now := at.Add(48 * time.Hour)
	requeue := func(q store.RequeueQuery) (out []store.Requeued) {
		t.Helper()
		inTx(t, s, func(tx store.Tx) (err error) {
			out, err = tx.RequeueDeliveries(ctx, q, now)
			return err
		})
		return out
	}
	requeued := func(d domain.Delivery) domain.Delivery {
		d.State, d.Attempts, d.LastError, d.DeliverTime = domain.DeliveryPending, 0, "", time.Time{}
		d.NextAttemptTime, d.UpdateTime = now, now
		return storedDelivery(d)
	}
	check := func(got []store.Requeued, want ...domain.Delivery) {
		t.Helper()
		var gotDs []domain.Delivery
		for _, x := range got {
			if x.YoungPersonID != idOf("y1") || x.CouncilID != "council-a" {
				t.Errorf("delivery %s is about %q of %q, want y1 of council-a", x.Delivery.ID, x.YoungPersonID, x.CouncilID)
			}
			gotDs = append(gotDs, x.Delivery)
		}
		if diff := cmp.Diff(want, gotDs, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("requeued (-want +got):\n%s", diff)
		}
		for _, w := range want {
			if stored, err := getDelivery(t, s, w.ID); err != nil || !cmp.Equal(stored, w) {
				t.Fatalf("stored %+v (%v), want %+v", stored, err, w)
			}
		}
	}
	failed := []domain.DeliveryState{domain.DeliveryFailed}

	// Redelivery: one failed delivery, by id; not a delivered one, nor another endpoint's.
	check(requeue(store.RequeueQuery{EndpointID: es[0].ID, IDs: []string{ds[0].ID}, States: failed, Limit: 1}))
	check(requeue(store.RequeueQuery{EndpointID: es[0].ID, IDs: []string{other.ID}, States: failed, Limit: 1}))
	check(requeue(store.RequeueQuery{EndpointID: es[0].ID, IDs: []string{ds[1].ID}, States: failed, Limit: 1}), requeued(ds[1]))

	// Replay since the third minute, a page at a time: the fifth and sixth (delivered and
	// failed); not the first (too old), the third (pending) or the fourth (cancelled).
	replay := store.RequeueQuery{EndpointID: es[0].ID, Since: at.Add(3 * time.Minute),
		States: []domain.DeliveryState{domain.DeliveryDelivered, domain.DeliveryFailed}, Limit: 1}
	check(requeue(replay), requeued(ds[4]))
	replay.AfterID = ds[4].ID
	check(requeue(replay), requeued(ds[5]))
	replay.AfterID = ds[5].ID
	check(requeue(replay))
	for _, d := range []domain.Delivery{ds[0], ds[2], ds[3], other} {
		if got, err := getDelivery(t, s, d.ID); err != nil || !cmp.Equal(got, d) {
			t.Fatalf("delivery %s changed: %+v (%v), want %+v", d.ID, got, err, d)
		}
	}
	// With no time, from the start: the first, now that the rest are pending.
	replay.Since, replay.AfterID, replay.Limit = time.Time{}, "", 10
	check(requeue(replay), requeued(ds[0]))
}

func testWebhookEndpoints(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("CreateAndGet", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		rotating := endpoint("rotating", "partner-h")
		rotating.Secrets = []domain.WebhookSecret{
			{Secret: "whsec_new", CreateTime: at.Add(time.Hour)},
			{Secret: "whsec_old", CreateTime: at.Add(-24 * time.Hour), Expires: at.Add(23*time.Hour + 999*time.Nanosecond)},
		}
		disabled := endpoint("disabled", "partner-e")
		disabled.Disabled, disabled.DisabledReason, disabled.Secrets = true, "410 Gone", nil
		for _, in := range []domain.WebhookEndpoint{endpoint("plain", "partner-h"), rotating, disabled} {
			var out domain.WebhookEndpoint
			inTx(t, s, func(tx store.Tx) (err error) { out, err = tx.CreateWebhookEndpoint(ctx, in); return err })
			want := storedEndpoint(in, 1, 0)
			if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
				t.Fatalf("CreateWebhookEndpoint returned (-want +got):\n%s", diff)
			}
			got, err := getEndpoint(t, s, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Fatalf("GetWebhookEndpoint (-want +got):\n%s", diff)
			}
		}
		got, _ := getEndpoint(t, s, rotating.ID)
		if active := got.ActiveSecrets(at.Add(22 * time.Hour)); !slices.Equal(active, []string{"whsec_new", "whsec_old"}) {
			t.Fatalf("stored secrets active before the old one expires: %v", active)
		}
		if active := got.ActiveSecrets(at.Add(24 * time.Hour)); !slices.Equal(active, []string{"whsec_new"}) {
			t.Fatalf("stored secrets active after the old one expired: %v", active)
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		first := endpoint("taken", "partner-h")
		createEndpoints(t, s, first)
		again := endpoint("taken", "partner-e")
		again.URL = "https://impostor.example/"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateWebhookEndpoint(ctx, again); return err })
		wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		got, _ := getEndpoint(t, s, first.ID)
		if diff := cmp.Diff(storedEndpoint(first, 1, 0), got, equateEmpty); diff != "" {
			t.Fatalf("a refused create changed the endpoint (-want +got):\n%s", diff)
		}
	})

	t.Run("CreateWithMissingOrganisation", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		e := endpoint("orphan", "partner-z")
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateWebhookEndpoint(ctx, e); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		_, err = getEndpoint(t, s, e.ID)
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		createEndpoints(t, s, endpoint("e1", "partner-h"))
		_, err := getEndpoint(t, s, idOf("e2"))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("ListByOrganisation", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		byOrg := map[string][]string{
			"partner-h": {"h5", "h2", "h4", "h1", "h3"}, // created out of order
			"partner-e": {"e2", "e1"},
			"council-a": nil,
		}
		for org, keys := range byOrg {
			for _, k := range keys {
				createEndpoints(t, s, endpoint(k, org))
			}
		}
		byOrg[""] = append(slices.Clone(byOrg["partner-h"]), byOrg["partner-e"]...)
		for org, keys := range byOrg {
			want := sortedIDs(keys...)
			for _, limit := range []int{1, 2, 100} {
				var got []string
				for _, e := range allPages(t, limit, "", func(after string) []domain.WebhookEndpoint {
					return listEndpoints(t, s, org, after, limit)
				}, func(e domain.WebhookEndpoint) string { return e.ID }) {
					got = append(got, e.ID)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%q, pages of %d: listed %v, want %v", org, limit, got, want)
				}
			}
		}
		want := []domain.WebhookEndpoint{storedEndpoint(endpoint("e1", "partner-e"), 1, 0), storedEndpoint(endpoint("e2", "partner-e"), 1, 0)}
		slices.SortFunc(want, func(a, b domain.WebhookEndpoint) int { return strings.Compare(a.ID, b.ID) })
		if diff := cmp.Diff(want, listEndpoints(t, s, "partner-e", "", 10), equateEmpty); diff != "" {
			t.Fatalf("listed endpoints (-want +got):\n%s", diff)
		}
		// The cursor need not be an endpoint.
		ids := sortedIDs(byOrg[""]...)
		after := ids[2] + "0"
		if got := listEndpoints(t, s, "", after, 2); len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[4] {
			t.Fatalf("2 after a cursor between endpoints listed %v, want %v", got, ids[3:5])
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		in := endpoint("u", "partner-h")
		createEndpoints(t, s, in)
		steps := []struct {
			name       string
			change     func(*domain.WebhookEndpoint)
			ifRevision int64
		}{
			{"rotate the secret", func(e *domain.WebhookEndpoint) {
				e.Secrets = []domain.WebhookSecret{{Secret: "whsec_u2", CreateTime: at.Add(time.Hour)},
					{Secret: e.Secrets[0].Secret, CreateTime: e.Secrets[0].CreateTime, Expires: at.Add(25 * time.Hour)}}
			}, 1},
			{"move it", func(e *domain.WebhookEndpoint) { e.URL, e.Description = "https://u.example/v2", "Moved" }, 0},
			{"disable it", func(e *domain.WebhookEndpoint) { e.Disabled, e.DisabledReason = true, "410 Gone" }, 3},
			{"drop the secrets and enable it", func(e *domain.WebhookEndpoint) {
				e.Secrets, e.Disabled, e.DisabledReason = nil, false, ""
			}, 4},
		}
		current := storedEndpoint(in, 1, 0)
		for i, step := range steps {
			changed := current
			changed.Secrets = slices.Clone(current.Secrets)
			step.change(&changed)
			changed.UpdateTime = at.Add(time.Duration(i+1) * time.Hour)
			sent := changed
			sent.OrganisationID, sent.CreateTime, sent.FailedDeliveries = "partner-e", at.Add(time.Hour), 7 // never stored
			var out domain.WebhookEndpoint
			inTx(t, s, func(tx store.Tx) (err error) {
				out, err = tx.UpdateWebhookEndpoint(ctx, sent, step.ifRevision)
				return err
			})
			want := storedEndpoint(changed, current.Revision+1, 0)
			if diff := cmp.Diff(want, out, equateEmpty); diff != "" {
				t.Fatalf("%s: UpdateWebhookEndpoint returned (-want +got):\n%s", step.name, diff)
			}
			got, _ := getEndpoint(t, s, in.ID)
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Fatalf("%s: after update, GetWebhookEndpoint (-want +got):\n%s", step.name, diff)
			}
			current = got
		}

		stale := current
		stale.URL = "https://lost.example/"
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateWebhookEndpoint(ctx, stale, 2); return err })
		wantErr(t, err, errs.Aborted, errs.ReasonEtagMismatch)
		if got, _ := getEndpoint(t, s, in.ID); got.URL != current.URL || got.Revision != current.Revision {
			t.Fatalf("a stale update changed the endpoint: %+v", got)
		}
		for _, ifRevision := range []int64{0, 1} {
			ghost := endpoint("ghost", "partner-h")
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateWebhookEndpoint(ctx, ghost, ifRevision); return err })
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
	})

	t.Run("FailedDeliveries", func(t *testing.T) {
		s := newStore(t)
		webhookOrganisations(t, s)
		create(t, s, youngPerson("y1"))
		e1, e2, e3 := endpoint("f1", "partner-h"), endpoint("f2", "partner-h"), endpoint("f3", "partner-h")
		createEndpoints(t, s, e1, e2, e3)
		var rs []domain.Reminder
		for n := 1; n <= 5; n++ {
			rs = append(rs, nthReminder(n, "y1", toPartner))
		}
		addReminders(t, s, rs...)
		ds := []domain.Delivery{
			delivery(1, rs[0], e1, at), delivery(2, rs[1], e1, at), delivery(3, rs[2], e1, at), delivery(4, rs[3], e1, at),
			delivery(5, rs[0], e2, at), delivery(6, rs[1], e2, at),
		}
		addDeliveries(t, s, ds...)
		fail := func(d domain.Delivery) domain.Delivery {
			d.State, d.Attempts, d.LastError, d.NextAttemptTime = domain.DeliveryFailed, 8, "HTTP 500", time.Time{}
			return updateDelivery(t, s, d)
		}
		fail(ds[0])
		failedAgain := fail(ds[1])
		fail(ds[4])
		done := ds[2]
		done.State, done.Attempts, done.DeliverTime = domain.DeliveryDelivered, 1, at.Add(time.Minute)
		updateDelivery(t, s, done)

		counts := func() map[string]int {
			out := map[string]int{}
			for _, e := range listEndpoints(t, s, "", "", 10) {
				out[e.ID] = e.FailedDeliveries
				got, _ := getEndpoint(t, s, e.ID)
				if got.FailedDeliveries != e.FailedDeliveries {
					t.Fatalf("endpoint %s: got with %d failed deliveries, listed with %d", e.ID, got.FailedDeliveries, e.FailedDeliveries)
				}
			}
			return out
		}
		if got, want := counts(), map[string]int{e1.ID: 2, e2.ID: 1, e3.ID: 0}; !cmp.Equal(got, want) {
			t.Fatalf("failed deliveries %v, want %v", got, want)
		}
		// Redelivered, a failed delivery no longer counts.
		failedAgain.State, failedAgain.NextAttemptTime = domain.DeliveryPending, at.Add(time.Hour)
		updateDelivery(t, s, failedAgain)
		if got, want := counts(), map[string]int{e1.ID: 1, e2.ID: 1, e3.ID: 0}; !cmp.Equal(got, want) {
			t.Fatalf("after a redelivery, failed deliveries %v, want %v", got, want)
		}
		var updated domain.WebhookEndpoint
		inTx(t, s, func(tx store.Tx) (err error) {
			updated, err = tx.UpdateWebhookEndpoint(ctx, e1, 0)
			return err
		})
		if updated.FailedDeliveries != 1 {
			t.Fatalf("UpdateWebhookEndpoint returned %d failed deliveries, want 1", updated.FailedDeliveries)
		}
	})
}

// deliveriesFixture makes, for young person y1, reminders r1..rn to partner-h and the
// endpoints e1 and e2 of partner-h and e3 of partner-e.
func deliveriesFixture(t *testing.T, s store.Store, n int) ([]domain.Reminder, []domain.WebhookEndpoint) {
	t.Helper()
	webhookOrganisations(t, s)
	create(t, s, youngPerson("y1"))
	es := []domain.WebhookEndpoint{endpoint("e1", "partner-h"), endpoint("e2", "partner-h"), endpoint("e3", "partner-e")}
	createEndpoints(t, s, es...)
	var rs []domain.Reminder
	for i := 1; i <= n; i++ {
		rs = append(rs, nthReminder(i, "y1", toPartner))
	}
	addReminders(t, s, rs...)
	return rs, es
}

func testDeliveries(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("AddAndGet", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 2)
		first := delivery(1, rs[0], es[0], at.Add(time.Hour))
		second := delivery(2, rs[0], es[2], at.Add(-time.Hour))
		delivered := delivery(3, rs[1], es[0], time.Time{})
		delivered.State, delivered.Attempts, delivered.DeliverTime = domain.DeliveryDelivered, 2, at.Add(time.Second)
		delivered.LastError, delivered.UpdateTime = "timeout", at.Add(time.Second)
		added := addDeliveries(t, s, first, second, delivered)
		want := storedDeliveries(first, second, delivered)
		if diff := cmp.Diff(want, added); diff != "" {
			t.Fatalf("AddDeliveries returned (-want +got):\n%s", diff)
		}
		for _, w := range want {
			got, err := getDelivery(t, s, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Fatalf("GetDelivery (-want +got):\n%s", diff)
			}
		}
		_, err := getDelivery(t, s, deliveryID(4))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if added := addDeliveries(t, s); len(added) != 0 {
			t.Fatalf("adding no deliveries added %v", added)
		}
	})

	t.Run("AddSkipsExisting", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 2)
		first := delivery(1, rs[0], es[0], at)
		addDeliveries(t, s, first)
		again := delivery(2, rs[0], es[0], at.Add(time.Hour)) // the same reminder and endpoint
		otherEndpoint := delivery(3, rs[0], es[1], at)
		otherReminder := delivery(4, rs[1], es[0], at)
		twice := delivery(5, rs[1], es[0], at) // as otherReminder, in the same call
		noReminder := delivery(6, nthReminder(9, "y1", toPartner), es[0], at)
		noEndpoint := delivery(7, rs[1], endpoint("nowhere", "partner-h"), at)
		added := addDeliveries(t, s, again, otherEndpoint, noReminder, otherReminder, twice, noEndpoint)
		if diff := cmp.Diff(storedDeliveries(otherEndpoint, otherReminder), added); diff != "" {
			t.Fatalf("AddDeliveries returned (-want +got) (only the new, in order):\n%s", diff)
		}
		for _, d := range []domain.Delivery{again, twice, noReminder, noEndpoint} {
			_, err := getDelivery(t, s, d.ID)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
		got, _ := getDelivery(t, s, first.ID)
		if diff := cmp.Diff(storedDelivery(first), got); diff != "" {
			t.Fatalf("adding the same delivery again changed it (-want +got):\n%s", diff)
		}
		if got := deliveryIDs(listDeliveries(t, s, store.DeliveryQuery{Limit: 100})); !slices.Equal(got, deliveryNumbers(4, 3, 1)) {
			t.Fatalf("deliveries are %v, want one per reminder and endpoint", got)
		}
	})

	t.Run("AddReopensCancelled", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 2)
		cancelled := delivery(1, rs[0], es[0], at)
		pending := delivery(2, rs[0], es[1], at)
		delivered := delivery(3, rs[0], es[2], at)
		failed := delivery(4, rs[1], es[0], at)
		addDeliveries(t, s, cancelled, pending, delivered, failed)
		// Cancelled after attempts, one of which (as far as the store cares) got through.
		cancelled.State, cancelled.Attempts, cancelled.LastError = domain.DeliveryCancelled, 2, "HTTP 503"
		cancelled.NextAttemptTime, cancelled.DeliverTime, cancelled.UpdateTime = at.Add(time.Hour), at.Add(time.Minute), at.Add(time.Minute)
		updateDelivery(t, s, cancelled)
		delivered.State, delivered.Attempts, delivered.DeliverTime, delivered.NextAttemptTime = domain.DeliveryDelivered, 1, at, time.Time{}
		updateDelivery(t, s, delivered)
		failed.State, failed.Attempts, failed.LastError, failed.NextAttemptTime = domain.DeliveryFailed, 8, "HTTP 500", time.Time{}
		updateDelivery(t, s, failed)

		again := func(n int, of domain.Delivery) domain.Delivery {
			d := delivery(n, domain.Reminder{ID: of.ReminderID}, domain.WebhookEndpoint{ID: of.EndpointID,
				OrganisationID: of.OrganisationID}, at.Add(2*time.Hour+999*time.Nanosecond))
			d.CreateTime, d.UpdateTime = at.Add(2*time.Hour), at.Add(2*time.Hour+789*time.Nanosecond)
			return d
		}
		againCancelled := again(11, cancelled)
		againCancelled.WebhookID = pending.WebhookID // not stored: the reopened keeps its own
		twice := again(12, cancelled)                // as againCancelled, in the same call
		againPending, againDelivered, againFailed := again(13, pending), again(14, delivered), again(15, failed)
		fresh := delivery(16, rs[1], es[1], at.Add(3*time.Hour))
		added := addDeliveries(t, s, fresh, againPending, againCancelled, twice, againDelivered, againFailed)

		reopened := storedDelivery(cancelled)
		reopened.State, reopened.Attempts, reopened.LastError, reopened.DeliverTime = domain.DeliveryPending, 0, "", time.Time{}
		reopened.NextAttemptTime, reopened.UpdateTime = storedTime(againCancelled.NextAttemptTime), storedTime(againCancelled.UpdateTime)
		if diff := cmp.Diff([]domain.Delivery{storedDelivery(fresh), reopened}, added); diff != "" {
			t.Fatalf("AddDeliveries returned (-want +got) (the new, then the reopened with its own ids):\n%s", diff)
		}
		for _, w := range []domain.Delivery{reopened, storedDelivery(pending), storedDelivery(delivered), storedDelivery(failed),
			storedDelivery(fresh)} {
			got, _ := getDelivery(t, s, w.ID)
			if diff := cmp.Diff(w, got); diff != "" {
				t.Fatalf("after adding again, delivery %s (-want +got):\n%s", w.WebhookID, diff)
			}
		}
		for _, d := range []domain.Delivery{againCancelled, twice, againPending, againDelivered, againFailed} {
			_, err := getDelivery(t, s, d.ID)
			wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		}
		if got := deliveryIDs(dueDeliveries(t, s, at.Add(3*time.Hour), 10)); !slices.Equal(got, deliveryNumbers(2, 1, 16)) {
			t.Fatalf("due deliveries after reopening: %v", got)
		}
		// Pending again, it is left alone.
		if added := addDeliveries(t, s, again(17, cancelled)); len(added) != 0 {
			t.Fatalf("adding a reopened delivery again added %v", deliveryIDs(added))
		}
	})

	t.Run("AddTakenIDs", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 2)
		first := delivery(1, rs[0], es[0], at)
		addDeliveries(t, s, first)
		sameID := delivery(1, rs[1], es[0], at)
		sameID.WebhookID = "msg_other"
		sameWebhookID := delivery(2, rs[1], es[0], at)
		sameWebhookID.WebhookID = first.WebhookID
		for _, d := range []domain.Delivery{sameID, sameWebhookID} {
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.AddDeliveries(ctx, []domain.Delivery{d}); return err })
			wantErr(t, err, errs.AlreadyExists, errs.ReasonResourceExists)
		}
		if got := deliveryIDs(listDeliveries(t, s, store.DeliveryQuery{Limit: 100})); !slices.Equal(got, []string{first.ID}) {
			t.Fatalf("deliveries after refused adds: %v", got)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 1)
		in := delivery(1, rs[0], es[0], at)
		addDeliveries(t, s, in)
		retry := in
		retry.Attempts, retry.LastError = 1, "HTTP 503"
		retry.NextAttemptTime, retry.UpdateTime = at.Add(5*time.Second+999*time.Nanosecond), at.Add(time.Second)
		done := retry
		done.State, done.Attempts, done.LastError = domain.DeliveryDelivered, 2, ""
		done.NextAttemptTime, done.DeliverTime, done.UpdateTime = time.Time{}, at.Add(6*time.Second), at.Add(6*time.Second)
		for _, step := range []domain.Delivery{retry, done} {
			sent := step
			// What a delivery is of, and when it was made, never change.
			sent.ReminderID, sent.EndpointID, sent.OrganisationID = reminderID(99), es[1].ID, "partner-e"
			sent.WebhookID, sent.CreateTime = "msg_changed", at.Add(time.Hour)
			out := updateDelivery(t, s, sent)
			if diff := cmp.Diff(storedDelivery(step), out); diff != "" {
				t.Fatalf("UpdateDelivery returned (-want +got):\n%s", diff)
			}
			got, _ := getDelivery(t, s, in.ID)
			if diff := cmp.Diff(storedDelivery(step), got); diff != "" {
				t.Fatalf("after update, GetDelivery (-want +got):\n%s", diff)
			}
		}
		ghost := delivery(2, rs[0], es[1], at)
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateDelivery(ctx, ghost); return err })
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
	})

	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 3)
		//	n  reminder  endpoint  organisation  state
		//	1  r1        e1        partner-h     PENDING
		//	2  r1        e3        partner-e     DELIVERED
		//	3  r2        e1        partner-h     FAILED
		//	4  r2        e2        partner-h     PENDING
		//	5  r3        e1        partner-h     CANCELLED
		//	6  r3        e3        partner-e     PENDING
		//	7  r3        e2        partner-h     FAILED
		rows := []struct {
			r, e  int
			state domain.DeliveryState
		}{
			{0, 0, domain.DeliveryPending}, {0, 2, domain.DeliveryDelivered}, {1, 0, domain.DeliveryFailed},
			{1, 1, domain.DeliveryPending}, {2, 0, domain.DeliveryCancelled}, {2, 2, domain.DeliveryPending},
			{2, 1, domain.DeliveryFailed},
		}
		var ds []domain.Delivery
		for i, row := range rows {
			d := delivery(i+1, rs[row.r], es[row.e], at.Add(time.Duration(i)*time.Minute))
			d.State = row.state
			ds = append(ds, d)
		}
		addDeliveries(t, s, ds[4], ds[1], ds[6], ds[0]) // out of order
		addDeliveries(t, s, ds[3], ds[5], ds[2])
		states := func(ss ...domain.DeliveryState) []domain.DeliveryState { return ss }
		cases := []struct {
			name string
			q    store.DeliveryQuery
			want []int
		}{
			{"all", store.DeliveryQuery{}, []int{7, 6, 5, 4, 3, 2, 1}},
			{"an organisation", store.DeliveryQuery{OrganisationID: "partner-h"}, []int{7, 5, 4, 3, 1}},
			{"another organisation", store.DeliveryQuery{OrganisationID: "partner-e"}, []int{6, 2}},
			{"an organisation with none", store.DeliveryQuery{OrganisationID: "council-a"}, nil},
			{"an endpoint", store.DeliveryQuery{EndpointID: es[0].ID}, []int{5, 3, 1}},
			{"a reminder", store.DeliveryQuery{ReminderID: rs[2].ID}, []int{7, 6, 5}},
			{"pending", store.DeliveryQuery{States: states(domain.DeliveryPending)}, []int{6, 4, 1}},
			{"failed or cancelled", store.DeliveryQuery{States: states(domain.DeliveryFailed, domain.DeliveryCancelled)}, []int{7, 5, 3}},
			{"an organisation's pending", store.DeliveryQuery{OrganisationID: "partner-h", States: states(domain.DeliveryPending)}, []int{4, 1}},
			{"an endpoint and a reminder", store.DeliveryQuery{EndpointID: es[0].ID, ReminderID: rs[1].ID}, []int{3}},
			{"an endpoint of another organisation", store.DeliveryQuery{EndpointID: es[0].ID, OrganisationID: "partner-e"}, nil},
			{"before", store.DeliveryQuery{BeforeID: deliveryID(5)}, []int{4, 3, 2, 1}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				want := deliveryNumbers(tc.want...)
				q := tc.q
				q.Limit = 100
				if got := deliveryIDs(listDeliveries(t, s, q)); !slices.Equal(got, want) {
					t.Fatalf("listed %v, want %v", got, want)
				}
				for _, limit := range []int{1, 2} {
					q := tc.q
					q.Limit = limit
					got := deliveryIDs(allPages(t, limit, q.BeforeID, func(before string) []domain.Delivery {
						q.BeforeID = before
						return listDeliveries(t, s, q)
					}, func(d domain.Delivery) string { return d.ID }))
					if !slices.Equal(got, want) {
						t.Fatalf("pages of %d listed %v, want %v", limit, got, want)
					}
				}
			})
		}
		if diff := cmp.Diff(storedDeliveries(ds[6], ds[5]), listDeliveries(t, s, store.DeliveryQuery{Limit: 2})); diff != "" {
			t.Fatalf("ListDeliveries (-want +got):\n%s", diff)
		}
	})

	t.Run("Due", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 8)
		at1h := at.Add(time.Hour)
		ds := []domain.Delivery{
			delivery(1, rs[0], es[0], at1h),
			delivery(2, rs[1], es[0], at.Add(30*time.Minute)),
			delivery(3, rs[2], es[0], at.Add(2*time.Hour)),
			delivery(4, rs[3], es[0], at1h), // as 1: by id
			delivery(5, rs[4], es[0], at),   // delivered
			delivery(6, rs[5], es[0], at),   // failed
			delivery(7, rs[6], es[0], at),   // cancelled
			delivery(8, rs[7], es[0], at.Add(3*time.Hour)),
		}
		ds[4].State, ds[5].State, ds[6].State = domain.DeliveryDelivered, domain.DeliveryFailed, domain.DeliveryCancelled
		addDeliveries(t, s, ds[7], ds[3], ds[0], ds[6], ds[1], ds[5], ds[2], ds[4])
		due := dueDeliveries(t, s, at.Add(2*time.Hour), 10)
		if diff := cmp.Diff(storedDeliveries(ds[1], ds[0], ds[3], ds[2]), due); diff != "" {
			t.Fatalf("DueDeliveries at +2h (-want +got):\n%s", diff)
		}
		if got := deliveryIDs(dueDeliveries(t, s, at.Add(2*time.Hour), 2)); !slices.Equal(got, deliveryNumbers(2, 1)) {
			t.Fatalf("DueDeliveries at +2h, limit 2: %v", got)
		}
		if got := deliveryIDs(dueDeliveries(t, s, at1h, 10)); !slices.Equal(got, deliveryNumbers(2, 1, 4)) {
			t.Fatalf("DueDeliveries at exactly +1h: %v", got)
		}
		if got := dueDeliveries(t, s, at.Add(30*time.Minute-time.Microsecond), 10); len(got) != 0 {
			t.Fatalf("DueDeliveries before any: %v", deliveryIDs(got))
		}
		// An attempt that failed is due again when its retry is.
		retry := ds[1]
		retry.Attempts, retry.NextAttemptTime, retry.LastError = 1, at.Add(4*time.Hour), "HTTP 502"
		updateDelivery(t, s, retry)
		if got := deliveryIDs(dueDeliveries(t, s, at.Add(3*time.Hour), 10)); !slices.Equal(got, deliveryNumbers(1, 4, 3, 8)) {
			t.Fatalf("DueDeliveries at +3h after a retry was put off: %v", got)
		}
	})

	t.Run("DueSkipsLocked", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 3)
		for i, r := range rs {
			addDeliveries(t, s, delivery(i+1, r, es[0], at))
		}
		testClaimSkipsLocked(t, s, "DueDeliveries", deliveryNumbers(1, 2, 3), func(tx store.Tx, limit int) ([]string, error) {
			ds, err := tx.DueDeliveries(ctx, at, limit)
			return deliveryIDs(ds), err
		})
	})

	t.Run("ConcurrentDispatchersSendEachOnce", func(t *testing.T) {
		s := newStore(t)
		const n = 12
		rs, es := deliveriesFixture(t, s, n)
		for i, r := range rs {
			addDeliveries(t, s, delivery(i+1, r, es[0], at))
		}
		claimEachOnce(t, s, n, "sent", func(tx store.Tx) ([]string, error) {
			ds, err := tx.DueDeliveries(ctx, at, 1)
			for _, d := range ds {
				d.State, d.Attempts, d.DeliverTime, d.NextAttemptTime = domain.DeliveryDelivered, 1, at, time.Time{}
				if _, err := tx.UpdateDelivery(ctx, d); err != nil {
					return nil, err
				}
			}
			return deliveryIDs(ds), err
		})
	})

	t.Run("RolledBack", func(t *testing.T) {
		s := newStore(t)
		rs, es := deliveriesFixture(t, s, 1)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.AddDeliveries(ctx, []domain.Delivery{delivery(1, rs[0], es[0], at)}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		_, err = getDelivery(t, s, deliveryID(1))
		wantErr(t, err, errs.NotFound, errs.ReasonResourceNotFound)
		if added := addDeliveries(t, s, delivery(2, rs[0], es[0], at)); len(added) != 1 {
			t.Fatalf("after a rolled-back add, adding the delivery added %d", len(added))
		}
	})
}
