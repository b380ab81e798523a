package postgres

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetPathwaySettings(ctx context.Context, councilID string) (domain.PathwaySettings, error) {
	s, shared, err := t.pathwaySettings(ctx, councilID)
	if shared {
		s.Settings = s.Settings.Clone()
	}
	return s, err
}

func (t *tx) LeaplingRule(ctx context.Context, councilID string) (civil.LeaplingRule, error) {
	s, _, err := t.pathwaySettings(ctx, councilID)
	return s.LeaplingRule, err
}

// pathwaySettings returns a council's settings, shared with the cache when shared is true:
// then they must be copied before anything may change them.
func (t *tx) pathwaySettings(ctx context.Context, councilID string) (s domain.PathwaySettings, shared bool, err error) {
	s = domain.PathwaySettings{CouncilID: councilID}
	cached, hit := t.settings.get(councilID)
	if rev, seen := t.revisions[councilID]; seen {
		switch {
		case rev == 0:
			return s, false, nil
		case hit && cached.Revision == rev:
			return cached, true, nil
		}
	}
	var raw []byte
	// The settings travel and are decoded only when their revision is not the one cached:
	// every call still reads the revision, so a change by another replica shows at once.
	err = t.q.QueryRow(ctx, `SELECT CASE WHEN revision = $2 THEN NULL ELSE settings END, revision, update_time
		FROM pathway_settings WHERE council_id = $1`, councilID, cached.Revision).Scan(&raw, &s.Revision, &s.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	s.UpdateTime = s.UpdateTime.UTC()
	if raw == nil && hit {
		s.Settings = cached.Settings
		return s, true, nil
	}
	if s.Settings, err = catalogue.DecodeSettings(raw); err != nil {
		return s, false, err
	}
	t.settings.put(s)
	return s, false, nil
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

func (t *tx) SettingsRevisions(ctx context.Context) (string, error) {
	var out string
	err := t.q.QueryRow(ctx, `SELECT coalesce(string_agg(council_id || ':' || revision, ',' ORDER BY council_id), '')
		FROM pathway_settings`).Scan(&out)
	return out, err
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
