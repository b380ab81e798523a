package memory

import (
	"context"
	"slices"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetPathwaySettings(_ context.Context, councilID string) (domain.PathwaySettings, error) {
	obj, err := t.first(tableSettings, "id", councilID)
	if err != nil || obj == nil {
		return domain.PathwaySettings{CouncilID: councilID}, err
	}
	return copySettings(*obj.(*domain.PathwaySettings)), nil
}

// copySettings copies everything settings share by reference, so that neither a caller nor
// the stored copy can change the other.
func copySettings(s domain.PathwaySettings) domain.PathwaySettings {
	s.Overrides = slices.Clone(s.Overrides)
	for i, o := range s.Overrides {
		if o.Due != nil {
			due := *o.Due
			s.Overrides[i].Due = &due
		}
	}
	s.Local = slices.Clone(s.Local)
	for i, d := range s.Local {
		s.Local[i].Ambitions, s.Local[i].Applies = slices.Clone(d.Ambitions), slices.Clone(d.Applies)
		s.Local[i].Sources, s.Local[i].Local = slices.Clone(d.Sources), true
	}
	s.Ambitions = slices.Clone(s.Ambitions)
	for i, a := range s.Ambitions {
		s.Ambitions[i].Milestones, s.Ambitions[i].Checks = slices.Clone(a.Milestones), slices.Clone(a.Checks)
	}
	return s
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
