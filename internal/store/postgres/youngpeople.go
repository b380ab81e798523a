package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

const youngPersonColumns = `id, council_id, case_reference, given_name, family_name, preferred_name,
	date_of_birth, unaccompanied_asylum_seeking_child, ehc_plan, disability, open_to_camhs,
	in_education_or_training, detained_or_in_hospital_at_16, relevant_student,
	coalesce(personal_adviser_id, ''), revision, create_time, update_time, ssda903`

// youngPersonFilterColumns maps store.YoungPersonFields to columns.
var youngPersonFilterColumns = map[string]string{
	"date_of_birth":                      "date_of_birth",
	"council":                            "council_id",
	"personal_adviser":                   "coalesce(personal_adviser_id, '')",
	"unaccompanied_asylum_seeking_child": "unaccompanied_asylum_seeking_child",
	"ehc_plan":                           "ehc_plan",
	"disability":                         "disability",
}

// scanYoungPerson scans youngPersonColumns, then any more columns into extra.
func scanYoungPerson(row pgx.Row, extra ...any) (domain.YoungPerson, error) {
	var (
		yp  domain.YoungPerson
		dob time.Time
	)
	err := row.Scan(append([]any{&yp.ID, &yp.CouncilID, &yp.CaseReference, &yp.GivenName, &yp.FamilyName,
		&yp.PreferredName, &dob, &yp.UnaccompaniedAsylumSeekingChild, &yp.EHCPlan, &yp.Disability,
		&yp.OpenToCAMHS, &yp.InEducationOrTraining, &yp.DetainedOrInHospitalAt16, &yp.RelevantStudent,
		&yp.PersonalAdviserID,
		&yp.Revision, &yp.CreateTime, &yp.UpdateTime, &yp.SSDA903}, extra...)...)
	if len(yp.SSDA903) == 0 {
		yp.SSDA903 = nil
	}
	yp.DateOfBirth = civil.New(dob.Date())
	yp.CreateTime, yp.UpdateTime = yp.CreateTime.UTC(), yp.UpdateTime.UTC()
	return yp, err
}

func (t *tx) GetYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error) {
	return t.getYoungPerson(ctx, id, "")
}

func (t *tx) LockYoungPerson(ctx context.Context, id string) (domain.YoungPerson, error) {
	return t.getYoungPerson(ctx, id, " FOR UPDATE")
}

func (t *tx) LockYoungPeople(ctx context.Context, ids []string) ([]domain.YoungPerson, error) {
	rows, err := t.q.Query(ctx, `SELECT `+youngPersonColumns+` FROM young_people
		WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.YoungPerson, error) { return scanYoungPerson(r) })
}

func (t *tx) AllocateYoungPeople(ctx context.Context, ids []string, adviserID string, at time.Time) ([]domain.YoungPerson, error) {
	rows, err := t.q.Query(ctx, `
		WITH allocated AS (
			UPDATE young_people SET personal_adviser_id = nullif($2, ''), revision = revision + 1, update_time = $3
			WHERE id = ANY($1::uuid[])
			RETURNING `+youngPersonColumns+`)
		SELECT * FROM allocated ORDER BY id`, ids, adviserID, at)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.YoungPerson, error) { return scanYoungPerson(r) })
}

func (t *tx) getYoungPerson(ctx context.Context, id, lock string) (domain.YoungPerson, error) {
	if lock != "" {
		yp, err := scanYoungPerson(t.q.QueryRow(ctx, `SELECT `+youngPersonColumns+` FROM young_people WHERE id = $1`+lock, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return yp, store.ErrYoungPersonNotFound
		}
		return yp, err
	}
	// With their council's settings revision: showing a young person reads the settings
	// next (the leap-day rule of their age), and then needs no statement of its own.
	var revision *int64
	yp, err := scanYoungPerson(t.q.QueryRow(ctx, `SELECT `+youngPersonColumns+`, `+councilRevision+`
		FROM young_people WHERE id = $1`, id), &revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return yp, store.ErrYoungPersonNotFound
	}
	if err == nil {
		t.sawRevision(yp.CouncilID, revision)
	}
	return yp, err
}

// councilRevision is a column of young_people queries: their council's settings
// revision, which sawRevision records (NULL: none stored).
const councilRevision = `(SELECT s.revision FROM pathway_settings s WHERE s.council_id = young_people.council_id)`

// sawRevision records a council's settings revision as read (nil: none stored).
func (t *tx) sawRevision(councilID string, revision *int64) {
	if t.revisions == nil {
		t.revisions = map[string]int64{}
	}
	t.revisions[councilID] = 0
	if revision != nil {
		t.revisions[councilID] = *revision
	}
}

func (t *tx) ListYoungPeople(ctx context.Context, q store.YoungPeopleQuery) ([]domain.YoungPerson, error) {
	var args sqlArgs
	cond := where(q.Filter, youngPersonFilterColumns, &args) + scoped(q.Scope, "council_id", "personal_adviser_id", "id", &args)
	if q.AfterID != "" {
		cond += " AND id > " + args.add(q.AfterID) + "::uuid"
	}
	if len(q.IDs) > 0 {
		cond += " AND id = ANY(" + args.add(q.IDs) + "::uuid[])"
	}
	rows, err := t.q.Query(ctx, `SELECT `+youngPersonColumns+` FROM young_people WHERE `+cond+
		` ORDER BY id LIMIT `+args.add(q.Limit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.YoungPerson, error) { return scanYoungPerson(r) })
}

func (t *tx) YoungPeopleByCaseReference(ctx context.Context, councilID string, refs []string) ([]domain.YoungPerson, error) {
	rows, err := t.q.Query(ctx, `SELECT `+youngPersonColumns+` FROM young_people
		WHERE council_id = $1 AND case_reference = ANY($2::text[]) ORDER BY id`, councilID, refs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.YoungPerson, error) { return scanYoungPerson(r) })
}

func (t *tx) CreateYoungPerson(ctx context.Context, yp domain.YoungPerson) (domain.YoungPerson, error) {
	// With the council's settings revision, as getYoungPerson: planning the new pathway
	// reads the settings next. And with their personal adviser, in the same round trip:
	// their reminders are routed by the adviser next.
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO young_people (id, council_id, case_reference, given_name, family_name,
			preferred_name, date_of_birth, unaccompanied_asylum_seeking_child, ehc_plan, disability,
			open_to_camhs, in_education_or_training, personal_adviser_id, revision, create_time, update_time,
			detained_or_in_hospital_at_16, relevant_student, ssda903)
		VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10, $11, $12, nullif($13, ''), 1, $14, $15, $16, $17,
			coalesce($18::jsonb, '{}'))
		RETURNING `+youngPersonColumns+`, `+councilRevision,
		yp.ID, yp.CouncilID, yp.CaseReference, yp.GivenName, yp.FamilyName, yp.PreferredName,
		yp.DateOfBirth.String(), yp.UnaccompaniedAsylumSeekingChild, yp.EHCPlan, yp.Disability,
		yp.OpenToCAMHS, yp.InEducationOrTraining, yp.PersonalAdviserID, yp.CreateTime, yp.UpdateTime,
		yp.DetainedOrInHospitalAt16, yp.RelevantStudent, yp.SSDA903)
	_, known := t.people[yp.PersonalAdviserID]
	readAdviser := yp.PersonalAdviserID != "" && !known
	if readAdviser {
		b.Queue(`SELECT `+personColumns+` FROM people WHERE id = $1`, yp.PersonalAdviserID)
	}
	br := t.q.SendBatch(ctx, b)
	var revision *int64
	created, err := scanYoungPerson(br.QueryRow(), &revision)
	if err == nil && readAdviser {
		// One who has gone is not remembered: GetPerson says so as it would have.
		switch adviser, aerr := scanPerson(br.QueryRow()); {
		case aerr == nil:
			t.rememberPerson(adviser)
		case !errors.Is(aerr, pgx.ErrNoRows):
			err = aerr
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return domain.YoungPerson{}, youngPersonWriteError(err)
	}
	t.sawRevision(created.CouncilID, revision)
	return created, nil
}

// CreateYoungPeople copies the young people and their episodes in (COPY, two round trips
// whatever their number). A taken case reference fails the COPY, and with it the
// transaction, as AlreadyExists.
func (t *tx) CreateYoungPeople(ctx context.Context, yps []domain.YoungPerson, episodes []domain.CareEpisode) error {
	if len(yps) > 0 {
		rows := make([][]any, len(yps))
		for i, yp := range yps {
			ssda := orEmpty(yp.SSDA903)
			rows[i] = []any{yp.ID, yp.CouncilID, yp.CaseReference, yp.GivenName, yp.FamilyName, yp.PreferredName,
				dateArg(yp.DateOfBirth), yp.UnaccompaniedAsylumSeekingChild, yp.EHCPlan, yp.Disability, yp.OpenToCAMHS,
				yp.InEducationOrTraining, nilIfBlank(yp.PersonalAdviserID), int64(1), yp.CreateTime, yp.UpdateTime,
				yp.DetainedOrInHospitalAt16, yp.RelevantStudent, ssda}
		}
		if _, err := t.copyFrom(ctx, "young_people", []string{"id", "council_id", "case_reference", "given_name",
			"family_name", "preferred_name", "date_of_birth", "unaccompanied_asylum_seeking_child", "ehc_plan",
			"disability", "open_to_camhs", "in_education_or_training", "personal_adviser_id", "revision",
			"create_time", "update_time", "detained_or_in_hospital_at_16", "relevant_student", "ssda903"}, rows); err != nil {
			return youngPersonWriteError(err)
		}
	}
	if len(episodes) == 0 {
		return nil
	}
	rows := make([][]any, len(episodes))
	for i, e := range episodes {
		ssda := orEmpty(e.SSDA903)
		rows[i] = []any{e.ID, e.YoungPersonID, dateArg(e.Start), dateArg(e.End), e.LegalStatus, e.PlacementType,
			e.ReasonEnded, int64(1), e.CreateTime, e.UpdateTime, ssda}
	}
	_, err := t.copyFrom(ctx, "care_episodes", []string{"id", "young_person_id", "start_date", "end_date",
		"legal_status", "placement_type", "reason_ended", "revision", "create_time", "update_time", "ssda903"}, rows)
	return keyError(err, store.ErrYoungPersonNotFound)
}

func (t *tx) UpdateYoungPerson(ctx context.Context, yp domain.YoungPerson, ifRevision int64) (domain.YoungPerson, error) {
	updated, err := scanYoungPerson(t.q.QueryRow(ctx, `
		UPDATE young_people SET council_id = $2, case_reference = $3, given_name = $4,
			family_name = $5, preferred_name = $6, date_of_birth = $7::date,
			unaccompanied_asylum_seeking_child = $8, ehc_plan = $9, disability = $10,
			open_to_camhs = $11, in_education_or_training = $12, personal_adviser_id = nullif($13, ''),
			detained_or_in_hospital_at_16 = $16, relevant_student = $17, ssda903 = coalesce($18::jsonb, '{}'),
			revision = revision + 1, update_time = $14
		WHERE id = $1 AND ($15::bigint = 0 OR revision = $15)
		RETURNING `+youngPersonColumns,
		yp.ID, yp.CouncilID, yp.CaseReference, yp.GivenName, yp.FamilyName, yp.PreferredName,
		yp.DateOfBirth.String(), yp.UnaccompaniedAsylumSeekingChild, yp.EHCPlan, yp.Disability,
		yp.OpenToCAMHS, yp.InEducationOrTraining, yp.PersonalAdviserID, yp.UpdateTime, ifRevision,
		yp.DetainedOrInHospitalAt16, yp.RelevantStudent, yp.SSDA903))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, t.missingOrStale(ctx, "young_people", yp.ID, store.ErrYoungPersonNotFound)
	}
	return updated, youngPersonWriteError(err)
}

func (t *tx) DeleteYoungPerson(ctx context.Context, id string, ifRevision int64) error {
	tag, err := t.q.Exec(ctx,
		`DELETE FROM young_people WHERE id = $1 AND ($2::bigint = 0 OR revision = $2)`, id, ifRevision)
	if err != nil {
		return err
	}
	t.people = nil // their own account, if they had one, went with them
	if tag.RowsAffected() == 0 {
		return t.missingOrStale(ctx, "young_people", id, store.ErrYoungPersonNotFound)
	}
	return nil
}

// missingOrStale explains why a write guarded by a revision matched no row of table: the
// row is missing (notFound) or its revision has moved on.
func (t *tx) missingOrStale(ctx context.Context, table, id string, notFound error) error {
	var exists bool
	if err := t.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return store.ErrRevisionMismatch
	}
	return notFound
}

func youngPersonWriteError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "young_people_case_reference_key" {
		return store.ErrCaseReferenceInUse
	}
	return err
}

// nilIfBlank is NULL for "", for the optional references that are NULL when unset.
func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orEmpty is the map, or an empty one for nil: the SSDA903 columns are never NULL.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
