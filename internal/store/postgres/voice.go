package postgres

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/store"
)

const viewColumns = `young_person_id, area, wants, feeling, author, revision, update_time`

func scanView(row pgx.Row) (domain.View, error) {
	var v domain.View
	err := row.Scan(&v.YoungPersonID, &v.Area, &v.Wants, &v.Feeling, &v.Author, &v.Revision, &v.UpdateTime)
	v.UpdateTime = v.UpdateTime.UTC()
	return v, err
}

func (t *tx) ListViews(ctx context.Context, youngPersonID string) ([]domain.View, error) {
	rows, err := t.q.Query(ctx, `SELECT `+viewColumns+` FROM views WHERE young_person_id = $1 ORDER BY area`, youngPersonID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.View, error) { return scanView(r) })
}

// PutView upserts in one statement guarded by the revision: the insert happens only when
// the young person exists, and the update only when the revision matches.
func (t *tx) PutView(ctx context.Context, v domain.View, ifRevision int64) (domain.View, error) {
	out, err := scanView(t.q.QueryRow(ctx, `
		INSERT INTO views (young_person_id, area, wants, feeling, author, update_time)
		SELECT y.id, $2, $3, $4, $5, $6 FROM young_people y WHERE y.id = $1 AND $7::bigint = 0
		ON CONFLICT (young_person_id, area) DO UPDATE SET wants = EXCLUDED.wants, feeling = EXCLUDED.feeling,
			author = EXCLUDED.author, update_time = EXCLUDED.update_time, revision = views.revision + 1
		RETURNING `+viewColumns,
		v.YoungPersonID, string(v.Area), v.Wants, string(v.Feeling), v.Author, v.UpdateTime, ifRevision))
	if !errors.Is(err, pgx.ErrNoRows) || ifRevision == 0 {
		return out, missingYoungPerson(err)
	}
	// A conditional update: only of the revision read.
	out, err = scanView(t.q.QueryRow(ctx, `UPDATE views SET wants = $3, feeling = $4, author = $5, update_time = $6,
		revision = revision + 1 WHERE young_person_id = $1 AND area = $2 AND revision = $7 RETURNING `+viewColumns,
		v.YoungPersonID, string(v.Area), v.Wants, string(v.Feeling), v.Author, v.UpdateTime, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, store.ErrRevisionMismatch
	}
	return out, err
}

// missingYoungPerson turns the no-row answer of an insert guarded by the young person's
// existence (or a foreign key violation) into ErrYoungPersonNotFound.
func missingYoungPerson(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrYoungPersonNotFound
	}
	return keyError(err, store.ErrYoungPersonNotFound)
}

const goalColumns = `id, young_person_id, title, area, target_date, done, author, revision, create_time, update_time`

func scanGoal(row pgx.Row) (domain.Goal, error) {
	var (
		g      domain.Goal
		target *time.Time
	)
	err := row.Scan(&g.ID, &g.YoungPersonID, &g.Title, &g.Area, &target, &g.Done, &g.Author, &g.Revision, &g.CreateTime, &g.UpdateTime)
	g.TargetDate, g.CreateTime, g.UpdateTime = fromDate(target), g.CreateTime.UTC(), g.UpdateTime.UTC()
	if errors.Is(err, pgx.ErrNoRows) {
		return g, store.ErrGoalNotFound
	}
	return g, err
}

func (t *tx) CreateGoal(ctx context.Context, g domain.Goal) (domain.Goal, error) {
	out, err := scanGoal(t.q.QueryRow(ctx, `
		INSERT INTO goals (id, young_person_id, title, area, target_date, done, author, create_time, update_time)
		SELECT $1, y.id, $3, $4, $5::date, $6, $7, $8, $9 FROM young_people y WHERE y.id = $2
		RETURNING `+goalColumns,
		g.ID, g.YoungPersonID, g.Title, string(g.Area), dateArg(g.TargetDate), g.Done, g.Author, g.CreateTime, g.UpdateTime))
	if errors.Is(err, store.ErrGoalNotFound) {
		return g, store.ErrYoungPersonNotFound
	}
	return out, keyError(err, store.ErrYoungPersonNotFound)
}

func (t *tx) GetGoal(ctx context.Context, youngPersonID, id string) (domain.Goal, error) {
	return scanGoal(t.q.QueryRow(ctx, `SELECT `+goalColumns+` FROM goals WHERE id::text = $1 AND young_person_id = $2`, id, youngPersonID))
}

func (t *tx) ListGoals(ctx context.Context, youngPersonID, afterID string, limit int) ([]domain.Goal, error) {
	rows, err := t.q.Query(ctx, `SELECT `+goalColumns+` FROM goals WHERE young_person_id = $1
		AND id > $2::uuid ORDER BY id LIMIT $3`, youngPersonID, cmp.Or(afterID, zeroUUID), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Goal, error) { return scanGoal(r) })
}

func (t *tx) UpdateGoal(ctx context.Context, g domain.Goal, ifRevision int64) (domain.Goal, error) {
	out, err := scanGoal(t.q.QueryRow(ctx, `UPDATE goals SET title = $3, area = $4, target_date = $5::date, done = $6,
		author = $7, update_time = $8, revision = revision + 1
		WHERE id::text = $1 AND young_person_id = $2 AND ($9::bigint = 0 OR revision = $9) RETURNING `+goalColumns,
		g.ID, g.YoungPersonID, g.Title, string(g.Area), dateArg(g.TargetDate), g.Done, g.Author, g.UpdateTime, ifRevision))
	if errors.Is(err, store.ErrGoalNotFound) {
		if _, err := t.GetGoal(ctx, g.YoungPersonID, g.ID); err != nil {
			return g, err
		}
		return g, store.ErrRevisionMismatch
	}
	return out, err
}

func (t *tx) DeleteGoal(ctx context.Context, youngPersonID, id string, ifRevision int64) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM goals WHERE id::text = $1 AND young_person_id = $2 AND ($3::bigint = 0 OR revision = $3)`,
		id, youngPersonID, ifRevision)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := t.GetGoal(ctx, youngPersonID, id); err != nil {
		return err
	}
	return store.ErrRevisionMismatch
}

func (t *tx) ListSkillAnswers(ctx context.Context, youngPersonID string) ([]domain.SkillAnswer, error) {
	rows, err := t.q.Query(ctx, `SELECT young_person_id, key, can_do, author, update_time FROM skill_answers
		WHERE young_person_id = $1 ORDER BY key`, youngPersonID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SkillAnswer, error) {
		var a domain.SkillAnswer
		err := r.Scan(&a.YoungPersonID, &a.Key, &a.CanDo, &a.Author, &a.UpdateTime)
		a.UpdateTime = a.UpdateTime.UTC()
		return a, err
	})
}

// PutSkillAnswers upserts the answers in one statement.
func (t *tx) PutSkillAnswers(ctx context.Context, answers []domain.SkillAnswer) error {
	if len(answers) == 0 {
		return nil
	}
	var (
		yps, keys, authors []string
		canDo              []bool
		times              []time.Time
	)
	for _, a := range answers {
		yps, keys, authors = append(yps, a.YoungPersonID), append(keys, a.Key), append(authors, a.Author)
		canDo, times = append(canDo, a.CanDo), append(times, a.UpdateTime)
	}
	_, err := t.q.Exec(ctx, `INSERT INTO skill_answers (young_person_id, key, can_do, author, update_time)
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $5::timestamptz[])
		ON CONFLICT (young_person_id, key) DO UPDATE SET can_do = EXCLUDED.can_do, author = EXCLUDED.author,
			update_time = EXCLUDED.update_time`, yps, keys, canDo, authors, times)
	return keyError(err, store.ErrYoungPersonNotFound)
}

const supportColumns = `id, young_person_id, council_id, message, requester, recipients, create_time`

func scanSupport(row pgx.Row) (domain.AdviserSupportRequest, error) {
	var (
		r  domain.AdviserSupportRequest
		to []string
	)
	err := row.Scan(&r.ID, &r.YoungPersonID, &r.CouncilID, &r.Message, &r.Requester, &to, &r.CreateTime)
	for _, x := range to {
		r.Recipients = append(r.Recipients, domain.Recipient(x))
	}
	r.CreateTime = r.CreateTime.UTC()
	return r, err
}

func (t *tx) AddAdviserSupportRequest(ctx context.Context, r domain.AdviserSupportRequest) (domain.AdviserSupportRequest, error) {
	out, err := scanSupport(t.q.QueryRow(ctx, `INSERT INTO adviser_support_requests (`+supportColumns+`)
		SELECT $1, y.id, $3, $4, $5, $6, $7 FROM young_people y WHERE y.id = $2 RETURNING `+supportColumns,
		r.ID, r.YoungPersonID, r.CouncilID, r.Message, r.Requester, strs(r.Recipients), r.CreateTime))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, store.ErrYoungPersonNotFound
	}
	return out, keyError(err, store.ErrYoungPersonNotFound)
}

func (t *tx) ListAdviserSupportRequests(ctx context.Context, youngPersonID string) ([]domain.AdviserSupportRequest, error) {
	rows, err := t.q.Query(ctx, `SELECT `+supportColumns+` FROM adviser_support_requests WHERE young_person_id = $1
		ORDER BY create_time, id`, youngPersonID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.AdviserSupportRequest, error) { return scanSupport(r) })
}

const offerColumns = `council_id, id, title, body, area, from_age, to_age, link, revision, create_time, update_time`

func scanOffer(row pgx.Row) (domain.LocalOfferEntry, error) {
	var (
		e    domain.LocalOfferEntry
		area string
	)
	err := row.Scan(&e.CouncilID, &e.ID, &e.Title, &e.Body, &area, &e.FromAge, &e.ToAge, &e.Link, &e.Revision, &e.CreateTime, &e.UpdateTime)
	e.Area, e.CreateTime, e.UpdateTime = catalogue.Area(area), e.CreateTime.UTC(), e.UpdateTime.UTC()
	if errors.Is(err, pgx.ErrNoRows) {
		return e, store.ErrLocalOfferEntryNotFound
	}
	return e, err
}

func (t *tx) CreateLocalOfferEntry(ctx context.Context, e domain.LocalOfferEntry) (domain.LocalOfferEntry, error) {
	out, err := scanOffer(t.q.QueryRow(ctx, `INSERT INTO local_offer_entries (council_id, id, title, body, area, from_age, to_age,
		link, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+offerColumns,
		e.CouncilID, e.ID, e.Title, e.Body, string(e.Area), e.FromAge, e.ToAge, e.Link, e.CreateTime, e.UpdateTime))
	return out, keyError(err, store.ErrOrganisationNotFound)
}

func (t *tx) GetLocalOfferEntry(ctx context.Context, councilID, id string) (domain.LocalOfferEntry, error) {
	return scanOffer(t.q.QueryRow(ctx, `SELECT `+offerColumns+` FROM local_offer_entries WHERE council_id = $1 AND id::text = $2`,
		councilID, id))
}

func (t *tx) ListLocalOfferEntries(ctx context.Context, q store.LocalOfferQuery) ([]domain.LocalOfferEntry, error) {
	rows, err := t.q.Query(ctx, `SELECT `+offerColumns+` FROM local_offer_entries WHERE council_id = $1
		AND id > $2::uuid AND ($3::integer = 0 OR $3 BETWEEN from_age AND to_age) ORDER BY id LIMIT $4`,
		q.CouncilID, cmp.Or(q.AfterID, zeroUUID), q.Age, q.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.LocalOfferEntry, error) { return scanOffer(r) })
}

func (t *tx) UpdateLocalOfferEntry(ctx context.Context, e domain.LocalOfferEntry, ifRevision int64) (domain.LocalOfferEntry, error) {
	out, err := scanOffer(t.q.QueryRow(ctx, `UPDATE local_offer_entries SET title = $3, body = $4, area = $5, from_age = $6,
		to_age = $7, link = $8, update_time = $9, revision = revision + 1
		WHERE council_id = $1 AND id::text = $2 AND ($10::bigint = 0 OR revision = $10) RETURNING `+offerColumns,
		e.CouncilID, e.ID, e.Title, e.Body, string(e.Area), e.FromAge, e.ToAge, e.Link, e.UpdateTime, ifRevision))
	if errors.Is(err, store.ErrLocalOfferEntryNotFound) {
		if _, err := t.GetLocalOfferEntry(ctx, e.CouncilID, e.ID); err != nil {
			return e, err
		}
		return e, store.ErrRevisionMismatch
	}
	return out, err
}

func (t *tx) DeleteLocalOfferEntry(ctx context.Context, councilID, id string, ifRevision int64) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM local_offer_entries WHERE council_id = $1 AND id::text = $2
		AND ($3::bigint = 0 OR revision = $3)`, councilID, id, ifRevision)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := t.GetLocalOfferEntry(ctx, councilID, id); err != nil {
		return err
	}
	return store.ErrRevisionMismatch
}
