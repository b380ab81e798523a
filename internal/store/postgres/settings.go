package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetPathwaySettings(ctx context.Context, councilID string) (domain.PathwaySettings, error) {
	s := domain.PathwaySettings{CouncilID: councilID}
	var raw []byte
	err := t.q.QueryRow(ctx, `SELECT settings, revision, update_time FROM pathway_settings
		WHERE council_id = $1`, councilID).Scan(&raw, &s.Revision, &s.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.UpdateTime = s.UpdateTime.UTC()
	s.Settings, err = catalogue.DecodeSettings(raw)
	return s, err
}

func (t *tx) PutPathwaySettings(ctx context.Context, s domain.PathwaySettings, ifRevision int64) (domain.PathwaySettings, error) {
	raw, err := catalogue.EncodeSettings(s.Settings)
	if err != nil {
		return s, err
	}
	if ifRevision == 0 {
		err = t.q.QueryRow(ctx, `
			INSERT INTO pathway_settings AS p (council_id, settings, revision, update_time)
			VALUES ($1, $2, 1, $3)
			ON CONFLICT (council_id) DO UPDATE SET settings = excluded.settings,
				revision = p.revision + 1, update_time = excluded.update_time
			RETURNING revision, update_time`, s.CouncilID, raw, s.UpdateTime).Scan(&s.Revision, &s.UpdateTime)
	} else { // no row back: the settings changed, or were never saved, since they were read
		err = t.q.QueryRow(ctx, `
			UPDATE pathway_settings SET settings = $2, revision = revision + 1, update_time = $3
			WHERE council_id = $1 AND revision = $4
			RETURNING revision, update_time`, s.CouncilID, raw, s.UpdateTime, ifRevision).Scan(&s.Revision, &s.UpdateTime)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return s, store.ErrRevisionMismatch
	}
	s.UpdateTime = s.UpdateTime.UTC()
	return s, err
}
