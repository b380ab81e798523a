package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

const episodeColumns = `id, young_person_id, start_date, end_date, legal_status, placement_type,
	reason_ended, revision, create_time, update_time, ssda903`

func scanEpisode(row pgx.Row) (domain.CareEpisode, error) {
	var (
		e     domain.CareEpisode
		start time.Time
		end   *time.Time
	)
	err := row.Scan(&e.ID, &e.YoungPersonID, &start, &end, &e.LegalStatus, &e.PlacementType,
		&e.ReasonEnded, &e.Revision, &e.CreateTime, &e.UpdateTime, &e.SSDA903)
	if len(e.SSDA903) == 0 {
		e.SSDA903 = nil
	}
	e.Start, e.End = fromDate(&start), fromDate(end)
	e.CreateTime, e.UpdateTime = e.CreateTime.UTC(), e.UpdateTime.UTC()
	return e, err
}

func (t *tx) ListCareEpisodes(ctx context.Context, youngPersonID string) ([]domain.CareEpisode, error) {
	rows, err := t.q.Query(ctx, `SELECT `+episodeColumns+` FROM care_episodes
		WHERE young_person_id = $1 ORDER BY start_date, id`, youngPersonID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.CareEpisode, error) { return scanEpisode(r) })
}

func (t *tx) GetCareEpisode(ctx context.Context, youngPersonID, id string) (domain.CareEpisode, error) {
	e, err := scanEpisode(t.q.QueryRow(ctx, `SELECT `+episodeColumns+` FROM care_episodes
		WHERE id = $1 AND young_person_id = $2`, id, youngPersonID))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, store.ErrCareEpisodeNotFound
	}
	return e, err
}

func (t *tx) CreateCareEpisode(ctx context.Context, e domain.CareEpisode) (domain.CareEpisode, error) {
	created, err := scanEpisode(t.q.QueryRow(ctx, `
		INSERT INTO care_episodes (id, young_person_id, start_date, end_date, legal_status,
			placement_type, reason_ended, revision, create_time, update_time, ssda903)
		SELECT $1, id, $3::date, $4::date, $5, $6, $7, 1, $8, $9, coalesce($10::jsonb, '{}') FROM young_people WHERE id = $2
		RETURNING `+episodeColumns,
		e.ID, e.YoungPersonID, dateArg(e.Start), dateArg(e.End), e.LegalStatus, e.PlacementType,
		e.ReasonEnded, e.CreateTime, e.UpdateTime, e.SSDA903))
	if errors.Is(err, pgx.ErrNoRows) {
		return created, store.ErrYoungPersonNotFound
	}
	// 23503: the young person was deleted meanwhile.
	return created, keyError(err, store.ErrYoungPersonNotFound)
}

func (t *tx) UpdateCareEpisode(ctx context.Context, e domain.CareEpisode, ifRevision int64) (domain.CareEpisode, error) {
	updated, err := scanEpisode(t.q.QueryRow(ctx, `
		UPDATE care_episodes SET start_date = $3::date, end_date = $4::date, legal_status = $5,
			placement_type = $6, reason_ended = $7, revision = revision + 1, update_time = $8,
			ssda903 = coalesce($10::jsonb, '{}')
		WHERE id = $1 AND young_person_id = $2 AND ($9::bigint = 0 OR revision = $9)
		RETURNING `+episodeColumns,
		e.ID, e.YoungPersonID, dateArg(e.Start), dateArg(e.End), e.LegalStatus, e.PlacementType,
		e.ReasonEnded, e.UpdateTime, ifRevision, e.SSDA903))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := t.GetCareEpisode(ctx, e.YoungPersonID, e.ID); err != nil {
			return updated, err
		}
		return updated, store.ErrRevisionMismatch
	}
	return updated, err
}

func (t *tx) DeleteCareEpisode(ctx context.Context, youngPersonID, id string, ifRevision int64) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM care_episodes
		WHERE id = $1 AND young_person_id = $2 AND ($3::bigint = 0 OR revision = $3)`, id, youngPersonID, ifRevision)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := t.GetCareEpisode(ctx, youngPersonID, id); err != nil {
		return err
	}
	return store.ErrRevisionMismatch
}
