package postgres

import (
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

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
