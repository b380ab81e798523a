package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const organisationColumns = `o.id, o.display_name, o.type,
	(SELECT coalesce(array_agg(c.subject ORDER BY c.subject), '{}') FROM organisation_certificates c
	 WHERE c.organisation_id = o.id), coalesce(o.steward_id, ''), o.revision, o.create_time, o.update_time`

func scanOrganisation(row pgx.Row) (domain.Organisation, error) {
	var o domain.Organisation
	var typ string
	err := row.Scan(&o.ID, &o.DisplayName, &typ, &o.CertificateSubjects, &o.Steward, &o.Revision, &o.CreateTime, &o.UpdateTime)
	o.Type, o.CreateTime, o.UpdateTime = domain.OrganisationType(typ), o.CreateTime.UTC(), o.UpdateTime.UTC()
	if len(o.CertificateSubjects) == 0 {
		o.CertificateSubjects = nil
	}
	return o, err
}

func (t *tx) GetOrganisation(ctx context.Context, id string) (domain.Organisation, error) {
	o, err := scanOrganisation(t.q.QueryRow(ctx, `SELECT `+organisationColumns+` FROM organisations o WHERE o.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, store.ErrOrganisationNotFound
	}
	return o, err
}

func (t *tx) ListOrganisations(ctx context.Context, afterID string, limit int) ([]domain.Organisation, error) {
	rows, err := t.q.Query(ctx, `SELECT `+organisationColumns+` FROM organisations o
		WHERE o.id > $1 ORDER BY o.id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Organisation, error) { return scanOrganisation(r) })
}

func (t *tx) CreateOrganisation(ctx context.Context, o domain.Organisation) (domain.Organisation, error) {
	_, err := t.q.Exec(ctx, `INSERT INTO organisations (id, display_name, type, steward_id, revision, create_time, update_time)
		VALUES ($1, $2, $3, nullif($4, ''), 1, $5, $6)`, o.ID, o.DisplayName, string(o.Type), o.Steward, o.CreateTime, o.UpdateTime)
	if err != nil {
		return o, writeError(err)
	}
	if err := t.setCertificates(ctx, o); err != nil {
		return o, err
	}
	return t.GetOrganisation(ctx, o.ID)
}

// setCertificates replaces an organisation's certificate subjects; one used by another
// organisation is refused.
func (t *tx) setCertificates(ctx context.Context, o domain.Organisation) error {
	if _, err := t.q.Exec(ctx, `DELETE FROM organisation_certificates WHERE organisation_id = $1`, o.ID); err != nil {
		return err
	}
	_, err := t.q.Exec(ctx, `INSERT INTO organisation_certificates (subject, organisation_id)
		SELECT unnest($2::text[]), $1`, o.ID, o.CertificateSubjects)
	return writeError(err)
}

func (t *tx) UpdateOrganisation(ctx context.Context, o domain.Organisation, ifRevision int64) (domain.Organisation, error) {
	tag, err := t.q.Exec(ctx, `UPDATE organisations SET display_name = $2, revision = revision + 1, update_time = $3
		WHERE id = $1 AND ($4::bigint = 0 OR revision = $4)`, o.ID, o.DisplayName, o.UpdateTime, ifRevision)
	if err != nil {
		return o, err
	}
	if tag.RowsAffected() == 0 {
		return o, t.missingOrStale(ctx, "organisations", o.ID, store.ErrOrganisationNotFound)
	}
	if err := t.setCertificates(ctx, o); err != nil {
		return o, err
	}
	return t.GetOrganisation(ctx, o.ID)
}

func (t *tx) OrganisationByCertificateSubject(ctx context.Context, subject string) (domain.Organisation, error) {
	o, err := scanOrganisation(t.q.QueryRow(ctx, `SELECT `+organisationColumns+` FROM organisations o
		JOIN organisation_certificates c ON c.organisation_id = o.id WHERE c.subject = $1`, subject))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, store.ErrOrganisationNotFound
	}
	return o, err
}

const personColumns = `id, display_name, organisation_id, team, roles, disabled, coalesce(young_person_id::text, ''),
	own_reminders, revision, create_time, update_time`

func scanPerson(row pgx.Row) (domain.Person, error) {
	var p domain.Person
	var roles []string
	err := row.Scan(&p.ID, &p.DisplayName, &p.OrganisationID, &p.Team, &roles, &p.Disabled, &p.YoungPersonID,
		&p.OwnReminders, &p.Revision, &p.CreateTime, &p.UpdateTime)
	for _, r := range roles {
		p.Roles = append(p.Roles, domain.Role(r))
	}
	p.CreateTime, p.UpdateTime = p.CreateTime.UTC(), p.UpdateTime.UTC()
	return p, err
}

// GetPerson reads a person once a transaction: creating a young person checks their
// adviser, and their reminders and readiness look the adviser up again. What this
// transaction writes of a person replaces what it read (rememberPerson).
func (t *tx) GetPerson(ctx context.Context, id string) (domain.Person, error) {
	if p, ok := t.people[id]; ok {
		p.Roles = slices.Clone(p.Roles)
		return p, nil
	}
	p, err := scanPerson(t.q.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, store.ErrPersonNotFound
	}
	if err == nil {
		t.rememberPerson(p)
	}
	return p, err
}

// rememberPerson keeps p as this transaction last read or wrote them.
func (t *tx) rememberPerson(p domain.Person) {
	if t.people == nil {
		t.people = map[string]domain.Person{}
	}
	p.Roles = slices.Clone(p.Roles)
	t.people[p.ID] = p
}

func (t *tx) ListPeople(ctx context.Context, q store.PeopleQuery) ([]domain.Person, error) {
	rows, err := t.q.Query(ctx, `SELECT `+personColumns+` FROM people
		WHERE id > $1 AND (coalesce(cardinality($2::text[]), 0) = 0 OR organisation_id = ANY($2)) AND ($3 = '' OR team = $3)
		ORDER BY id LIMIT $4`, q.AfterID, q.OrganisationIDs, q.Team, q.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Person, error) { return scanPerson(r) })
}

func (t *tx) CreatePerson(ctx context.Context, p domain.Person) (domain.Person, error) {
	created, err := scanPerson(t.q.QueryRow(ctx, `INSERT INTO people (id, display_name, organisation_id, team, roles,
		disabled, young_person_id, revision, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($9, '')::uuid, 1, $7, $8)
		RETURNING `+personColumns, p.ID, p.DisplayName, p.OrganisationID, p.Team, strs(p.Roles), p.Disabled,
		p.CreateTime, p.UpdateTime, p.YoungPersonID))
	return created, writeError(err)
}

func (t *tx) UpdatePerson(ctx context.Context, p domain.Person, ifRevision int64) (domain.Person, error) {
	updated, err := scanPerson(t.q.QueryRow(ctx, `UPDATE people SET display_name = $2, team = $3, roles = $4,
		disabled = $5, revision = revision + 1, update_time = $6
		WHERE id = $1 AND ($7::bigint = 0 OR revision = $7) RETURNING `+personColumns,
		p.ID, p.DisplayName, p.Team, strs(p.Roles), p.Disabled, p.UpdateTime, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, t.missingOrStale(ctx, "people", p.ID, store.ErrPersonNotFound)
	}
	if err == nil {
		t.rememberPerson(updated)
	}
	return updated, err
}

func (t *tx) YoungPersonAccount(ctx context.Context, youngPersonID string) (domain.Person, error) {
	p, err := scanPerson(t.q.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE young_person_id = $1::uuid`, youngPersonID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, store.ErrPersonNotFound
	}
	return p, err
}

// accountsOf are the own accounts of young people ($1).
const accountsOf = `SELECT ` + personColumns + ` FROM people WHERE young_person_id = ANY($1::uuid[])`

func (t *tx) YoungPersonAccounts(ctx context.Context, youngPersonIDs []string) ([]domain.Person, error) {
	rows, err := t.q.Query(ctx, accountsOf, youngPersonIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Person, error) { return scanPerson(r) })
}

func (t *tx) SetOwnReminders(ctx context.Context, personID string, on bool, at time.Time, ifRevision int64) (domain.Person, error) {
	updated, err := scanPerson(t.q.QueryRow(ctx, `UPDATE people SET own_reminders = $2, revision = revision + 1, update_time = $3
		WHERE id = $1 AND ($4::bigint = 0 OR revision = $4) RETURNING `+personColumns, personID, on, at, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, t.missingOrStale(ctx, "people", personID, store.ErrPersonNotFound)
	}
	if err == nil {
		t.rememberPerson(updated)
	}
	return updated, err
}

// keyError turns key violations into the store's failures: a taken key (23505) is
// ErrExists, a missing referenced row (23503) is fkMissing.
func keyError(err, fkMissing error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return store.ErrExists
		case "23503":
			return fkMissing
		}
	}
	return err
}

// writeError is keyError for rows that reference an organisation.
func writeError(err error) error { return keyError(err, store.ErrOrganisationNotFound) }
