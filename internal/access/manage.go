package access

import (
	"context"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/store"
)

// ManagesOrganisation reports whether the caller may manage an organisation: its details,
// its people, its client certificates and its webhook endpoints.
//
//   - A council's administrator manages their council, and a partner their council is the
//     steward of while the partner works with no other council: no council administrator
//     can ever add staff to a partner that sees another council's young people.
//   - A partner administrator manages their own organisation, whoever it works with.
func ManagesOrganisation(ctx context.Context, tx store.Sharing, org domain.Organisation) (bool, error) {
	c := Caller(ctx)
	switch {
	case org.ID == c.Organisation:
		return c.Has(Admin, PartnerAdmin), nil
	case !c.Has(Admin) || org.Type == domain.Council || org.Steward != c.Organisation:
		return false, nil
	}
	councils, err := tx.PartnerCouncils(ctx, org.ID)
	if err != nil {
		return false, err
	}
	for _, council := range councils {
		if council != c.Organisation {
			return false, nil
		}
	}
	return true, nil
}
