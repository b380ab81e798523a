package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/store/postgres"
)

// HoldSealing takes the lock every sealer of the database at url takes to seal
// (postgres.SealLock), so that each finds sealing busy, as when another replica seals, until
// the returned function lets it go (or the test ends).
func HoldSealing(t testing.TB, url string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) }) // a lock still held goes with it
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, postgres.SealLock); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, postgres.SealLock); err != nil {
			t.Fatal(err)
		}
	}
}
