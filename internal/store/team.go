package store

import (
	"context"

	"github.com/carepath/carepath/internal/domain"
)

// TeamMembers returns the ids of the people of an organisation's team that keep accepts,
// paging through them all.
func TeamMembers(ctx context.Context, a Access, org, team string, keep func(domain.Person) bool) ([]string, error) {
	var ids []string
	q := PeopleQuery{OrganisationIDs: []string{org}, Team: team, Limit: 500}
	for {
		page, err := a.ListPeople(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if keep(p) {
				ids = append(ids, p.ID)
			}
		}
		if len(page) < q.Limit {
			return ids, nil
		}
		q.AfterID = page[len(page)-1].ID
	}
}
