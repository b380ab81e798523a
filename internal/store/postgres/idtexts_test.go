package postgres

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// Ids written into shared buffers read as the UUIDs' own text, each its own however many
// buffers they fill.
func TestIDTextsAreEachUUIDsText(t *testing.T) {
	var (
		ids  idTexts
		want []string
		got  []string
	)
	for range 3*idsPerBuffer + 5 {
		u := uuid.New()
		want = append(want, u.String())
		got = append(got, ids.of(pgtype.UUID{Bytes: u, Valid: true}))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("id %d: %q, want %q", i, got[i], want[i])
		}
	}
}
