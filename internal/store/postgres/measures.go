package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	"github.com/carepath/carepath/internal/store"
)

// CountMeasures runs one statement per measure, each over the council's young people and
// every date at once: the milestones a measure reads are first folded into one row per
// young person (the earliest due date of the cohort's milestone, the achieved dates of the
// counted ones), then joined to the dates.
func (t *tx) CountMeasures(ctx context.Context, q store.MeasureQuery) ([]store.MeasureCount, error) {
	if len(q.Dates) == 0 {
		return nil, nil
	}
	var out []store.MeasureCount
	for _, m := range q.Measures {
		counts, err := t.countMeasure(ctx, q, m)
		if err != nil {
			return nil, err
		}
		out = append(out, counts...)
	}
	return out, nil
}

// openStates are the open milestone states as a parameter.
var openStates = strs(domain.OpenStates)

func (t *tx) countMeasure(ctx context.Context, q store.MeasureQuery, m measure.Measure) ([]store.MeasureCount, error) {
	var args sqlArgs
	council := args.add(q.CouncilID)
	asOf, since := make([]string, len(q.Dates)), make([]string, len(q.Dates))
	first, last := q.Dates[0], q.Dates[0]
	for i, d := range q.Dates {
		asOf[i] = d.String()
		since[i] = "0001-01-01"
		if !m.Count.Within.IsZero() {
			since[i] = d.Sub(m.Count.Within, q.Rule).String()
		}
		first, last = minDate(first, d), maxDate(last, d)
	}
	dates := "unnest(" + args.add(asOf) + "::date[], " + args.add(since) + "::date[]) AS d(as_of, since)"
	// A coarse range of birth dates that may be in the cohort on some date (a few days
	// wider than exact, for leap days), so that the birth-date index can serve it.
	bornFrom := first.Sub(m.Cohort.MaxAge, q.Rule).AddDays(-3)
	bornTo := last.Sub(m.Cohort.MinAge, q.Rule).AddDays(3)
	rule := args.add(q.Rule == civil.MarchFirst)

	folded, join := "NULL::date AS first_due, NULL::date[] AS ach", ""
	keys := m.Milestones()
	if len(keys) > 0 && m.Count.Kind != measure.Overdue || m.Cohort.Milestone != "" {
		kind := "LEFT JOIN"
		if m.Cohort.Milestone != "" {
			kind = "JOIN"
		}
		folded = "c.first_due, c.ach"
		join = kind + ` (SELECT m.young_person_id,
				min(m.due_date) FILTER (WHERE m.key = ` + args.add(m.Cohort.Milestone) + ` AND m.applicable) AS first_due,
				array_agg(m.achieved_date) FILTER (WHERE m.key = ANY(` + args.add(m.Count.Milestones) + `::text[])
					AND m.state = 'ACHIEVED' AND m.achieved_date IS NOT NULL) AS ach
			FROM milestones m WHERE m.council_id = ` + council + ` AND m.key = ANY(` + args.add(keys) + `::text[])
			GROUP BY m.young_person_id) c ON c.young_person_id = y.id`
	}
	cohort := attainsSQL("p.dob", m.Cohort.MinAge, rule) + " <= d.as_of AND " +
		attainsSQL("p.dob", m.Cohort.MaxAge, rule) + " > d.as_of"
	if m.Cohort.Milestone != "" {
		cohort += " AND p.first_due <= d.as_of"
	}
	var count, extra string
	switch m.Count.Kind {
	case measure.Achieved:
		cond := "a <= d.as_of AND a > d.since"
		if !m.Count.ByAge.IsZero() {
			cond += " AND a < " + attainsSQL("p.dob", m.Count.ByAge, rule)
		}
		count = "EXISTS (SELECT 1 FROM unnest(p.ach) AS a WHERE " + cond + ")"
	case measure.FactTrue:
		// A fact's value on a day is its latest record (by record time) effective by then.
		count = `coalesce((SELECT f.value FROM facts f WHERE f.young_person_id = p.id AND f.key = ` + args.add(m.Count.Fact) + `
			AND f.effective_date <= d.as_of ORDER BY f.record_time DESC, f.id DESC LIMIT 1), false)`
	case measure.Overdue:
		// Overdue on a day: due before it, not lapsed, and then still open (open now, or
		// achieved later). Waived and not applicable are taken as closed.
		extra = ` LEFT JOIN (SELECT DISTINCT m.young_person_id, d.as_of FROM milestones m JOIN ` + dates + `
				ON m.due_date < d.as_of AND d.as_of < m.lapse_date
				AND (m.state = ANY(` + args.add(openStates) + `::text[]) OR m.state = 'ACHIEVED' AND m.achieved_date > d.as_of)
			WHERE m.council_id = ` + council + ` AND m.applicable) o ON o.young_person_id = p.id AND o.as_of = d.as_of`
		count = "o.young_person_id IS NOT NULL"
	}
	rows, err := t.tx.Query(ctx, `WITH p AS (
			SELECT y.id, y.date_of_birth AS dob, coalesce(pp.team, '') AS team, `+folded+`
			FROM young_people y LEFT JOIN people pp ON pp.id = y.personal_adviser_id `+join+`
			WHERE y.council_id = `+council+` AND y.date_of_birth BETWEEN `+args.add(bornFrom.String())+`::date AND `+args.add(bornTo.String())+`::date)
		SELECT d.as_of, p.team, count(*), count(*) FILTER (WHERE `+count+`)
		FROM p JOIN `+dates+` ON `+cohort+extra+`
		GROUP BY d.as_of, p.team`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.MeasureCount, error) {
		c := store.MeasureCount{Measure: m.Key}
		var day time.Time
		err := r.Scan(&day, &c.Team, &c.Cohort, &c.Count)
		c.AsOf = fromDate(&day)
		return c, err
	})
}

// attainsSQL is the day someone born on dob attains age, as civil.Attains gives it: PostgreSQL
// adds months keeping the day or, where the month lacks it, taking the month's last (the
// 28 February rule); under the 1 March rule such a day moves on to the next.
func attainsSQL(dob string, age civil.Period, marchFirst string) string {
	months := strconv.Itoa(measure.Months(age))
	shifted := "(" + dob + " + make_interval(months => " + months + "))::date"
	return "(" + shifted + " + CASE WHEN " + marchFirst + "::boolean AND extract(day FROM " + dob + ") <> extract(day FROM " +
		shifted + ") THEN 1 ELSE 0 END)"
}

func minDate(a, b civil.Date) civil.Date {
	if b.Before(a) {
		return b
	}
	return a
}

func maxDate(a, b civil.Date) civil.Date {
	if b.After(a) {
		return b
	}
	return a
}

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
	rows, err := t.tx.Query(ctx, `SELECT coalesce(m.owner_organisation_id, $1), count(*),
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
	rows, err = t.tx.Query(ctx, `SELECT f.organisation_id, count(*) FROM facts f JOIN young_people y ON y.id = f.young_person_id
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
