package store

import (
	"context"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
)

// SharedPartners returns the partners a young person is shared with on day, by the same
// rule as partners' own access (Sharing.ListSharedYoungPeople): a share in force under an
// agreement in force for its purpose. Reminders and webhooks use it, so that a partner
// hears only of young people it could look up.
func SharedPartners(ctx context.Context, tx Tx, youngPersonID string, day civil.Date) (map[string]bool, error) {
	shares, err := tx.ListShares(ctx, youngPersonID)
	if err != nil {
		return nil, err
	}
	return SharedPartnersBy(ctx, tx, youngPersonID, shares, day)
}

// SharedPartnersBy is SharedPartners from the young person's shares, already loaded.
func SharedPartnersBy(ctx context.Context, tx Tx, youngPersonID string, shares []domain.Share, day civil.Date) (map[string]bool, error) {
	out := map[string]bool{}
	for _, sh := range shares {
		if out[sh.PartnerID] || !sh.InForce(day) {
			continue
		}
		yps, err := tx.ListSharedYoungPeople(ctx, SharedQuery{PartnerID: sh.PartnerID, Purpose: sh.Purpose, Day: day,
			YoungPersonID: youngPersonID, Limit: 1})
		if err != nil {
			return nil, err
		}
		out[sh.PartnerID] = len(yps) > 0
	}
	return out, nil
}
