package postgres

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const reminderColumns = `id, young_person_id, council_id, rule, milestone_id, title, due_on, recipient, state,
	snooze_until, cancel_reason, revision, create_time, update_time`

func scanReminder(row pgx.Row) (domain.Reminder, error) {
	var (
		r                domain.Reminder
		due              time.Time
		recipient, state string
		snooze           *time.Time
	)
	err := row.Scan(&r.ID, &r.YoungPersonID, &r.CouncilID, &r.Rule, &r.MilestoneID, &r.Title, &due, &recipient,
		&state, &snooze, &r.CancelReason, &r.Revision, &r.CreateTime, &r.UpdateTime)
	r.DueOn, r.Recipient, r.State = fromDate(&due), domain.Recipient(recipient), domain.ReminderState(state)
	r.SnoozeUntil = fromTimestamp(snooze)
	r.CreateTime, r.UpdateTime = r.CreateTime.UTC(), r.UpdateTime.UTC()
	return r, err
}

// AddReminders stores the reminders in one statement: the columns travel as arrays, and
// of those with one key (young person, rule, milestone, due date, recipient) only the
// first is kept, before the insert: ON CONFLICT DO UPDATE may not meet a row twice. A
// reminder whose key is taken by a cancelled reminder reopens that one (which keeps its
// id); by an open or acknowledged one, it is left out, as are reminders of young people
// who do not exist. An id already used by a reminder with another key is refused with
// ErrExists. The rows stored come back in input order, joined to the input by key (a
// reopened reminder's id is not the input's).
func (t *tx) AddReminders(ctx context.Context, rs []domain.Reminder) ([]domain.Reminder, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	n := len(rs)
	var (
		ids, youngPeople                    = make([]string, n), make([]string, n)
		councils, rules, milestones, titles = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		dues                                = make([]pgtype.Date, n)
		recipients, states, reasons         = make([]string, n), make([]string, n), make([]string, n)
		snoozes, creates, updates           = make([]pgtype.Timestamptz, n), make([]time.Time, n), make([]time.Time, n)
	)
	for i, r := range rs {
		ids[i], youngPeople[i], councils[i], rules[i] = r.ID, r.YoungPersonID, r.CouncilID, r.Rule
		milestones[i], titles[i], dues[i], recipients[i] = r.MilestoneID, r.Title, dateArg(r.DueOn), string(r.Recipient)
		states[i], reasons[i], snoozes[i] = string(r.State), r.CancelReason, timestampArg(r.SnoozeUntil)
		creates[i], updates[i] = r.CreateTime, r.UpdateTime
	}
	rows, err := t.q.Query(ctx, `
		WITH p AS (
			SELECT DISTINCT ON (young_person_id, rule, milestone_id, due_on, recipient) *
			FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[],
				$8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::timestamptz[], $13::timestamptz[])
				WITH ORDINALITY AS p(id, young_person_id, council_id, rule, milestone_id, title, due_on, recipient,
					state, snooze_until, cancel_reason, create_time, update_time, n)
			ORDER BY young_person_id, rule, milestone_id, due_on, recipient, n
		), stored AS (
			INSERT INTO reminders (id, young_person_id, council_id, rule, milestone_id, title, due_on, recipient,
				state, snooze_until, cancel_reason, revision, create_time, update_time)
			SELECT p.id, p.young_person_id, p.council_id, p.rule, p.milestone_id, p.title, p.due_on, p.recipient,
				p.state, p.snooze_until, p.cancel_reason, 1, p.create_time, p.update_time
			FROM p JOIN young_people y ON y.id = p.young_person_id -- skips the missing
			ORDER BY p.n
			ON CONFLICT (young_person_id, rule, milestone_id, due_on, recipient) DO UPDATE
				SET state = 'OPEN', cancel_reason = '', snooze_until = NULL, title = excluded.title,
					update_time = excluded.update_time, revision = reminders.revision + 1
				WHERE reminders.state = 'CANCELLED'
			RETURNING `+reminderColumns+`
		)
		SELECT `+prefixed("s", reminderColumns)+` FROM stored s
		JOIN p ON (p.young_person_id, p.rule, p.milestone_id, p.due_on, p.recipient) =
			(s.young_person_id, s.rule, s.milestone_id, s.due_on, s.recipient)
		ORDER BY p.n`,
		ids, youngPeople, councils, rules, milestones, titles, dues, recipients, states, snoozes, reasons,
		creates, updates)
	if err != nil {
		return nil, keyError(err, store.ErrYoungPersonNotFound)
	}
	added, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Reminder, error) { return scanReminder(r) })
	if err != nil {
		return nil, keyError(err, store.ErrYoungPersonNotFound)
	}
	return added, nil
}

func (t *tx) GetReminder(ctx context.Context, id string) (domain.Reminder, error) {
	r, err := scanReminder(t.q.QueryRow(ctx, `SELECT `+reminderColumns+` FROM reminders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, store.ErrReminderNotFound
	}
	return r, err
}

func (t *tx) ListReminders(ctx context.Context, q store.ReminderQuery) ([]domain.Reminder, error) {
	var args sqlArgs
	cond := "true"
	if q.YoungPersonID != "" {
		cond += " AND young_person_id = " + args.add(q.YoungPersonID) + "::uuid"
	}
	if len(q.Recipients) > 0 {
		cond += " AND recipient = ANY(" + args.add(strs(q.Recipients)) + "::text[])"
	}
	if len(q.States) > 0 {
		cond += " AND state = ANY(" + args.add(strs(q.States)) + "::text[])"
	}
	if !q.AwakeAt.IsZero() {
		cond += " AND (snooze_until IS NULL OR snooze_until <= " + args.add(q.AwakeAt) + "::timestamptz)"
	}
	if q.AfterID != "" {
		cond += " AND id > " + args.add(q.AfterID) + "::uuid"
	}
	if q.BeforeID != "" {
		cond += " AND id < " + args.add(q.BeforeID) + "::uuid"
	}
	order := "id DESC"
	if q.Oldest {
		order = "id"
	}
	rows, err := t.q.Query(ctx, `SELECT `+reminderColumns+` FROM reminders WHERE `+cond+
		` ORDER BY `+order+` LIMIT `+args.add(q.Limit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Reminder, error) { return scanReminder(r) })
}

// UpdateReminder changes what can change of a reminder: its state, snooze and cancel reason.
func (t *tx) UpdateReminder(ctx context.Context, r domain.Reminder, ifRevision int64) (domain.Reminder, error) {
	updated, err := scanReminder(t.q.QueryRow(ctx, `UPDATE reminders SET state = $2, snooze_until = $3,
		cancel_reason = $4, update_time = $5, revision = revision + 1
		WHERE id = $1 AND ($6::bigint = 0 OR revision = $6) RETURNING `+reminderColumns,
		r.ID, string(r.State), timestampArg(r.SnoozeUntil), r.CancelReason, r.UpdateTime, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, t.missingOrStale(ctx, "reminders", r.ID, store.ErrReminderNotFound)
	}
	return updated, err
}

// CancelReminders cancels the open reminders and their pending deliveries in one statement.
func (t *tx) CancelReminders(ctx context.Context, ids []string, reason string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := t.q.Exec(ctx, `
		WITH cancelled AS (
			UPDATE reminders SET state = 'CANCELLED', cancel_reason = $2, update_time = $3, revision = revision + 1
			WHERE id = ANY($1::uuid[]) AND state = 'OPEN'
			RETURNING id)
		UPDATE webhook_deliveries SET state = 'CANCELLED', update_time = $3
		WHERE reminder_id IN (SELECT id FROM cancelled) AND state = 'PENDING'`, ids, reason, now)
	return err
}

// SetReminderSchedules inserts, replaces or (for the zero time) deletes the young people's
// rows in one statement, in young-person order so that concurrent writers lock alike. It
// goes with the transaction's next statement or commit (see store.Tx): a young person who
// does not exist fails that with the key's violation, read as ErrYoungPersonNotFound.
func (t *tx) SetReminderSchedules(ctx context.Context, schedules []store.ReminderSchedule) error {
	last := make(map[string]time.Time, len(schedules))
	for _, sc := range schedules {
		last[sc.YoungPersonID] = sc.Next
	}
	if len(last) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(last))
	next := make([]pgtype.Timestamptz, len(ids))
	for i, id := range ids {
		next[i] = timestampArg(last[id])
	}
	return t.later(ctx, func(err error) error { return keyError(err, store.ErrYoungPersonNotFound) }, `
		WITH v AS (
			SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, next)
		),
		gone AS (
			DELETE FROM reminder_schedules s USING v WHERE s.young_person_id = v.id AND v.next IS NULL
		)
		INSERT INTO reminder_schedules (young_person_id, next_time)
		SELECT v.id, v.next FROM v WHERE v.next IS NOT NULL ORDER BY v.id
		ON CONFLICT (young_person_id) DO UPDATE SET next_time = excluded.next_time`, ids, next)
}

// HastenReminderSchedules locks the rows it moves in young-person order, so that two of
// it, or it and the sweep, never wait on each other in a cycle.
func (t *tx) HastenReminderSchedules(ctx context.Context, councilID, partnerID string, at time.Time) error {
	_, err := t.q.Exec(ctx, `UPDATE reminder_schedules SET next_time = $3
		WHERE young_person_id IN (
			SELECT s.young_person_id FROM reminder_schedules s
			JOIN young_people y ON y.id = s.young_person_id
			WHERE y.council_id = $1 AND s.next_time > $3
			  AND EXISTS (SELECT 1 FROM shares sh WHERE sh.young_person_id = s.young_person_id AND sh.partner_id = $2)
			ORDER BY s.young_person_id FOR UPDATE OF s)`, councilID, partnerID, at)
	return err
}

func (t *tx) HastenCaseloads(ctx context.Context, councilID string, adviserIDs []string, at time.Time) error {
	if len(adviserIDs) == 0 {
		return nil
	}
	_, err := t.q.Exec(ctx, `UPDATE reminder_schedules SET next_time = $3
		WHERE young_person_id IN (
			SELECT s.young_person_id FROM reminder_schedules s
			JOIN young_people y ON y.id = s.young_person_id
			WHERE y.council_id = $1 AND y.personal_adviser_id = ANY($2) AND s.next_time > $3
			ORDER BY s.young_person_id FOR UPDATE OF s)`, councilID, adviserIDs, at)
	return err
}

// DueReminderSchedules locks the young people it returns, as StalePathways does, and
// their schedule rows, skipping a young person if another transaction holds either. The
// young person is locked first (FOR UPDATE OF locks in the order it names the tables), as
// the services lock the young person before their schedule: a young person a service holds
// is skipped without the schedule row being touched. next_time is in a row locked, so a row
// another transaction moved on meanwhile is checked again and left out.
func (t *tx) DueReminderSchedules(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := t.q.Query(ctx, `SELECT s.young_person_id FROM reminder_schedules s
		JOIN young_people y ON y.id = s.young_person_id
		WHERE s.next_time <= $1
		ORDER BY s.next_time, s.young_person_id LIMIT $2
		FOR UPDATE OF y, s SKIP LOCKED`, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// openRemindersOf reads the newest open reminders of each young person of $1 (distinct ids),
// $3 at most, a range of reminders_young_person_idx each. Not one statement ordered by id
// over them all: given that order, PostgreSQL's plan for it, generic or not, may walk the
// whole table backwards by id, filtering, which on a national table is every reminder a
// replan.
const openRemindersOf = `SELECT r.* FROM unnest($1::uuid[]) AS y(id), LATERAL (
	SELECT ` + reminderColumns + ` FROM reminders WHERE young_person_id = y.id AND state = $2
	ORDER BY id DESC LIMIT $3) r ORDER BY r.young_person_id, r.id DESC`

// ReminderRouting sends its statements in one round trip. People this transaction has read
// already are not read again.
func (t *tx) ReminderRouting(ctx context.Context, youngPersonIDs, personIDs []string, openLimit int) (out store.ReminderRouting, err error) {
	var ask []string
	for _, id := range slices.Compact(slices.Sorted(slices.Values(personIDs))) {
		if p, ok := t.people[id]; ok {
			p.Roles = slices.Clone(p.Roles)
			out.People = append(out.People, p)
		} else {
			ask = append(ask, id)
		}
	}
	b := &pgx.Batch{}
	young := len(youngPersonIDs) > 0 // none: nothing of theirs to ask for
	if young {
		b.Queue(sharesOf, youngPersonIDs)
		b.Queue(accountsOf, youngPersonIDs)
		b.Queue(openRemindersOf, slices.Compact(slices.Sorted(slices.Values(youngPersonIDs))), string(domain.ReminderOpen), openLimit)
	}
	if len(ask) > 0 {
		b.Queue(`SELECT `+personColumns+` FROM people WHERE id = ANY($1::text[])`, ask)
	}
	if b.Len() == 0 {
		return out, nil
	}
	br := t.q.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			out, err = store.ReminderRouting{}, cerr
		}
	}()
	if young {
		if out.Shares, err = collect(br, scanShare); err != nil {
			return out, err
		}
		if out.Accounts, err = collect(br, scanPerson); err != nil {
			return out, err
		}
		if out.Open, err = collect(br, scanReminder); err != nil {
			return out, err
		}
	}
	if len(ask) > 0 {
		people, err := collect(br, scanPerson)
		if err != nil {
			return out, err
		}
		for _, p := range people {
			t.rememberPerson(p)
		}
		out.People = append(out.People, people...)
	}
	return out, nil
}

// collect reads the rows of a batch's next statement.
func collect[T any](br pgx.BatchResults, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}
