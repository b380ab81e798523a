package memory

import (
	"context"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) GetPathwaySettings(_ context.Context, councilID string) (domain.PathwaySettings, error) {
	obj, err := t.first(tableSettings, "id", councilID)
	if err != nil || obj == nil {
		return domain.PathwaySettings{CouncilID: councilID}, err
	}
	return *obj.(*domain.PathwaySettings), nil
}

func (t *tx) PutPathwaySettings(ctx context.Context, s domain.PathwaySettings, ifRevision int64) (domain.PathwaySettings, error) {
	old, err := t.GetPathwaySettings(ctx, s.CouncilID)
	if err != nil {
		return s, err
	}
	if ifRevision != 0 && ifRevision != old.Revision {
		return s, store.ErrRevisionMismatch
	}
	s.Revision, s.UpdateTime = old.Revision+1, storedTime(s.UpdateTime)
	return s, t.insert(tableSettings, &s)
}
