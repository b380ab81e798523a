package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain"
)

func (t *tx) AddFact(_ context.Context, f domain.Fact) (domain.Fact, error) {
	if _, err := t.getYoungPerson(f.YoungPersonID); err != nil {
		return f, err
	}
	if obj, err := t.first(tableFacts, "id", f.ID); err != nil || obj != nil {
		return f, orExists(err)
	}
	f.RecordTime = storedTime(f.RecordTime)
	stored := f
	return f, t.insert(tableFacts, &stored)
}

func (t *tx) ListFacts(_ context.Context, youngPersonID string) ([]domain.Fact, error) {
	objs, err := t.all(tableFacts, "young_person", youngPersonID)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Fact, len(objs))
	for i, o := range objs {
		out[i] = *o.(*domain.Fact)
	}
	slices.SortFunc(out, func(a, b domain.Fact) int { // oldest first
		if c := a.RecordTime.Compare(b.RecordTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
