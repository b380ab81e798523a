package postgres

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/carepath/carepath/internal/errs"
)

// Server errors are logged with their SQLSTATE and PostgreSQL's message, except where the
// message quotes a refused value, and never with the detail, which quotes rows.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err       *pgconn.PgError
		kind      errs.Kind
		want      []string
		forbidden []string
	}{
		{&pgconn.PgError{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "carepath"`},
			errs.Unavailable, []string{"SQLSTATE 28P01", `password authentication failed for user "carepath"`}, []string{`table ""`}},
		{&pgconn.PgError{Severity: "FATAL", Code: "28000", Message: `no pg_hba.conf entry for host "10.0.0.5"`},
			errs.Unavailable, []string{"SQLSTATE 28000", "no pg_hba.conf entry"}, []string{`column ""`}},
		{&pgconn.PgError{Severity: "FATAL", Code: "3D000", Message: `database "carepath" does not exist`},
			errs.Unavailable, []string{"SQLSTATE 3D000", `database "carepath" does not exist`}, nil},
		{&pgconn.PgError{Severity: "ERROR", Code: "23505", Message: `duplicate key value violates unique constraint "young_people_case_reference_key"`,
			Detail: `Key (case_reference)=(NCC-Zebedee) already exists.`, TableName: "young_people", ConstraintName: "young_people_case_reference_key"},
			errs.Internal, []string{"SQLSTATE 23505", "duplicate key value", "table young_people", "constraint young_people_case_reference_key"},
			[]string{"Zebedee", "column"}},
		{&pgconn.PgError{Severity: "ERROR", Code: "22P02", Message: `invalid input syntax for type date: "Zebedee"`},
			errs.Internal, []string{"SQLSTATE 22P02", "data exception"}, []string{"Zebedee"}},
		{&pgconn.PgError{Severity: "ERROR", Code: "23502", Message: `null value in column "family_name" of relation "young_people" violates not-null constraint`,
			Detail: `Failing row contains (1, Zebedee, 2010-01-01).`, TableName: "young_people", ColumnName: "family_name"},
			errs.Internal, []string{"SQLSTATE 23502", "null value in column", "column family_name"}, []string{"Zebedee", "2010-01-01"}},
		{&pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"},
			errs.Unavailable, []string{"SQLSTATE 57P01", "terminating connection"}, nil},
	} {
		err := classify(tc.err)
		if errs.KindOf(err) != tc.kind {
			t.Errorf("%s: kind %v, want %v", tc.err.Code, errs.KindOf(err), tc.kind)
		}
		logged := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(logged, w) {
				t.Errorf("%s: logged %q, want it to contain %q", tc.err.Code, logged, w)
			}
		}
		for _, f := range tc.forbidden {
			if strings.Contains(logged, f) {
				t.Errorf("%s: logged %q, which contains %q", tc.err.Code, logged, f)
			}
		}
	}
}
