package memory

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// noFixBy is the date a summary with no fix-by date sorts as, and its cursor value.
var noFixBy = civil.New(9999, 12, 31)

func cloneSummary(s domain.ReadinessSummary) domain.ReadinessSummary {
	s.FailingChecks, s.FailingAmbitions = cloneList(s.FailingChecks), cloneList(s.FailingAmbitions)
	return s
}

// cloneList copies a list, as nil when empty (as PostgreSQL gives it back).
func cloneList(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func (t *tx) SaveReadiness(_ context.Context, rows []domain.ReadinessSummary) error {
	for _, r := range rows {
		if _, err := t.getYoungPerson(r.YoungPersonID); err == store.ErrYoungPersonNotFound {
			continue
		} else if err != nil {
			return err
		}
		stored := cloneSummary(r)
		if err := t.insert(tableReadiness, &stored); err != nil {
			return err
		}
	}
	return nil
}

// StaleReadiness needs no locks: memory transactions are serialised.
func (t *tx) StaleReadiness(_ context.Context, q store.StaleReadinessQuery) ([]string, error) {
	it, err := t.txn.Get(tableYoungPeople, "id")
	if err != nil {
		return nil, err
	}
	var ids []string
	for obj := it.Next(); obj != nil && len(ids) < q.Limit; obj = it.Next() {
		yp := obj.(*youngPerson)
		if q.CouncilID != "" && yp.CouncilID != q.CouncilID {
			continue
		}
		s, err := t.first(tableReadiness, "id", yp.ID)
		if err != nil {
			return nil, err
		}
		if s == nil && !q.Overtaken || s != nil && (!s.(*domain.ReadinessSummary).ValidUntil.After(q.Today) ||
			s.(*domain.ReadinessSummary).Version != q.Version) {
			ids = append(ids, yp.ID)
		}
	}
	return ids, nil
}

var errNoScope = errors.New("memory: a readiness query needs a scope")

// readinessView returns the entries matching q's filters, in no order.
func (t *tx) readinessView(q store.ReadinessQuery) ([]store.ReadinessEntry, error) {
	if q.Scope == nil {
		return nil, errNoScope
	}
	objs, err := t.all(tableReadiness, "council", q.Scope.CouncilID)
	if err != nil {
		return nil, err
	}
	var out []store.ReadinessEntry
	for _, o := range objs {
		s := o.(*domain.ReadinessSummary)
		yp, err := t.getYoungPerson(s.YoungPersonID)
		if err == store.ErrYoungPersonNotFound { // cannot be: deleting cascades
			continue
		} else if err != nil {
			return nil, err
		}
		switch {
		case !q.Scope.Contains(yp.YoungPerson),
			!q.EighteenthFrom.IsZero() && s.EighteenthBirthday.Before(q.EighteenthFrom),
			!q.EighteenthTo.IsZero() && s.EighteenthBirthday.After(q.EighteenthTo),
			len(q.Ratings) > 0 && !slices.Contains(q.Ratings, s.Rating),
			q.Check != "" && !slices.Contains(s.FailingChecks, q.Check),
			len(q.AdviserIDs) > 0 && (yp.PersonalAdviserID == "" || !slices.Contains(q.AdviserIDs, yp.PersonalAdviserID)):
			continue
		}
		out = append(out, store.ReadinessEntry{Summary: cloneSummary(*s), YoungPerson: yp.YoungPerson})
	}
	return out, nil
}

// dateKey orders dates as numbers.
func dateKey(d civil.Date) int { return d.Year*10000 + int(d.Month)*100 + d.Day }

// readinessKey returns the sort value of a summary in an order, as a number.
func readinessKey(o store.ReadinessOrder) (key func(domain.ReadinessSummary) int, isDate bool, err error) {
	switch o {
	case store.ByEighteenthBirthday:
		return func(s domain.ReadinessSummary) int { return dateKey(s.EighteenthBirthday) }, true, nil
	case store.ByFixBy:
		return func(s domain.ReadinessSummary) int {
			if s.FixBy.IsZero() {
				return dateKey(noFixBy)
			}
			return dateKey(s.FixBy)
		}, true, nil
	case store.ByRating:
		return func(s domain.ReadinessSummary) int { return s.Rating.Rank() }, false, nil
	}
	return nil, false, errs.New(errs.InvalidArgument, errs.ReasonRequestInvalid, "unknown readiness order %q", o)
}

// cursorKey reads a cursor's sort value as readinessKey gives it.
func cursorKey(isDate bool, v string) (int, error) {
	bad := errs.New(errs.InvalidArgument, errs.ReasonPageTokenInvalid, "the page token is not valid for this view")
	if isDate {
		d, err := civil.Parse(v)
		if err != nil {
			return 0, bad
		}
		return dateKey(d), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -1<<15 || n >= 1<<15 { // as PostgreSQL's smallint
		return 0, bad
	}
	return n, nil
}

func (t *tx) ListReadiness(_ context.Context, q store.ReadinessQuery) ([]store.ReadinessEntry, error) {
	view, err := t.readinessView(q)
	if err != nil {
		return nil, err
	}
	key, isDate, err := readinessKey(q.Order)
	if err != nil {
		return nil, err
	}
	compare := func(k int, id string, e store.ReadinessEntry) int {
		if c := cmp.Compare(k, key(e.Summary)); c != 0 {
			return c
		}
		return strings.Compare(id, e.Summary.YoungPersonID)
	}
	if q.After != (store.ReadinessCursor{}) {
		after, err := cursorKey(isDate, q.After.Value)
		if err != nil {
			return nil, err
		}
		view = slices.DeleteFunc(view, func(e store.ReadinessEntry) bool { return compare(after, q.After.YoungPersonID, e) >= 0 })
	}
	slices.SortFunc(view, func(a, b store.ReadinessEntry) int { return compare(key(a.Summary), a.Summary.YoungPersonID, b) })
	return view[:min(max(q.Limit, 0), len(view))], nil
}

func (t *tx) CountReadiness(_ context.Context, q store.ReadinessQuery) (store.ReadinessCounts, error) {
	view, err := t.readinessView(q)
	if err != nil {
		return store.ReadinessCounts{}, err
	}
	counts := store.ReadinessCounts{Total: len(view), ByRating: map[domain.Rating]int{}, ByCheck: map[string]int{},
		ByAmbition: map[string]int{}}
	for _, e := range view {
		counts.ByRating[e.Summary.Rating]++
		for _, c := range e.Summary.FailingChecks {
			counts.ByCheck[c]++
		}
		for _, a := range e.Summary.FailingAmbitions {
			counts.ByAmbition[a]++
		}
	}
	return counts, nil
}
