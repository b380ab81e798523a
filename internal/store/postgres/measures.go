package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/store"
)

// CountMeasures counts the kept standings of the council's young people in one statement,
// every measure and date at once, and works out from their records the standings of those
// whose kept ones are stale (see store.Measures).
func (t *tx) CountMeasures(ctx context.Context, q store.MeasureQuery) ([]store.MeasureCount, error) {
	if len(q.Dates) == 0 || len(q.Measures) == 0 {
		return nil, nil
	}
	version := measure.Version(q.Measures, q.Rule)
	rows, err := t.q.Query(ctx, `SELECT id FROM young_people WHERE council_id = $1 AND measures_version IS DISTINCT FROM $2
		ORDER BY id`, q.CouncilID, version)
	if err != nil {
		return nil, err
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out, err := t.countStandings(ctx, q, stale)
	if err != nil || len(stale) == 0 {
		return out, err
	}
	var tally measure.Tally
	for start := 0; start < len(stale); start += staleBatch {
		if err := t.tallyStale(ctx, &tally, q, stale[start:min(start+staleBatch, len(stale))]); err != nil {
			return nil, err
		}
	}
	return addCounts(out, store.MeasureCounts(tally)), nil
}

// staleBatch is how many young people's records are loaded at once to work out standings.
const staleBatch = 1000

// countStandings counts the standings kept for the council's young people but the stale: a
// pair of counts per date, so that one pass over the rows answers every date. The stale are
// left out by id, not by a version the rows carry: usually there are none, and the
// statement's plan then rests on nothing but the council (a just-changed version column
// would leave the planner's statistics guessing, and a nested loop over every row).
func (t *tx) countStandings(ctx context.Context, q store.MeasureQuery, stale []string) ([]store.MeasureCount, error) {
	var args sqlArgs
	council := args.add(q.CouncilID)
	keys := make([]string, len(q.Measures))
	for i, m := range q.Measures {
		keys[i] = m.Key
	}
	notStale := ""
	if len(stale) > 0 {
		notStale = " AND s.young_person_id <> ALL(" + args.add(stale) + "::uuid[])"
	}
	first, last := q.Dates[0], q.Dates[0]
	cols := make([]string, len(q.Dates))
	for i, d := range q.Dates {
		if d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
		day := args.add(d.String()) + "::date"
		cols[i] = "count(*) FILTER (WHERE s.cohort @> " + day + "), count(*) FILTER (WHERE s.cohort @> " + day + " AND s.counted @> " + day + ")"
	}
	rows, err := t.q.Query(ctx, `SELECT s.measure, coalesce(pp.team, ''), `+strings.Join(cols, ", ")+`
		FROM measure_standings s JOIN young_people y ON y.id = s.young_person_id
		LEFT JOIN people pp ON pp.id = y.personal_adviser_id
		WHERE s.council_id = `+council+` AND y.council_id = `+council+notStale+`
			AND s.measure = ANY(`+args.add(keys)+`::text[])
			AND s.cohort && daterange(`+args.add(first.String())+`::date, `+args.add(last.String())+`::date, '[]')
		GROUP BY 1, 2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.MeasureCount
	var key, team string
	counts := make([]int, 2*len(q.Dates))
	dest := []any{&key, &team}
	for i := range counts {
		dest = append(dest, &counts[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for i, d := range q.Dates {
			if counts[2*i] > 0 {
				out = append(out, store.MeasureCount{Measure: key, AsOf: d, Team: team, Cohort: counts[2*i], Count: counts[2*i+1]})
			}
		}
	}
	return out, rows.Err()
}

// tallyStale works out and counts the standings of young people whose kept ones are stale.
func (t *tx) tallyStale(ctx context.Context, tally *measure.Tally, q store.MeasureQuery, ids []string) error {
	states, err := t.LoadPathways(ctx, ids)
	if err != nil {
		return err
	}
	rows, err := t.q.Query(ctx, `SELECT y.id, coalesce(pp.team, ''), coalesce(r.review_rating, '')
		FROM young_people y LEFT JOIN people pp ON pp.id = y.personal_adviser_id LEFT JOIN readiness r ON r.young_person_id = y.id
		WHERE y.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return err
	}
	type extra struct{ team, review string }
	extras := map[string]extra{}
	var id string
	var e extra
	if _, err := pgx.ForEachRow(rows, []any{&id, &e.team, &e.review}, func() error { extras[id] = e; return nil }); err != nil {
		return err
	}
	for _, st := range states {
		e := extras[st.YoungPerson.ID]
		r := measure.Record{DateOfBirth: st.YoungPerson.DateOfBirth, Rule: q.Rule, Milestones: st.Milestones, Facts: st.Facts,
			RatingAtReview: domain.Rating(e.review)}
		tally.Add(e.team, measure.Standings(q.Measures, r), q.Dates)
	}
	return nil
}

// addCounts adds more counts into counts, group by group.
func addCounts(counts, more []store.MeasureCount) []store.MeasureCount {
	type group struct {
		measure string
		asOf    civil.Date
		team    string
	}
	at := map[group]int{}
	for i, c := range counts {
		at[group{c.Measure, c.AsOf, c.Team}] = i
	}
	for _, c := range more {
		if i, ok := at[group{c.Measure, c.AsOf, c.Team}]; ok {
			counts[i].Cohort += c.Cohort
			counts[i].Count += c.Count
			continue
		}
		counts = append(counts, c)
	}
	return counts
}

// SaveMeasureStandings replaces the young people's kept standings and marks their version,
// in one statement.
func (t *tx) SaveMeasureStandings(ctx context.Context, in []store.MeasureStandings) error {
	if len(in) == 0 {
		return nil
	}
	var ids, versions, yp, council, key, cohort, counted []string
	for _, r := range in {
		ids, versions = append(ids, r.YoungPersonID), append(versions, r.Version)
		for _, s := range r.Standings {
			yp, council, key = append(yp, r.YoungPersonID), append(council, r.CouncilID), append(key, s.Measure)
			cohort, counted = append(cohort, rangeText(s.Cohort)), append(counted, multirangeText(s.Counted))
		}
	}
	return t.later(ctx, nil, `
		WITH p AS (
			SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::daterange[], $5::datemultirange[])
				AS p(young_person_id, council_id, measure, cohort, counted)
		),
		saved AS (
			INSERT INTO measure_standings AS s (young_person_id, measure, council_id, cohort, counted)
			SELECT p.young_person_id, p.measure, p.council_id, p.cohort, p.counted
			FROM p JOIN young_people y ON y.id = p.young_person_id -- skips the deleted
			ON CONFLICT (young_person_id, measure) DO UPDATE SET council_id = excluded.council_id,
				cohort = excluded.cohort, counted = excluded.counted
			WHERE (s.council_id, s.cohort, s.counted) IS DISTINCT FROM (excluded.council_id, excluded.cohort, excluded.counted)
		),
		dropped AS (
			DELETE FROM measure_standings s WHERE s.young_person_id = ANY($6::uuid[]) AND NOT EXISTS (
				SELECT 1 FROM p WHERE p.young_person_id = s.young_person_id AND p.measure = s.measure)
		)
		UPDATE young_people y SET measures_version = v.version
		FROM unnest($6::uuid[], $7::text[]) AS v(id, version)
		WHERE y.id = v.id AND y.measures_version IS DISTINCT FROM v.version`,
		yp, council, key, cohort, counted, ids, versions)
}

// StaleMeasureStandings locks young people whose standings are of another version. The
// version is in the row locked, so one saved meanwhile by another transaction is re-checked
// under the lock and skipped.
func (t *tx) StaleMeasureStandings(ctx context.Context, councilID, version string, limit int) ([]string, error) {
	rows, err := t.q.Query(ctx, `SELECT id FROM young_people WHERE council_id = $1 AND measures_version IS DISTINCT FROM $2
		ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`, councilID, version, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// rangeText and multirangeText write spans as PostgreSQL date ranges: [from,until).
func rangeText(s measure.Span) string {
	until := ""
	if !s.Until.IsZero() {
		until = s.Until.String()
	}
	return "[" + s.From.String() + "," + until + ")"
}

func multirangeText(spans []measure.Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = rangeText(s)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// openStates are the open milestone states as a parameter.
var openStates = strs(domain.OpenStates)

// CountAgencies is two statements: the council's milestones due by the date grouped by
// owner, and its young people's fact records grouped by the organisation that made them.
func (t *tx) CountAgencies(ctx context.Context, councilID string, asOf civil.Date) ([]store.AgencyCount, error) {
	byOrg := map[string]*store.AgencyCount{}
	get := func(org string) *store.AgencyCount {
		if byOrg[org] == nil {
			byOrg[org] = &store.AgencyCount{OrganisationID: org}
		}
		return byOrg[org]
	}
	rows, err := t.q.Query(ctx, `SELECT coalesce(m.owner_organisation_id, $1), count(*),
			count(*) FILTER (WHERE m.state = 'ACHIEVED' AND m.achieved_date <= $2::date),
			count(*) FILTER (WHERE o.overdue), coalesce(sum($2::date - m.due_date) FILTER (WHERE o.overdue), 0),
			coalesce(max($2::date - m.due_date) FILTER (WHERE o.overdue), 0)
		FROM milestones m CROSS JOIN LATERAL (SELECT m.due_date < $2::date AND $2::date < m.lapse_date
			AND (m.state = ANY($3::text[]) OR m.state = 'ACHIEVED' AND m.achieved_date > $2::date) AS overdue) o
		WHERE m.council_id = $1 AND m.applicable AND m.due_date <= $2::date
		GROUP BY 1`, councilID, asOf.String(), openStates)
	if err != nil {
		return nil, err
	}
	var (
		org                                  string
		due, done, overdue, days, maxOverdue int
	)
	if _, err := pgx.ForEachRow(rows, []any{&org, &due, &done, &overdue, &days, &maxOverdue}, func() error {
		c := get(org)
		c.Due, c.Done, c.Overdue, c.DaysOverdue, c.MaxDaysOverdue = due, done, overdue, days, maxOverdue
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = t.q.Query(ctx, `SELECT f.organisation_id, count(*) FROM facts f JOIN young_people y ON y.id = f.young_person_id
		WHERE y.council_id = $1 AND f.effective_date <= $2::date GROUP BY 1`, councilID, asOf.String())
	if err != nil {
		return nil, err
	}
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&org, &n}, func() error { get(org).Facts = n; return nil }); err != nil {
		return nil, err
	}
	return sortedAgencies(byOrg), nil
}

func sortedAgencies(byOrg map[string]*store.AgencyCount) []store.AgencyCount {
	out := make([]store.AgencyCount, 0, len(byOrg))
	for _, c := range byOrg {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b store.AgencyCount) int { return strings.Compare(a.OrganisationID, b.OrganisationID) })
	return out
}
