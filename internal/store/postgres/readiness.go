package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

const readinessColumns = `r.young_person_id, r.council_id, r.eighteenth_birthday, r.rating, r.failing_checks,
	r.failing_ambitions, r.fix_by, r.assessed_on, r.valid_until, r.version, coalesce(r.review_rating, '')`

// joinedYoungPersonColumns are youngPersonColumns of the young person joined as y, in the
// order scanYoungPerson reads them.
const joinedYoungPersonColumns = `y.id, y.council_id, y.case_reference, y.given_name, y.family_name,
	y.preferred_name, y.date_of_birth, y.unaccompanied_asylum_seeking_child, y.ehc_plan, y.disability,
	y.open_to_camhs, y.in_education_or_training, y.detained_or_in_hospital_at_16, y.relevant_student,
	coalesce(y.personal_adviser_id, ''), y.revision,
	y.create_time, y.update_time, y.ssda903`

// fixByOrderExpr is what the fix-by order sorts by: a summary with no fix-by date as (and
// with the cursor value) 9999-12-31. It must match the readiness_council_fix_by_idx index.
const fixByOrderExpr = `coalesce(r.fix_by, '9999-12-31'::date)`

// zeroUUID is the least id, for a cursor without one.
const zeroUUID = "00000000-0000-0000-0000-000000000000"

// readinessDest receives a readiness row, followed by its young person's columns when
// joined.
type readinessDest struct {
	s                               domain.ReadinessSummary
	rating, review                  string
	born, assessed, valid           time.Time
	fixBy                           *time.Time
	failingChecks, failingAmbitions []string
}

func (d *readinessDest) targets() []any {
	return []any{&d.s.YoungPersonID, &d.s.CouncilID, &d.born, &d.rating, &d.failingChecks, &d.failingAmbitions,
		&d.fixBy, &d.assessed, &d.valid, &d.s.Version, &d.review}
}

func (d *readinessDest) summary() domain.ReadinessSummary {
	s := d.s
	s.Rating, s.RatingAtReview, s.EighteenthBirthday = domain.Rating(d.rating), domain.Rating(d.review), fromDate(&d.born)
	s.FixBy, s.AssessedOn, s.ValidUntil = fromDate(d.fixBy), fromDate(&d.assessed), fromDate(&d.valid)
	s.FailingChecks, s.FailingAmbitions = nilIfEmpty(d.failingChecks), nilIfEmpty(d.failingAmbitions)
	return s
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// jsonList encodes a list as a JSON array (never null), for a ragged array parameter.
func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s) // strings always marshal
	return string(b)
}

// SaveReadiness upserts the summaries in one statement: the columns travel as arrays, the
// failing checks and ambitions of each summary as a JSON array (PostgreSQL arrays cannot be
// ragged). Young people who do not exist are left out by the join.
func (t *tx) SaveReadiness(ctx context.Context, rows []domain.ReadinessSummary) error {
	if len(rows) == 0 {
		return nil
	}
	// One row per young person (the last given), in id order so that concurrent savers
	// take the row locks in the same order.
	last := make(map[string]domain.ReadinessSummary, len(rows))
	for _, r := range rows {
		last[r.YoungPersonID] = r
	}
	ids := make([]string, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var (
		councils, ratings, versions, checks, ambitions []string
		reviews                                        []string
		born, fixBy, assessed, valid                   []pgtype.Date
		ranks                                          []int16
	)
	for _, id := range ids {
		r := last[id]
		councils, ratings, versions = append(councils, r.CouncilID), append(ratings, string(r.Rating)), append(versions, r.Version)
		ranks, reviews = append(ranks, int16(r.Rating.Rank())), append(reviews, string(r.RatingAtReview))
		checks, ambitions = append(checks, jsonList(r.FailingChecks)), append(ambitions, jsonList(r.FailingAmbitions))
		born, fixBy = append(born, dateArg(r.EighteenthBirthday)), append(fixBy, dateArg(r.FixBy)) // no fix-by date: NULL
		assessed, valid = append(assessed, dateArg(r.AssessedOn)), append(valid, dateArg(r.ValidUntil))
	}
	return t.later(ctx, nil, `
		INSERT INTO readiness AS r (young_person_id, council_id, eighteenth_birthday, rating, rating_rank,
			failing_checks, failing_ambitions, fix_by, assessed_on, valid_until, version, review_rating)
		SELECT p.young_person_id, p.council_id, p.eighteenth_birthday, p.rating, p.rating_rank,
			ARRAY(SELECT e FROM jsonb_array_elements_text(p.checks::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n),
			ARRAY(SELECT e FROM jsonb_array_elements_text(p.ambitions::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n),
			p.fix_by, p.assessed_on, p.valid_until, p.version, nullif(p.review, '')
		FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[], $5::smallint[], $6::text[], $7::text[],
			$8::date[], $9::date[], $10::date[], $11::text[], $12::text[]) AS p(young_person_id, council_id,
			eighteenth_birthday, rating, rating_rank, checks, ambitions, fix_by, assessed_on, valid_until, version, review)
		JOIN young_people y ON y.id = p.young_person_id -- skips the deleted
		ON CONFLICT (young_person_id) DO UPDATE SET council_id = excluded.council_id,
			eighteenth_birthday = excluded.eighteenth_birthday, rating = excluded.rating,
			rating_rank = excluded.rating_rank, failing_checks = excluded.failing_checks,
			failing_ambitions = excluded.failing_ambitions, fix_by = excluded.fix_by,
			assessed_on = excluded.assessed_on, valid_until = excluded.valid_until, version = excluded.version,
			review_rating = excluded.review_rating`,
		ids, councils, born, ratings, ranks, checks, ambitions, fixBy, assessed, valid, versions, reviews)
}

// StaleReadiness finds young people with no fresh summary (of q.Version, valid after
// q.Today) and locks them, skipping those another transaction holds (as StalePathways).
//
// Unlike a pathway's version, a summary is not in the row locked: a young person whose
// summary another transaction saved between this statement's snapshot and its lock would
// be returned although fresh. So the young people locked are checked again in a second
// statement, whose snapshot sees what that transaction committed before releasing them.
func (t *tx) StaleReadiness(ctx context.Context, q store.StaleReadinessQuery) ([]string, error) {
	for {
		stmt, args := staleReadinessOf(q)
		rows, err := t.q.Query(ctx, stmt, args...)
		if err != nil {
			return nil, err
		}
		locked, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(locked) == 0 {
			return locked, err
		}
		args = sqlArgs{locked}
		rows, err = t.q.Query(ctx, `SELECT y.id FROM unnest($1::uuid[]) AS y(id)
			WHERE `+noFreshReadiness(q, &args)+` ORDER BY y.id`, args...)
		if err != nil {
			return nil, err
		}
		stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
		// When every one locked was refreshed meanwhile, more may be stale beyond them;
		// they are fresh to the next statement's snapshot, so looking again moves on.
		if err != nil || len(stale) > 0 || len(locked) < q.Limit {
			return stale, err
		}
	}
}

// staleReadinessOf is StaleReadiness's first statement, which finds and locks.
//
// Finding missing summaries reads every young person: an anti-join of young_people and
// readiness, which PostgreSQL runs as a merge of both primary keys. The overtaken alone
// (q.Overtaken) are three ranges of readiness_fresh_idx (older rules, newer rules, these
// rules until today), each ordered as the index and limited, so that a plan made once for
// every call (an API call's statements have generic plans, which cannot tell that few
// summaries are stale) walks the index and stops, however many are fresh; the young people
// are then looked up by key. Of a council's, a range may hold other councils' too: it
// reads on past them.
func staleReadinessOf(q store.StaleReadinessQuery) (string, sqlArgs) {
	var args sqlArgs
	council := ""
	if q.CouncilID != "" {
		council = args.add(q.CouncilID)
	}
	var cond string
	if q.Overtaken {
		version, today, limit := args.add(q.Version), args.add(q.Today.String())+"::date", args.add(q.Limit)
		mine := ""
		if council != "" {
			mine = " AND r.council_id = " + council
		}
		stale := func(where, order string) string {
			return `(SELECT r.young_person_id FROM readiness r WHERE ` + where + mine + ` ORDER BY ` + order + ` LIMIT ` + limit + `)`
		}
		cond = `y.id = ANY(ARRAY(` + stale(`r.version < `+version, `r.version`) + `
			UNION ALL ` + stale(`r.version > `+version, `r.version DESC`) + `
			UNION ALL ` + stale(`r.version = `+version+` AND r.valid_until <= `+today, `r.version, r.valid_until`) + `))`
	} else {
		cond = noFreshReadiness(q, &args)
	}
	if council != "" {
		cond += " AND y.council_id = " + council
	}
	return `SELECT y.id FROM young_people y WHERE ` + cond + `
		ORDER BY y.id LIMIT ` + args.add(q.Limit) + ` FOR UPDATE OF y SKIP LOCKED`, args
}

// noFreshReadiness is the condition on a young person y that makes their summary stale:
// missing, valid until q.Today or before, or of another version than q.Version.
func noFreshReadiness(q store.StaleReadinessQuery, args *sqlArgs) string {
	return "NOT EXISTS (SELECT 1 FROM readiness r WHERE r.young_person_id = y.id AND r.version = " +
		args.add(q.Version) + "::text AND r.valid_until > " + args.add(q.Today.String()) + "::date)"
}

// errNoScope refuses a readiness view without a scope: a programming error.
var errNoScope = errors.New("postgres: a readiness query needs a scope")

// readinessWhere compiles the filters of a view of summaries r joined to young people y.
func readinessWhere(q store.ReadinessQuery, args *sqlArgs) (string, error) {
	if q.Scope == nil {
		return "", errNoScope
	}
	// The summary's council as well as the young person's, so that the council's indexes
	// on readiness serve the view.
	cond := "r.council_id = " + args.add(q.Scope.CouncilID) + scoped(q.Scope, "y.council_id", "y.personal_adviser_id", "y.id", args)
	if !q.EighteenthFrom.IsZero() {
		cond += " AND r.eighteenth_birthday >= " + args.add(q.EighteenthFrom.String()) + "::date"
	}
	if !q.EighteenthTo.IsZero() {
		cond += " AND r.eighteenth_birthday <= " + args.add(q.EighteenthTo.String()) + "::date"
	}
	if len(q.Ratings) > 0 {
		ratings, ranks := make([]string, len(q.Ratings)), make([]int16, len(q.Ratings))
		for i, r := range q.Ratings {
			ratings[i], ranks[i] = string(r), int16(r.Rank())
		}
		// The rank too, so that the rating index can serve it.
		cond += " AND r.rating_rank = ANY(" + args.add(ranks) + "::smallint[]) AND r.rating = ANY(" + args.add(ratings) + "::text[])"
	}
	if q.Check != "" {
		cond += " AND r.failing_checks @> ARRAY[" + args.add(q.Check) + "::text]"
	}
	if len(q.AdviserIDs) > 0 {
		cond += " AND y.personal_adviser_id = ANY(" + args.add(q.AdviserIDs) + "::text[])"
	}
	return cond, nil
}

// readinessOrder returns the sort expression of an order and the type of its cursor value.
func readinessOrder(o store.ReadinessOrder) (expr, typ string, err error) {
	switch o {
	case store.ByEighteenthBirthday:
		return "r.eighteenth_birthday", "date", nil
	case store.ByFixBy:
		return fixByOrderExpr, "date", nil
	case store.ByRating:
		return "r.rating_rank", "smallint", nil
	}
	return "", "", errs.New(errs.InvalidArgument, errs.ReasonRequestInvalid, "unknown readiness order %q", o)
}

// cursorValue checks a cursor's sort value and returns it as the statement's parameter.
func cursorValue(typ, v string) (any, error) {
	bad := errs.New(errs.InvalidArgument, errs.ReasonPageTokenInvalid, "the page token is not valid for this view")
	switch typ {
	case "date":
		d, err := civil.Parse(v)
		if err != nil {
			return nil, bad
		}
		return d.String(), nil
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < -1<<15 || n >= 1<<15 {
			return nil, bad
		}
		return int16(n), nil
	}
}

// ListReadiness is one statement: a range scan of the council's index for the order from
// the cursor, joined to the young people.
func (t *tx) ListReadiness(ctx context.Context, q store.ReadinessQuery) ([]store.ReadinessEntry, error) {
	var args sqlArgs
	cond, err := readinessWhere(q, &args)
	if err != nil {
		return nil, err
	}
	expr, typ, err := readinessOrder(q.Order)
	if err != nil {
		return nil, err
	}
	if q.After != (store.ReadinessCursor{}) {
		v, err := cursorValue(typ, q.After.Value)
		if err != nil {
			return nil, err
		}
		id := q.After.YoungPersonID
		if id == "" {
			id = zeroUUID
		}
		cond += " AND (" + expr + ", r.young_person_id) > (" + args.add(v) + "::" + typ + ", " + args.add(id) + "::uuid)"
	}
	rows, err := t.q.Query(ctx, `SELECT `+readinessColumns+`, `+joinedYoungPersonColumns+`
		FROM readiness r JOIN young_people y ON y.id = r.young_person_id
		WHERE `+cond+` ORDER BY `+expr+`, r.young_person_id LIMIT `+args.add(q.Limit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ReadinessEntry, error) {
		var d readinessDest
		yp, err := scanYoungPerson(scanAfter{row: r, first: d.targets()})
		return store.ReadinessEntry{Summary: d.summary(), YoungPerson: yp}, err
	})
}

// scanAfter is a row whose first columns go to first and the rest to what Scan is given,
// so that scanYoungPerson can read the young person after the summary.
type scanAfter struct {
	row   pgx.Row
	first []any
}

func (s scanAfter) Scan(dest ...any) error {
	return s.row.Scan(append(slices.Clone(s.first), dest...)...)
}

// CountReadiness counts the view in one statement and one pass over it: each summary is
// unnested into its rating (kind 0), failing checks (1) and failing ambitions (2), and the
// lot grouped by kind and key.
func (t *tx) CountReadiness(ctx context.Context, q store.ReadinessQuery) (store.ReadinessCounts, error) {
	var args sqlArgs
	cond, err := readinessWhere(q, &args)
	if err != nil {
		return store.ReadinessCounts{}, err
	}
	rows, err := t.q.Query(ctx, `SELECT k.kind, k.key, count(*)
		FROM readiness r JOIN young_people y ON y.id = r.young_person_id
		CROSS JOIN LATERAL unnest(ARRAY[r.rating] || r.failing_checks || r.failing_ambitions,
			ARRAY[0] || array_fill(1, ARRAY[cardinality(r.failing_checks)])
				|| array_fill(2, ARRAY[cardinality(r.failing_ambitions)])) AS k(key, kind)
		WHERE `+cond+` GROUP BY k.kind, k.key`, args...)
	if err != nil {
		return store.ReadinessCounts{}, err
	}
	counts := store.ReadinessCounts{ByRating: map[domain.Rating]int{}, ByCheck: map[string]int{}, ByAmbition: map[string]int{}}
	var (
		kind int
		key  string
		n    int
	)
	_, err = pgx.ForEachRow(rows, []any{&kind, &key, &n}, func() error {
		switch kind {
		case 0: // every summary has one rating
			counts.ByRating[domain.Rating(key)], counts.Total = n, counts.Total+n
		case 1:
			counts.ByCheck[key] = n
		case 2:
			counts.ByAmbition[key] = n
		default:
			return fmt.Errorf("postgres: unexpected readiness count of kind %d", kind)
		}
		return nil
	})
	return counts, err
}
