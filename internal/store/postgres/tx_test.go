package postgres_test

import (
	"context"
	"errors"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
)

// statements records the text of every statement a store sends, alone or in a batch, and
// counts the round trips that sent them.
type statements struct {
	mu    sync.Mutex
	texts []string
	trips int
}

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, d.SQL)
	s.trips++
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trips++
	return ctx
}

func (s *statements) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, d.SQL)
}

func (s *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// sent is the statements sent and the round trips that sent them since the last count or
// sent, forgetting them.
func (s *statements) sent() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	texts, trips := s.texts, s.trips
	s.texts, s.trips = nil, 0
	return texts, trips
}

// count is how many statements sent since the last count contain fragment.
func (s *statements) count(fragment string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.texts {
		if strings.Contains(t, fragment) {
			n++
		}
	}
	s.texts, s.trips = nil, 0
	return n
}

// traced is a store on a new database whose statements are recorded.
func traced(t *testing.T) (*postgres.Store, *statements) {
	t.Helper()
	sent := &statements{}
	s, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{Tracer: sent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, sent
}

// councilWithAdviser stores council-a and its personal adviser pa-1, of team north, and
// returns when.
func councilWithAdviser(t *testing.T, s *postgres.Store) time.Time {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateOrganisation(ctx, domain.Organisation{ID: "council-a", DisplayName: "A",
			Type: domain.Council, CreateTime: at, UpdateTime: at}); err != nil {
			return err
		}
		_, err := tx.CreatePerson(ctx, domain.Person{ID: "pa-1", DisplayName: "Sam", OrganisationID: "council-a",
			Team: "north", Roles: []domain.Role{domain.PersonalAdviser}, CreateTime: at, UpdateTime: at})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestATransactionReadsAPersonOnce(t *testing.T) {
	ctx := context.Background()
	s, sent := traced(t)
	councilWithAdviser(t, s)
	const read = "FROM people WHERE id = $1"
	sent.count(read)
	for _, run := range []func(context.Context, func(store.Tx) error) error{s.InTx, s.InRead} {
		err := run(ctx, func(tx store.Tx) error {
			for range 3 {
				if _, err := tx.GetPerson(ctx, "pa-1"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := sent.count(read); n != 1 {
			t.Errorf("three reads of a person in one transaction sent %d statements, want 1", n)
		}
	}
	// Each transaction reads afresh: a change committed in between is seen.
	err := s.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.GetPerson(ctx, "pa-1")
		if err != nil {
			return err
		}
		p.Disabled = true
		_, err = tx.UpdatePerson(ctx, p, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.GetPerson(ctx, "pa-1")
		if err == nil && !p.Disabled {
			t.Error("the next transaction read the person as they were before the change")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOneCallsReusePlans(t *testing.T) {
	ctx := context.Background()
	// One connection, so that calls and background work share it: each must find the mode
	// it needs whatever the connection last ran.
	url := pgtest.NewDatabase(t)
	s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	call := store.ForOneCall(ctx)
	search := store.ForSearch(call) // a call's search: planned for its values (plans.go)
	for i, step := range []struct {
		ctx  context.Context
		read bool
		want string
	}{
		{ctx, false, "auto"},
		{call, false, "force_generic_plan"},
		{ctx, false, "auto"},
		{call, true, "force_generic_plan"},
		{search, true, "force_custom_plan"},
		{call, true, "force_generic_plan"},
		{call, false, "force_generic_plan"},
		{ctx, true, "auto"},
		{search, true, "force_custom_plan"},
		{ctx, true, "auto"},
		{call, true, "force_generic_plan"},
		{ctx, false, "auto"},
	} {
		if got, err := s.PlanCacheMode(step.ctx, step.read); err != nil || got != step.want {
			t.Errorf("step %d: plan_cache_mode %q, %v; want %q", i, got, err, step.want)
		}
	}

	// An operator's own choice, in the URL, holds for everything.
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("plan_cache_mode", "force_custom_plan")
	u.RawQuery = q.Encode()
	custom, err := postgres.Open(ctx, u.String(), postgres.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(custom.Close)
	for _, read := range []bool{false, true} {
		if got, err := custom.PlanCacheMode(call, read); err != nil || got != "force_custom_plan" {
			t.Errorf("with the URL's setting, read %v: plan_cache_mode %q, %v", read, got, err)
		}
	}
}

// Creating a young person reads their personal adviser in the insert's round trip: their
// reminders are routed by the adviser next, with no round trip of its own.
func TestCreatingAYoungPersonReadsTheirAdviserWithTheInsert(t *testing.T) {
	ctx := context.Background()
	s, sent := traced(t)
	at := councilWithAdviser(t, s)
	sent.sent()
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateYoungPerson(ctx, domain.YoungPerson{ID: "00000000-0000-4000-8000-000000000001",
			CouncilID: "council-a", CaseReference: "R1", GivenName: "G", FamilyName: "F",
			DateOfBirth: civil.New(2010, 3, 1), PersonalAdviserID: "pa-1", CreateTime: at, UpdateTime: at}); err != nil {
			return err
		}
		adviser, err := tx.GetPerson(ctx, "pa-1")
		if err == nil && (adviser.OrganisationID != "council-a" || adviser.Team != "north") {
			t.Errorf("the adviser read with the insert is %+v", adviser)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if texts, trips := sent.sent(); trips != 2 {
		t.Errorf("a create and a read of its adviser took %d round trips %q, want 2 (the insert with the adviser, commit)",
			trips, texts)
	}

	// A taken case reference fails the insert, and the read behind it with it, as the
	// insert's own error; an adviser who is not there is not remembered as anyone.
	again := domain.YoungPerson{ID: "00000000-0000-4000-8000-000000000002", CouncilID: "council-a",
		CaseReference: "R1", GivenName: "G", FamilyName: "F", DateOfBirth: civil.New(2010, 3, 1),
		PersonalAdviserID: "pa-1", CreateTime: at, UpdateTime: at}
	err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateYoungPerson(ctx, again); return err })
	if !errors.Is(err, store.ErrCaseReferenceInUse) {
		t.Errorf("a taken case reference with an adviser: %v, want %v", err, store.ErrCaseReferenceInUse)
	}
	again.CaseReference, again.PersonalAdviserID = "R2", "gone"
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateYoungPerson(ctx, again); err != nil {
			return err
		}
		if p, err := tx.GetPerson(ctx, "gone"); !errors.Is(err, store.ErrPersonNotFound) {
			t.Errorf("the adviser who is not there read as %+v, %v; want %v", p, err, store.ErrPersonNotFound)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// What routing reminders reads, shares, accounts, open reminders and people, goes in one
// round trip, and the people read are remembered for the rest of the transaction.
func TestReminderRoutingIsOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, sent := traced(t)
	councilWithAdviser(t, s)
	sent.sent()
	ids := []string{"00000000-0000-4000-8000-000000000001"}
	err := s.InTx(ctx, func(tx store.Tx) error {
		got, err := tx.ReminderRouting(ctx, ids, []string{"pa-1", "gone"}, 10)
		if err != nil {
			return err
		}
		if len(got.People) != 1 || got.People[0].ID != "pa-1" {
			t.Errorf("ReminderRouting read people %+v, want pa-1 alone", got.People)
		}
		if _, err := tx.GetPerson(ctx, "pa-1"); err != nil {
			return err
		}
		// Read already: not again, and once however often asked for.
		again, err := tx.ReminderRouting(ctx, ids, []string{"pa-1", "pa-1"}, 10)
		if err == nil && (len(again.People) != 1 || again.People[0].Team != "north") {
			t.Errorf("ReminderRouting again read people %+v, want pa-1 once", again.People)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	texts, trips := sent.sent()
	people := 0
	for _, text := range texts {
		if strings.Contains(text, "FROM people WHERE id = ANY") {
			people++
		}
	}
	if trips != 3 || len(texts) != 9 || people != 1 {
		t.Errorf("two ReminderRoutings and a read of the person they read took %d round trips for %q, want 3 for 9 "+
			"(begin and four statements; three, the person known; commit), the person read once", trips, texts)
	}
}

// A transaction's BEGIN goes with its first statement, and writes whose outcome is not read
// go with the next statement or the commit: a transaction that writes an organisation and
// its audit entry costs two round trips, one that does nothing none. Such a write that
// fails still fails the transaction, which then writes nothing.
func TestATransactionSendsItsWritesWithItsStatements(t *testing.T) {
	ctx := context.Background()
	s, sent := traced(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	org := func(id string) domain.Organisation {
		return domain.Organisation{ID: id, DisplayName: id, Type: domain.Council, CreateTime: at, UpdateTime: at}
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.CreateOrganisation(ctx, org("council-a"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sent.sent()
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.GetOrganisation(ctx, "council-a"); err != nil {
			return err
		}
		return tx.AppendAudits(ctx, []audit.Record{auditRecord("r1")})
	})
	if err != nil {
		t.Fatal(err)
	}
	if texts, trips := sent.sent(); trips != 2 || len(texts) != 4 {
		t.Errorf("a read and its audit entry took %d round trips for %d statements %q, want 2 for 4 (begin, read, audit, commit)",
			trips, len(texts), texts)
	}

	// What the transaction wrote before a statement, that statement sees.
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.AppendAudits(ctx, []audit.Record{auditRecord("r2")}); err != nil {
			return err
		}
		entries, err := tx.ListAuditRecords(ctx, store.AuditQuery{Limit: 10})
		if err != nil {
			return err
		}
		if len(entries) != 2 || entries[0].RequestID != "r2" {
			t.Errorf("the transaction read %+v, want its own record first of two", entries)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, trips := sent.sent(); trips != 2 {
		t.Errorf("an audit entry, a read and the commit took %d round trips, want 2", trips)
	}

	if err := s.InTx(ctx, func(store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if texts, trips := sent.sent(); trips != 0 {
		t.Errorf("a transaction that did nothing sent %q", texts)
	}

	// An audit entry naming a young person by no id at all cannot be written: the commit
	// fails, and the organisation written before it is not there.
	bad := auditRecord("r3")
	bad.YoungPeople = []string{"not-an-id"}
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateOrganisation(ctx, org("council-b")); err != nil {
			return err
		}
		return tx.AppendAudits(ctx, []audit.Record{bad})
	})
	if err == nil {
		t.Fatal("a transaction whose audit entry could not be written committed")
	}
	err = s.InRead(ctx, func(tx store.Tx) error {
		if _, err := tx.GetOrganisation(ctx, "council-b"); !errors.Is(err, store.ErrOrganisationNotFound) {
			t.Errorf("after the failed commit, the organisation: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Followed by a read, the entry that cannot be written fails the read, not the commit.
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.AppendAudits(ctx, []audit.Record{bad}); err != nil {
			return err
		}
		if _, err := tx.ListAuditRecords(ctx, store.AuditQuery{Limit: 10}); err == nil {
			t.Error("a read after an audit entry that could not be written succeeded")
		}
		return nil
	})
	if err == nil {
		t.Fatal("a transaction whose read failed on its audit entry committed")
	}
}
