package postgres

import (
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
)

// dateArg passes a civil date as a parameter: text the server reads as a date, or NULL
// for the zero Date. Statements cast it with ::date.
func dateArg(d civil.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// fromDate reads a nullable date column scanned into a *time.Time.
func fromDate(t *time.Time) civil.Date {
	if t == nil {
		return civil.Date{}
	}
	return civil.New(t.Date())
}
