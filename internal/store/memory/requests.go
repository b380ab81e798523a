package memory

import (
	"context"

	"github.com/carepath/carepath/internal/store"
)

func (t *tx) ClaimRequest(_ context.Context, r store.Request) (store.Request, bool, error) {
	obj, err := t.first(tableRequests, "id", r.Scope, r.ID)
	if err != nil {
		return store.Request{}, false, err
	}
	if obj != nil {
		prior := *obj.(*store.Request)
		prior.Hash = append([]byte(nil), prior.Hash...)
		return prior, false, nil
	}
	r.CreateTime = storedTime(r.CreateTime)
	r.Hash = append([]byte(nil), r.Hash...)
	return r, true, t.insert(tableRequests, &r)
}
