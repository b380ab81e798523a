package postgres

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetPathwaySettings(ctx context.Context, councilID string) (domain.PathwaySettings, error) {
	s := domain.PathwaySettings{CouncilID: councilID}
	cached, hit := t.settings.get(councilID)
	if rev, seen := t.revisions[councilID]; seen {
		switch {
		case rev == 0:
			return s, nil
		case hit && cached.Revision == rev:
			cached.Settings = cached.Settings.Clone()
			return cached, nil
		}
	}
	var raw []byte
	// The settings travel and are decoded only when their revision is not the one cached:
	// every call still reads the revision, so a change by another replica shows at once.
	err := t.q.QueryRow(ctx, `SELECT CASE WHEN revision = $2 THEN NULL ELSE settings END, revision, update_time
		FROM pathway_settings WHERE council_id = $1`, councilID, cached.Revision).Scan(&raw, &s.Revision, &s.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.UpdateTime = s.UpdateTime.UTC()
	if raw == nil && hit {
		s.Settings = cached.Settings.Clone()
		return s, nil
	}
	if s.Settings, err = catalogue.DecodeSettings(raw); err != nil {
		return s, err
	}
	t.settings.put(s)
	return s, nil
}

// settingsCache holds the decoded settings of each council at a revision. Decoding is most
// of what reading the settings costs, and every call that shows a young person's age reads
// them (their council's leap-day rule). Entries are never stale, only superseded: a read
// compares the revision first. A council has one entry, so it holds one per council.
type settingsCache struct {
	mu sync.RWMutex
	m  map[string]domain.PathwaySettings
}

// get returns the cached settings of a council; Revision 0 matches no stored row.
func (c *settingsCache) get(council string) (domain.PathwaySettings, bool) {
	if c == nil {
		return domain.PathwaySettings{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.m[council]
	return s, ok
}

func (c *settingsCache) put(s domain.PathwaySettings) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[s.CouncilID]; !ok || old.Revision < s.Revision {
		s.Settings = s.Settings.Clone()
		c.m[s.CouncilID] = s
	}
}

func (t *tx) PutPathwaySettings(ctx context.Context, s domain.PathwaySettings, ifRevision int64) (domain.PathwaySettings, error) {
	delete(t.revisions, s.CouncilID) // read again after the change

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
