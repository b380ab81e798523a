package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

func (t *tx) ListCareEpisodes(_ context.Context, youngPersonID string) ([]domain.CareEpisode, error) {
	objs, err := t.all(tableEpisodes, "young_person", youngPersonID)
	if err != nil {
		return nil, err
	}
	out := make([]domain.CareEpisode, len(objs))
	for i, o := range objs {
		out[i] = *o.(*domain.CareEpisode)
	}
	slices.SortFunc(out, func(a, b domain.CareEpisode) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (t *tx) getEpisode(youngPersonID, id string) (*domain.CareEpisode, error) {
	obj, err := t.first(tableEpisodes, "id", id)
	if err != nil {
		return nil, err
	}
	if obj == nil || obj.(*domain.CareEpisode).YoungPersonID != youngPersonID {
		return nil, store.ErrCareEpisodeNotFound
	}
	return obj.(*domain.CareEpisode), nil
}

func (t *tx) GetCareEpisode(_ context.Context, youngPersonID, id string) (domain.CareEpisode, error) {
	e, err := t.getEpisode(youngPersonID, id)
	if err != nil {
		return domain.CareEpisode{}, err
	}
	return *e, nil
}

func (t *tx) CreateCareEpisode(_ context.Context, e domain.CareEpisode) (domain.CareEpisode, error) {
	if _, err := t.getYoungPerson(e.YoungPersonID); err != nil {
		return domain.CareEpisode{}, err
	}
	if obj, err := t.first(tableEpisodes, "id", e.ID); err != nil || obj != nil {
		return domain.CareEpisode{}, orExists(err)
	}
	e.Revision = 1
	e.CreateTime, e.UpdateTime = storedTime(e.CreateTime), storedTime(e.UpdateTime)
	e.SSDA903 = storedMap(e.SSDA903)
	return e, t.insert(tableEpisodes, &e)
}

func (t *tx) UpdateCareEpisode(_ context.Context, e domain.CareEpisode, ifRevision int64) (domain.CareEpisode, error) {
	old, err := t.getEpisode(e.YoungPersonID, e.ID)
	if err != nil {
		return domain.CareEpisode{}, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return domain.CareEpisode{}, err
	}
	e.Revision = old.Revision + 1
	e.CreateTime, e.UpdateTime = old.CreateTime, storedTime(e.UpdateTime)
	e.SSDA903 = storedMap(e.SSDA903)
	return e, t.insert(tableEpisodes, &e)
}

func (t *tx) DeleteCareEpisode(_ context.Context, youngPersonID, id string, ifRevision int64) error {
	old, err := t.getEpisode(youngPersonID, id)
	if err != nil {
		return err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return err
	}
	return t.delete(tableEpisodes, old)
}
