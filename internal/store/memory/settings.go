package memory

import (
	"context"
	"strconv"
	"strings"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetPathwaySettings(_ context.Context, councilID string) (domain.PathwaySettings, error) {
	obj, err := t.first(tableSettings, "id", councilID)
	if err != nil || obj == nil {
		return domain.PathwaySettings{CouncilID: councilID}, err
	}
	return copySettings(*obj.(*domain.PathwaySettings)), nil
}

func (t *tx) LeaplingRule(_ context.Context, councilID string) (civil.LeaplingRule, error) {
	obj, err := t.first(tableSettings, "id", councilID)
	if err != nil || obj == nil {
		return 0, err
	}
	return obj.(*domain.PathwaySettings).LeaplingRule, nil
}

// copySettings copies everything settings share by reference, so that neither a caller nor
// the stored copy can change the other.
func copySettings(s domain.PathwaySettings) domain.PathwaySettings {
	s.Settings = s.Settings.Clone()
	for i := range s.Local {
		s.Local[i].Local = true
	}
	return s
}

func (t *tx) SettingsRevisions(context.Context) (string, error) {
	all, err := t.all(tableSettings, "id") // by council
	parts := make([]string, len(all))
	for i, obj := range all {
		s := obj.(*domain.PathwaySettings)
		parts[i] = s.CouncilID + ":" + strconv.FormatInt(s.Revision, 10)
	}
	return strings.Join(parts, ","), err
}

func (t *tx) PutPathwaySettings(ctx context.Context, s domain.PathwaySettings, ifRevision int64) (domain.PathwaySettings, error) {
	old, err := t.GetPathwaySettings(ctx, s.CouncilID)
	if err != nil {
		return s, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return s, err
	}
	s = copySettings(s)
	s.Revision, s.UpdateTime = old.Revision+1, storedTime(s.UpdateTime)
	stored := copySettings(s)
	return s, t.insert(tableSettings, &stored)
}
