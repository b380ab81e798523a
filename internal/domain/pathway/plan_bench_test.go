package pathway

import (
	"testing"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
)

// BenchmarkPlan plans the shipped catalogue for a young person in care from 12, and for one
// never in care (a create before their first episode).
func BenchmarkPlan(b *testing.B) {
	cat := catalogue.Default()
	for name, in := range map[string]Input{
		"in care":       inCareFrom(d(2011, 7, 25), civil.Period{Years: 12, Months: 5}, "U4"),
		"never in care": {YoungPerson: inCareFrom(d(2012, 3, 1), civil.Period{}, "U4").YoungPerson},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Plan(cat, in)
			}
		})
	}
}
