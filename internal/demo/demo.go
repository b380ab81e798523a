// Package demo is the small, made-up data set that `carepath serve` loads into the
// in-memory store, so that someone trying carepath sees something at once. Ages are
// relative to the day the server starts, so the demo stays 13-to-24 whenever it runs. No
// name or case reference here belongs to a real person.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

// CouncilID is the council the demo young people belong to.
const CouncilID = "nottinghamshire"

// person is a demo young person aged years and days on the day the demo loads.
type person struct {
	key                    string
	given, family, prefers string
	years, days            int
	uasc, ehcp, disability bool
}

var people = []person{
	{key: "01", given: "Maya", family: "Thornton", years: 13, days: 40},
	{key: "02", given: "Jordan", family: "Ellis", prefers: "Jordy", years: 15, days: 120},
	{key: "03", given: "Kacper", family: "Nowicki", years: 16, days: 30, ehcp: true},
	{key: "04", given: "Amani", family: "Tesfaye", years: 17, days: 300, uasc: true},
	{key: "05", given: "Chloe", family: "Barraclough", years: 19, days: 75, disability: true},
	{key: "06", given: "Tyrese", family: "Okonjo", prefers: "Ty", years: 21, days: 200},
	{key: "07", given: "Fatima", family: "Rahimi", years: 24, days: 10},
}

// ID returns the id of demo person key ("01" to "07"); ids are fixed so the README's
// examples work.
func ID(key string) string { return "d3e10000-0000-4000-8000-0000000000" + key }

// Load adds the demo young people to s and returns how many it added.
func Load(ctx context.Context, s store.Store, today civil.Date) (int, error) {
	now := today.StartIn(civil.London).Add(9 * time.Hour)
	err := s.InTx(ctx, func(tx store.Tx) error {
		for _, p := range people {
			yp := domain.YoungPerson{
				ID:                              ID(p.key),
				GivenName:                       p.given,
				FamilyName:                      p.family,
				PreferredName:                   p.prefers,
				DateOfBirth:                     yearsAgo(today, p.years).AddDays(-p.days),
				CouncilID:                       CouncilID,
				CaseReference:                   "NCC-2" + p.key + "77",
				UnaccompaniedAsylumSeekingChild: p.uasc,
				EHCPlan:                         p.ehcp,
				Disability:                      p.disability,
				CreateTime:                      now,
				UpdateTime:                      now,
			}
			if err := yp.Validate(today); err != nil {
				return fmt.Errorf("demo person %s: %w", p.key, err)
			}
			if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
				return err
			}
		}
		return nil
	})
	return len(people), err
}

// yearsAgo is the same day n years before d (28 February for a 29 February).
func yearsAgo(d civil.Date, n int) civil.Date {
	y := civil.New(d.Year-n, d.Month, d.Day)
	if !y.Valid() {
		y.Day = civil.DaysIn(y.Year, y.Month)
	}
	return y
}
