package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const factColumns = `id, young_person_id, key, value, effective_date, evidence_type, note, recorded_by,
	organisation_id, record_time`

func scanFact(row pgx.Row) (domain.Fact, error) {
	var (
		f         domain.Fact
		effective time.Time
		evidence  string
	)
	err := row.Scan(&f.ID, &f.YoungPersonID, &f.Key, &f.Value, &effective, &evidence, &f.Note, &f.RecordedBy,
		&f.OrganisationID, &f.RecordTime)
	f.EffectiveDate, f.EvidenceType, f.RecordTime = fromDate(&effective), domain.EvidenceType(evidence), f.RecordTime.UTC()
	return f, err
}

// AddFact inserts the record only if the young person exists, in one statement.
func (t *tx) AddFact(ctx context.Context, f domain.Fact) (domain.Fact, error) {
	added, err := scanFact(t.q.QueryRow(ctx, `
		INSERT INTO facts (id, young_person_id, key, value, effective_date, evidence_type, note, recorded_by,
			organisation_id, record_time)
		SELECT $1, y.id, $3, $4, $5::date, $6, $7, $8, $9, $10 FROM young_people y WHERE y.id = $2
		RETURNING `+factColumns,
		f.ID, f.YoungPersonID, f.Key, f.Value, dateArg(f.EffectiveDate), string(f.EvidenceType), f.Note,
		f.RecordedBy, f.OrganisationID, f.RecordTime))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, store.ErrYoungPersonNotFound
	}
	// 23503: the young person was deleted meanwhile.
	return added, keyError(err, store.ErrYoungPersonNotFound)
}

func (t *tx) ListFacts(ctx context.Context, youngPersonID string) ([]domain.Fact, error) {
	rows, err := t.q.Query(ctx, `SELECT `+factColumns+` FROM facts WHERE young_person_id = $1
		ORDER BY record_time, id`, youngPersonID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Fact, error) { return scanFact(r) })
}
