package postgres

import (
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/carepath/carepath/internal/domain/civil"
)

// dateArg passes a civil date as a parameter, or NULL for the zero Date. It is typed, not
// text: COPY takes only binary values, and pgx turns text into a date there only after
// building an encoding error for every value.
func dateArg(d civil.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), Valid: true}
}

// fromDate reads a nullable date column scanned into a *time.Time.
func fromDate(t *time.Time) civil.Date {
	if t == nil {
		return civil.Date{}
	}
	return civil.New(t.Date())
}

// timestampArg passes a time as a parameter, or NULL for the zero time.
func timestampArg(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// fromTimestamp reads a nullable timestamp column: NULL is the zero time.
func fromTimestamp(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// prefixed qualifies each of a list of columns with a table's alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// strs converts a slice of string-based values (enums) to a []string parameter.
func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
