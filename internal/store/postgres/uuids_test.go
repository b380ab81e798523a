package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
)

// Ids held as strings go to uuid lists in binary, with no failed attempt first; text that is
// not a uuid still reaches the server, which refuses it as before.
func TestIDsGoAsBinaryUUIDs(t *testing.T) {
	id := "0b5e0000-0000-4000-8000-000000000229"
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.NewDatabase(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := conn.Conn().TypeMap()
	for oid, v := range map[uint32]any{pgtype.UUIDOID: id, pgtype.UUIDArrayOID: []string{id, id}} {
		if _, err := m.Encode(oid, pgtype.BinaryFormatCode, v, nil); err != nil {
			t.Errorf("encoding %v as OID %d in binary: %v", v, oid, err)
		}
	}
	conn.Release()
	var got []string
	if err := s.Pool().QueryRow(ctx, `SELECT array_agg(x::text) FROM unnest($1::uuid[]) x`, []string{id, id}).Scan(&got); err != nil || len(got) != 2 || got[0] != id {
		t.Fatalf("a list of two ids came back as %q, %v", got, err)
	}
	var pgErr *pgconn.PgError
	err = s.Pool().QueryRow(ctx, `SELECT cardinality($1::uuid[])`, []string{id, "not-a-uuid"}).Scan(new(int))
	if !errors.As(err, &pgErr) || pgErr.Code != "22P02" {
		t.Fatalf("a list with text that is no uuid gave %v, want the server's 22P02", err)
	}
}
