package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
)

// A real refusal by the server: the database named does not exist.
func TestReadyNamesTheServersReason(t *testing.T) {
	u, err := url.Parse(pgtest.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/carepath_no_such_database"
	s, err := postgres.Open(context.Background(), u.String(), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Ready(context.Background())
	if errs.KindOf(err) != errs.Unavailable {
		t.Fatalf("Ready = %v, want UNAVAILABLE", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "SQLSTATE 3D000") ||
		!strings.Contains(msg, `database "carepath_no_such_database" does not exist`) || strings.Contains(msg, `table ""`) {
		t.Errorf("Ready = %q, want the SQLSTATE and the server's message", msg)
	}
}
