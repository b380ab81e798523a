package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const agreementColumns = `id, council_id, partner_id, purpose, start_date, end_date, reference, revision,
	create_time, update_time`

func scanAgreement(row pgx.Row) (domain.SharingAgreement, error) {
	var (
		a       domain.SharingAgreement
		purpose string
		start   time.Time
		end     *time.Time
	)
	err := row.Scan(&a.ID, &a.CouncilID, &a.PartnerID, &purpose, &start, &end, &a.Reference, &a.Revision,
		&a.CreateTime, &a.UpdateTime)
	a.Purpose, a.Start, a.End = domain.Purpose(purpose), fromDate(&start), fromDate(end)
	a.CreateTime, a.UpdateTime = a.CreateTime.UTC(), a.UpdateTime.UTC()
	return a, err
}

func (t *tx) GetSharingAgreement(ctx context.Context, id string) (domain.SharingAgreement, error) {
	a, err := scanAgreement(t.q.QueryRow(ctx, `SELECT `+agreementColumns+` FROM sharing_agreements WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, store.ErrSharingAgreementNotFound
	}
	return a, err
}

func (t *tx) ListSharingAgreements(ctx context.Context, councilID, afterID string, limit int) ([]domain.SharingAgreement, error) {
	if afterID == "" {
		afterID = zeroUUID
	}
	rows, err := t.q.Query(ctx, `SELECT `+agreementColumns+` FROM sharing_agreements
		WHERE council_id = $1 AND id > $2::uuid ORDER BY id LIMIT $3`, councilID, afterID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SharingAgreement, error) { return scanAgreement(r) })
}

func (t *tx) PartnerCouncils(ctx context.Context, partnerID string) ([]string, error) {
	rows, err := t.q.Query(ctx, `SELECT DISTINCT council_id FROM sharing_agreements WHERE partner_id = $1
		ORDER BY council_id`, partnerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (t *tx) CreateSharingAgreement(ctx context.Context, a domain.SharingAgreement) (domain.SharingAgreement, error) {
	created, err := scanAgreement(t.q.QueryRow(ctx, `INSERT INTO sharing_agreements (id, council_id, partner_id,
		purpose, start_date, end_date, reference, revision, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5::date, $6::date, $7, 1, $8, $9) RETURNING `+agreementColumns,
		a.ID, a.CouncilID, a.PartnerID, string(a.Purpose), dateArg(a.Start), dateArg(a.End), a.Reference,
		a.CreateTime, a.UpdateTime))
	return created, writeError(err)
}

func (t *tx) UpdateSharingAgreement(ctx context.Context, a domain.SharingAgreement, ifRevision int64) (domain.SharingAgreement, error) {
	updated, err := scanAgreement(t.q.QueryRow(ctx, `UPDATE sharing_agreements SET start_date = $2::date,
		end_date = $3::date, reference = $4, revision = revision + 1, update_time = $5
		WHERE id = $1 AND ($6::bigint = 0 OR revision = $6) RETURNING `+agreementColumns,
		a.ID, dateArg(a.Start), dateArg(a.End), a.Reference, a.UpdateTime, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, t.missingOrStale(ctx, "sharing_agreements", a.ID, store.ErrSharingAgreementNotFound)
	}
	return updated, err
}

const shareColumns = `id, young_person_id, partner_id, purpose, basis, start_date, expiry_date, withdraw_time,
	withdraw_reason, recorded_by, revision, create_time`

func scanShare(row pgx.Row) (domain.Share, error) {
	var (
		s              domain.Share
		purpose, basis string
		start, expiry  time.Time
		withdrawn      *time.Time
	)
	err := row.Scan(&s.ID, &s.YoungPersonID, &s.PartnerID, &purpose, &basis, &start, &expiry, &withdrawn,
		&s.WithdrawReason, &s.RecordedBy, &s.Revision, &s.CreateTime)
	s.Purpose, s.Basis, s.Start, s.Expiry = domain.Purpose(purpose), domain.Basis(basis), fromDate(&start), fromDate(&expiry)
	s.WithdrawTime, s.CreateTime = fromTimestamp(withdrawn), s.CreateTime.UTC()
	return s, err
}

// sharesOf are the shares of young people ($1).
const sharesOf = `SELECT ` + shareColumns + ` FROM shares WHERE young_person_id = ANY($1::uuid[])
	ORDER BY young_person_id, create_time DESC, id DESC`

func (t *tx) ListShares(ctx context.Context, youngPersonIDs ...string) ([]domain.Share, error) {
	rows, err := t.q.Query(ctx, sharesOf, youngPersonIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Share, error) { return scanShare(r) })
}

func (t *tx) GetShare(ctx context.Context, youngPersonID, id string) (domain.Share, error) {
	s, err := scanShare(t.q.QueryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE id = $1 AND young_person_id = $2`,
		id, youngPersonID))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, store.ErrShareNotFound
	}
	return s, err
}

// CreateShare inserts the share only if the young person exists, in one statement.
func (t *tx) CreateShare(ctx context.Context, s domain.Share) (domain.Share, error) {
	created, err := scanShare(t.q.QueryRow(ctx, `INSERT INTO shares (id, young_person_id, partner_id, purpose,
		basis, start_date, expiry_date, withdraw_time, withdraw_reason, recorded_by, revision, create_time)
		SELECT $1, y.id, $3, $4, $5, $6::date, $7::date, $8::timestamptz, $9, $10, 1, $11
		FROM young_people y WHERE y.id = $2
		RETURNING `+shareColumns,
		s.ID, s.YoungPersonID, s.PartnerID, string(s.Purpose), string(s.Basis), dateArg(s.Start), dateArg(s.Expiry),
		timestampArg(s.WithdrawTime), s.WithdrawReason, s.RecordedBy, s.CreateTime))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, store.ErrYoungPersonNotFound
	}
	return created, writeError(err)
}

func (t *tx) UpdateShare(ctx context.Context, s domain.Share, ifRevision int64) (domain.Share, error) {
	updated, err := scanShare(t.q.QueryRow(ctx, `UPDATE shares SET withdraw_time = $3, withdraw_reason = $4,
		revision = revision + 1 WHERE id = $1 AND young_person_id = $2 AND ($5::bigint = 0 OR revision = $5)
		RETURNING `+shareColumns, s.ID, s.YoungPersonID, timestampArg(s.WithdrawTime), s.WithdrawReason, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := t.GetShare(ctx, s.YoungPersonID, s.ID); err != nil {
			return updated, err
		}
		return updated, store.ErrRevisionMismatch
	}
	return updated, err
}

// ListSharedYoungPeople is one statement: the young people with a share in force, whose
// council has an agreement in force with the partner for the purpose.
func (t *tx) ListSharedYoungPeople(ctx context.Context, q store.SharedQuery) ([]domain.YoungPerson, error) {
	stmt, args := sharedYoungPeople(q)
	rows, err := t.q.Query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.YoungPerson, error) { return scanYoungPerson(r) })
}

// sharedYoungPeople is ListSharedYoungPeople's statement and its arguments. An API call's
// plan is made once for any values (plans.go), so each filter given is a condition of its own
// in the text, never one that an empty value switches off: asked about one young person, the
// statement reads that young person and their shares. A plan made to serve either way read
// every share the partner had (357 here: 1 to 13 ms a call, and more with each share).
// Dates go as text, as the statement casts them.
func sharedYoungPeople(q store.SharedQuery) (string, []any) {
	args := sqlArgs{q.PartnerID, string(q.Purpose), q.Day.String()}
	var cond, shareCond string
	if q.YoungPersonID != "" {
		cond += " AND y.id = " + args.add(q.YoungPersonID) + "::uuid"
	}
	if len(q.YoungPersonIDs) > 0 {
		cond += " AND y.id = ANY(" + args.add(q.YoungPersonIDs) + "::uuid[])"
	}
	if q.AfterID != "" { // on both sides of the join, so that the shares before it are not read
		after := args.add(q.AfterID)
		cond += " AND y.id > " + after + "::uuid"
		shareCond = " AND s.young_person_id > " + after + "::uuid"
	}
	if !q.BornAfter.IsZero() {
		cond += " AND y.date_of_birth > " + args.add(q.BornAfter.String()) + "::date"
	}
	return `SELECT ` + youngPersonColumns + ` FROM young_people y
		WHERE EXISTS (SELECT 1 FROM shares s WHERE s.young_person_id = y.id AND s.partner_id = $1
			AND s.purpose = $2 AND s.withdraw_time IS NULL AND s.start_date <= $3::date AND s.expiry_date > $3::date` +
		shareCond + `)
		AND EXISTS (SELECT 1 FROM sharing_agreements a WHERE a.council_id = y.council_id AND a.partner_id = $1
			AND a.purpose = $2 AND a.start_date <= $3::date AND (a.end_date IS NULL OR a.end_date > $3::date))` +
		cond + ` ORDER BY y.id LIMIT ` + args.add(q.Limit), args
}
