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
	n := len(q.Dates)
	asOf, since, bornAfter, bornBy := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, d := range q.Dates {
		asOf[i], since[i] = d.String(), "0001-01-01"
		if !m.Count.Within.IsZero() {
			since[i] = d.Sub(m.Count.Within, q.Rule).String()
		}
		// In the cohort on d: at least MinAge (born by bornBy) and under MaxAge (born after
		// bornAfter), exactly, so that the birth-date index serves it.
		bornBy[i], bornAfter[i] = lastBornAttaining(m.Cohort.MinAge, d, q.Rule).String(), lastBornAttaining(m.Cohort.MaxAge, d, q.Rule).String()
	}
	dates := "unnest(" + args.add(asOf) + "::date[], " + args.add(since) + "::date[], " + args.add(bornAfter) + "::date[], " +
		args.add(bornBy) + "::date[]) AS d(as_of, since, born_after, born_by)"
	cohort := "y.date_of_birth > d.born_after AND y.date_of_birth <= d.born_by"

	// The milestones a measure reads, folded into one row per young person and date: the
	// earliest due date of the cohort's milestone, and the earliest and latest achievement
	// of a counted one by the date (an achievement before an age is the earliest's; one in
	// a window before the date is the latest's).
	from := "young_people y CROSS JOIN " + dates
	var count string
	if keys := m.Milestones(); m.Count.Kind == measure.Achieved || m.Cohort.Milestone != "" {
		kind := "LEFT JOIN"
		if m.Cohort.Milestone != "" {
			kind = "JOIN"
			cohort += " AND c.first_due <= d.as_of"
		}
		from = `(SELECT m.young_person_id, d.as_of,
				min(m.due_date) FILTER (WHERE m.key = ` + args.add(m.Cohort.Milestone) + ` AND m.applicable) AS first_due,
				min(m.achieved_date) FILTER (WHERE m.key = ANY(` + args.add(m.Count.Milestones) + `::text[])
					AND m.state = 'ACHIEVED' AND m.achieved_date <= d.as_of) AS first_done,
				max(m.achieved_date) FILTER (WHERE m.key = ANY(` + args.add(m.Count.Milestones) + `::text[])
					AND m.state = 'ACHIEVED' AND m.achieved_date <= d.as_of) AS last_done
			FROM milestones m CROSS JOIN ` + dates + `
			WHERE m.council_id = ` + council + ` AND m.key = ANY(` + args.add(keys) + `::text[])
			GROUP BY m.young_person_id, d.as_of) c
			` + kind + ` young_people y ON y.id = c.young_person_id JOIN ` + dates + ` ON d.as_of = c.as_of`
		if kind == "LEFT JOIN" { // every young person, with their folded milestones if any
			from = "young_people y CROSS JOIN " + dates + ` LEFT JOIN (SELECT m.young_person_id, d.as_of,
				min(m.achieved_date) FILTER (WHERE m.state = 'ACHIEVED' AND m.achieved_date <= d.as_of) AS first_done,
				max(m.achieved_date) FILTER (WHERE m.state = 'ACHIEVED' AND m.achieved_date <= d.as_of) AS last_done
				FROM milestones m CROSS JOIN ` + dates + `
				WHERE m.council_id = ` + council + ` AND m.key = ANY(` + args.add(m.Count.Milestones) + `::text[])
				GROUP BY m.young_person_id, d.as_of) c ON c.young_person_id = y.id AND c.as_of = d.as_of`
		}
	}
	switch m.Count.Kind {
	case measure.Achieved:
		count = "c.first_done IS NOT NULL"
		if !m.Count.ByAge.IsZero() {
			count += " AND c.first_done < " + attainsSQL("y.date_of_birth", m.Count.ByAge, args.add(q.Rule == civil.MarchFirst))
		}
		if !m.Count.Within.IsZero() {
			count += " AND c.last_done > d.since"
		}
	case measure.FactTrue:
		// A fact's value on a day is its latest record (by record time) effective by then.
		from += ` LEFT JOIN (SELECT DISTINCT ON (f.young_person_id, d.as_of) f.young_person_id, d.as_of, f.value
				FROM facts f JOIN young_people fy ON fy.id = f.young_person_id CROSS JOIN ` + dates + `
				WHERE fy.council_id = ` + council + ` AND f.key = ` + args.add(m.Count.Fact) + ` AND f.effective_date <= d.as_of
				ORDER BY f.young_person_id, d.as_of, f.record_time DESC, f.id DESC) f ON f.young_person_id = y.id AND f.as_of = d.as_of`
		count = "coalesce(f.value, false)"
	case measure.Overdue:
		// Overdue on a day: due before it, not lapsed, and then still open (open now, or
		// achieved later). Waived and not applicable are taken as closed.
		from += ` LEFT JOIN (SELECT DISTINCT m.young_person_id, d.as_of FROM milestones m JOIN ` + dates + `
				ON m.due_date < d.as_of AND d.as_of < m.lapse_date
				AND (m.state = ANY(` + args.add(openStates) + `::text[]) OR m.state = 'ACHIEVED' AND m.achieved_date > d.as_of)
			WHERE m.council_id = ` + council + ` AND m.applicable) o ON o.young_person_id = y.id AND o.as_of = d.as_of`
		count = "o.young_person_id IS NOT NULL"
	case measure.GreenAtReview:
		from += " LEFT JOIN readiness r ON r.young_person_id = y.id"
		count = "coalesce(r.review_rating = 'GREEN', false)"
	}
	rows, err := t.q.Query(ctx, `SELECT d.as_of, coalesce(pp.team, ''), count(*), count(*) FILTER (WHERE `+count+`)
		FROM `+from+` LEFT JOIN people pp ON pp.id = y.personal_adviser_id
		WHERE y.council_id = `+council+` AND `+cohort+`
		GROUP BY d.as_of, coalesce(pp.team, '')`, args...)
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

// lastBornAttaining is the latest birth date of someone who has attained age on d
// (civil.Attains is monotonic in the birth date, so those born by it have, the others not).
func lastBornAttaining(age civil.Period, d civil.Date, rule civil.LeaplingRule) civil.Date {
	c := d.Sub(age, rule)
	for civil.Attains(c, age, rule).After(d) {
		c = c.AddDays(-1)
	}
	for !civil.Attains(c.AddDays(1), age, rule).After(d) {
		c = c.AddDays(1)
	}
	return c
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
