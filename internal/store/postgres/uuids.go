package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUIDs lets ids held as strings go to uuid and uuid[] parameters, and to COPY, as
// binary uuids. pgx's own codec takes no string in binary: for a list of ids it formats an
// encoding error of the whole list before falling back to text, and COPY takes binary alone.
// Text that is not a uuid still falls back to text, for the server to refuse as before.
func registerUUIDs(m *pgtype.Map) {
	t := &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}
	m.RegisterType(t)
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
}

// afterConnect prepares each new connection of the pool.
func afterConnect(_ context.Context, c *pgx.Conn) error {
	registerUUIDs(c.TypeMap())
	return nil
}

type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(string); ok && format == pgtype.BinaryFormatCode {
		return encodeUUIDString{}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

type encodeUUIDString struct{}

func (encodeUUIDString) Encode(value any, buf []byte) ([]byte, error) {
	u, err := uuid.Parse(value.(string))
	if err != nil {
		return nil, err
	}
	return append(buf, u[:]...), nil
}
