package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/postgres"
)

// explained is a node of EXPLAIN (ANALYZE, FORMAT JSON)'s plan.
type explained struct {
	Relation      string      `json:"Relation Name"`
	ActualRows    float64     `json:"Actual Rows"`
	ActualLoops   float64     `json:"Actual Loops"`
	RemovedFilter float64     `json:"Rows Removed by Filter"`
	RemovedCheck  float64     `json:"Rows Removed by Index Recheck"`
	Plans         []explained `json:"Plans"`
}

// readOf is how many rows of relation the plan's scans read: those they returned and those
// their filters, or the recheck of a lossy index's pages, removed, in every loop.
func (e explained) readOf(relation string) float64 {
	var n float64
	if e.Relation == relation {
		n = (e.ActualRows + e.RemovedFilter + e.RemovedCheck) * e.ActualLoops
	}
	for _, p := range e.Plans {
		n += p.readOf(relation)
	}
	return n
}

// planModes are the ways PostgreSQL may plan a statement prepared once: for its arguments
// each time, or once for all (as API calls' statements are, see plans.go).
var planModes = []string{"force_custom_plan", "force_generic_plan"}

// literal is an argument of explainAnalyze spelt as it is: NULL, or a literal already quoted.
type literal string

// explainAnalyze runs stmt, prepared, with args (spelt as SQL literals) on a connection of
// its own in plan mode, and returns the plan it ran.
func explainAnalyze(t *testing.T, pool *pgxpool.Pool, mode, stmt string, args ...any) explained {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	literals := make([]string, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case string:
			literals[i] = "'" + strings.ReplaceAll(a, "'", "''") + "'"
		case []string:
			literals[i] = "'{" + strings.Join(a, ",") + "}'"
			if a == nil { // as pgx sends it
				literals[i] = "NULL"
			}
		default:
			literals[i] = fmt.Sprint(a)
		}
	}
	var plan []struct{ Plan explained }
	for _, sql := range []string{"SET plan_cache_mode = " + mode, "PREPARE explained AS " + stmt} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	err = conn.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE explained("+strings.Join(literals, ", ")+")").Scan(&plan)
	if _, rerr := conn.Exec(ctx, "DEALLOCATE explained; RESET plan_cache_mode"); err == nil {
		err = rerr
	}
	if err != nil || len(plan) != 1 {
		t.Fatalf("%s: %v", mode, err)
	}
	return plan[0].Plan
}

// A view of a council's readiness reassesses first the summaries time or new rules have
// overtaken: it finds them without reading every young person and every summary, however
// the statement is planned.
func TestFindingOvertakenSummariesReadsOnlyThem(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	today := civil.New(2026, 6, 1)
	// 2,000 young people of two councils with fresh summaries, but for one of each council
	// overtaken yesterday and one of each of older rules, last in id order.
	for _, stmt := range []string{`INSERT INTO young_people (id, council_id, case_reference, given_name, family_name,
			date_of_birth, create_time, update_time)
		SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid, 'council-' || n % 2, 'R' || n, 'G', 'F',
			DATE '2010-03-01', now(), now()
		FROM generate_series(1, 2000) AS n`,
		`INSERT INTO readiness (young_person_id, council_id, eighteenth_birthday, rating, rating_rank, assessed_on,
			valid_until, version)
		SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid, 'council-' || n % 2, DATE '2028-03-01',
			'GREEN', 3, DATE '2026-05-01',
			CASE WHEN n IN (1990, 1991) THEN DATE '2026-05-31' ELSE DATE '2026-07-01' END,
			CASE WHEN n IN (1996, 1997) THEN 'v1' ELSE 'v2' END
		FROM generate_series(1, 2000) AS n`,
		`ANALYZE young_people, readiness`} {
		if _, err := s.Pool().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, council := range []string{"council-0", ""} {
		stmt, args := postgres.StaleReadinessOf(store.StaleReadinessQuery{CouncilID: council, Today: today,
			Version: "v2", Limit: 500, Overtaken: true})
		want := 2.0
		if council == "" {
			want = 4
		}
		for _, mode := range planModes {
			plan := explainAnalyze(t, s.Pool(), mode, stmt, args...)
			// Of every council, each stale summary read once; of one, the other's too.
			if read := plan.readOf("readiness"); plan.ActualRows != want || read > 4 || plan.readOf("young_people") > want {
				t.Errorf("%s, council %q: found %v overtaken, reading %v summaries and %v young people; want %v, "+
					"reading the overtaken alone", mode, council, plan.ActualRows, read, plan.readOf("young_people"), want)
			}
		}
	}
}

// The sealer and the sealing lag read the queue of unsealed records, and those records by
// key, never the trail they are queued in, however the statement is planned: here with the
// statistics still counting 3,000 records queued, as after a burst.
func TestSealingReadsOnlyTheQueuedRecords(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, stmt := range []string{`INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose, action,
			outcome, council, young_people, request_id, client_address)
		SELECT 'council-a', now(), 'people/p' || n % 7, 'council-a', '{personal-adviser}', 'direct-care', 'get',
			'allowed', 'council-a', '{}', 'burst-' || n, '127.0.0.1'
		FROM generate_series(1, 3000) AS n`,
		`ANALYZE audit_records, audit_unsealed`} {
		if _, err := s.Pool().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for seal(t, s).Sealed > 0 {
	}
	for _, id := range []string{"late-1", "late-2", "late-3"} {
		appendOne(t, s, id)
	}
	for _, c := range []struct {
		name       string
		stmt       string
		args       []any
		rows, read float64
	}{
		{"the sealer's batch", postgres.UnsealedBatch, []any{1000}, 3, 3},
		{"the backlog", postgres.Backlog, []any{""}, 1, 3},
		{"a council's backlog", postgres.Backlog, []any{"council-a"}, 1, 3},
	} {
		for _, mode := range planModes {
			plan := explainAnalyze(t, s.Pool(), mode, c.stmt, c.args...)
			if read := plan.readOf("audit_records"); plan.ActualRows != c.rows || read > c.read {
				t.Errorf("%s, %s: %v rows, reading %v audit records; want %v, reading at most %v",
					c.name, mode, plan.ActualRows, read, c.rows, c.read)
			}
		}
	}
}

// An auditor's search of the trail, planned as a search is (for its values), reads the
// records it finds and not the trail: here 40,000 records of one council, a minute apart,
// by eight people, among them 40 about one young person, 8 by someone seen nowhere else,
// and 10 in a window of the trail's first hours, found in the block ranges of the time's
// index that the window and the last, unsummarised range span (a range is 32 pages). A
// generic plan, as the search's was before, reads nearly all 40,000 for each.
func TestSearchingTheTrailReadsWhatItFinds(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	const youngPerson, records = "00000000-0000-4000-9000-000000000007", 40000
	if _, err := s.Pool().Exec(ctx, `INSERT INTO audit_records (chain, time, actor, organisation, roles, purpose,
			action, outcome, council, young_people, request_id, client_address)
		SELECT 'council-a', TIMESTAMPTZ '2026-01-01 00:00Z' + n * interval '1 minute',
			CASE WHEN n % 5000 = 1 THEN 'people/rare' ELSE 'people/p' || n % 7 END, 'council-a',
			'{personal-adviser}', 'direct-care', 'get', 'allowed', 'council-a',
			CASE WHEN n % 1000 = 7 THEN ARRAY['`+youngPerson+`']::uuid[] ELSE '{}' END, 'r-' || n, '127.0.0.1'
		FROM generate_series(1, $1::int) AS n`, records); err != nil {
		t.Fatal(err)
	}
	// As autovacuum would: statistics, the visibility map and the summaries of full ranges.
	if _, err := s.Pool().Exec(ctx, `VACUUM ANALYZE audit_records`); err != nil {
		t.Fatal(err)
	}
	var perPage float64
	if err := s.Pool().QueryRow(ctx, `SELECT reltuples / relpages FROM pg_class WHERE relname = 'audit_records'`).
		Scan(&perPage); err != nil {
		t.Fatal(err)
	}
	perRange := 32 * perPage
	const newest = int64(1<<63 - 1)
	none := literal("NULL")
	for _, c := range []struct {
		name       string
		args       []any
		rows, read float64
	}{
		{"a young person's", []any{newest, "council-a", []string{youngPerson}, "", none, none, 50}, 40, 40},
		{"an actor's", []any{newest, "council-a", none, "people/rare", none, none, 50}, 8, 8},
		{"a window's", []any{newest, "council-a", none, "", literal("'2026-01-01 01:00Z'"),
			literal("'2026-01-01 01:10Z'"), 50}, 10, 3 * perRange},
		{"the newest", []any{newest, "council-a", none, "", none, none, 50}, 50, 50},
	} {
		plan := explainAnalyze(t, s.Pool(), "force_custom_plan", postgres.AuditSearch, c.args...)
		if read := plan.readOf("audit_records"); plan.ActualRows != c.rows || read > c.read {
			t.Errorf("%s records: %v rows, reading %v audit records; want %v, reading at most %v",
				c.name, plan.ActualRows, read, c.rows, c.read)
		}
		if c.rows == 50 {
			continue // the newest page reads as little either way
		}
		if generic := explainAnalyze(t, s.Pool(), "force_generic_plan", postgres.AuditSearch, c.args...); generic.readOf("audit_records") < 0.9*records {
			t.Errorf("%s records under a generic plan: read %v; the contrast this test draws is with nearly all %d",
				c.name, generic.readOf("audit_records"), records)
		}
	}
}

// A partner's question about one young person shared with it (every partner read of a young
// person asks it) reads that young person and their shares, however the statement is
// planned; and a page of the partner's list reads young people in order from the cursor,
// not every share the partner has first: here 2,000 young people, 500 of them shared.
func TestAPartnersQuestionReadsTheYoungPersonItIsAbout(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, stmt := range []string{
		`INSERT INTO organisations (id, display_name, type, create_time, update_time) VALUES
			('council-a', 'A', 'COUNCIL', now(), now()), ('partner-h', 'H', 'HOUSING_PROVIDER', now(), now())`,
		`INSERT INTO sharing_agreements (id, council_id, partner_id, purpose, start_date, create_time, update_time)
			VALUES (gen_random_uuid(), 'council-a', 'partner-h', 'HOUSING', DATE '2026-01-01', now(), now())`,
		`INSERT INTO young_people (id, council_id, case_reference, given_name, family_name, date_of_birth,
				create_time, update_time)
			SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid, 'council-a', 'R' || n, 'G', 'F',
				DATE '2008-03-01', now(), now()
			FROM generate_series(1, 2000) AS n`,
		`INSERT INTO shares (id, young_person_id, partner_id, purpose, basis, start_date, expiry_date, recorded_by,
				create_time)
			SELECT gen_random_uuid(), ('00000000-0000-4000-9000-' || lpad(to_hex(n), 12, '0'))::uuid, 'partner-h',
				'HOUSING', 'CONSENT', DATE '2026-01-01', DATE '2027-01-01', 'someone', now()
			FROM generate_series(1, 2000, 4) AS n`,
		`ANALYZE young_people, shares, sharing_agreements`} {
		if _, err := s.Pool().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	day, born := civil.New(2026, 6, 1), civil.New(2001, 5, 31)
	for _, c := range []struct {
		name             string
		q                store.SharedQuery
		rows, shares, yp float64
	}{
		{"one young person", store.SharedQuery{YoungPersonID: "00000000-0000-4000-9000-000000000401", Limit: 1}, 1, 1, 1},
		{"the first page", store.SharedQuery{Limit: 51}, 51, 51, 205},
		{"a page", store.SharedQuery{AfterID: "00000000-0000-4000-9000-000000000400", Limit: 51}, 51, 51, 205},
	} {
		c.q.PartnerID, c.q.Purpose, c.q.Day, c.q.BornAfter = "partner-h", domain.PurposeHousing, day, born
		stmt, args := postgres.SharedYoungPeopleOf(c.q)
		for _, mode := range planModes {
			plan := explainAnalyze(t, s.Pool(), mode, stmt, args...)
			if shares, yp := plan.readOf("shares"), plan.readOf("young_people"); plan.ActualRows != c.rows ||
				shares > c.shares || yp > c.yp {
				t.Errorf("%s, %s: %v rows, reading %v shares and %v young people; want %v, reading at most %v and %v",
					c.name, mode, plan.ActualRows, shares, yp, c.rows, c.shares, c.yp)
			}
		}
	}
}

// Redelivering one failed delivery picks that delivery, and a page of a replay reads its
// endpoint's deliveries from the cursor, however the statement is planned: here an
// endpoint with 5,000 failed deliveries.
func TestRedeliveringOneDeliveryReadsThatOne(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, stmt := range []string{
		`INSERT INTO organisations (id, display_name, type, create_time, update_time) VALUES
			('council-a', 'A', 'COUNCIL', now(), now())`,
		`INSERT INTO young_people (id, council_id, case_reference, given_name, family_name, date_of_birth,
				create_time, update_time)
			VALUES ('00000000-0000-4000-9000-000000000001', 'council-a', 'R1', 'G', 'F', DATE '2008-03-01', now(), now())`,
		`INSERT INTO webhook_endpoints (id, organisation_id, url, create_time, update_time)
			VALUES ('endpoint-a', 'council-a', 'https://example.invalid/hook', now(), now())`,
		`INSERT INTO reminders (id, young_person_id, council_id, rule, title, due_on, recipient, state, create_time,
				update_time)
			SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
				'00000000-0000-4000-9000-000000000001', 'council-a', 'rule', 'T', DATE '2026-06-01', 'people/p' || n,
				'OPEN', now(), now()
			FROM generate_series(1, 5000) AS n`,
		`INSERT INTO webhook_deliveries (id, reminder_id, endpoint_id, organisation_id, webhook_id, state, create_time,
				update_time)
			SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(n), 12, '0'))::uuid,
				('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'endpoint-a', 'council-a', 'w-' || n,
				'FAILED', now(), now()
			FROM generate_series(1, 5000) AS n`,
		`ANALYZE webhook_deliveries`} {
		if _, err := s.Pool().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	failed := []domain.DeliveryState{domain.DeliveryFailed}
	for _, c := range []struct {
		name       string
		q          store.RequeueQuery
		rows, read float64
	}{
		{"one delivery", store.RequeueQuery{IDs: []string{"00000000-0000-4000-a000-000000000fa0"}, Limit: 1}, 1, 1},
		{"a page of a replay", store.RequeueQuery{AfterID: "00000000-0000-4000-a000-000000000fa0", Limit: 100}, 100, 100},
	} {
		c.q.EndpointID, c.q.States = "endpoint-a", failed
		stmt, args := postgres.RequeuePickOf(c.q)
		for _, mode := range planModes {
			plan := explainAnalyze(t, s.Pool(), mode, stmt, args...)
			if read := plan.readOf("webhook_deliveries"); plan.ActualRows != c.rows || read > c.read {
				t.Errorf("%s, %s: %v rows, reading %v deliveries; want %v, reading at most %v",
					c.name, mode, plan.ActualRows, read, c.rows, c.read)
			}
		}
	}
}
