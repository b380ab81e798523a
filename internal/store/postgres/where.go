package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/store"
)

// sqlArgs collects the parameters of a statement as it is built.
type sqlArgs []any

// add appends v and returns its placeholder.
func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// where compiles a query expression to a SQL condition over the given columns. Values are
// always parameters, never spliced into the text.
func where(e query.Expr, columns map[string]string, args *sqlArgs) string {
	switch e := e.(type) {
	case nil:
		return "true"
	case query.And:
		return "(" + where(e.Left, columns, args) + " AND " + where(e.Right, columns, args) + ")"
	case query.Or:
		return "(" + where(e.Left, columns, args) + " OR " + where(e.Right, columns, args) + ")"
	case query.Not:
		return "(NOT " + where(e.X, columns, args) + ")"
	case query.Compare:
		col, ok := columns[e.Field]
		if !ok {
			panic(fmt.Sprintf("postgres: no column for filter field %q", e.Field))
		}
		var param string
		switch v := e.Value.(type) {
		case civil.Date:
			param = args.add(v.String()) + "::date"
		case bool:
			param = args.add(v) + "::boolean"
		case string:
			param = args.add(v) + "::text"
		default:
			panic(fmt.Sprintf("postgres: cannot filter on a %T", v))
		}
		return strings.Join([]string{col, e.Op.String(), param}, " ")
	}
	panic(fmt.Sprintf("postgres: unknown expression %T", e))
}

// scoped compiles a store.Scope to a SQL condition (starting " AND ") over a council column,
// a personal adviser column and a young person id column, or to "" for no scope. It agrees
// with Scope.Contains.
func scoped(s *store.Scope, council, adviser, youngPerson string, args *sqlArgs) string {
	if s == nil {
		return ""
	}
	if s.YoungPersonID != "" {
		return " AND " + council + " = " + args.add(s.CouncilID) + " AND " + youngPerson + " = " + args.add(s.YoungPersonID) + "::uuid"
	}
	if s.WholeCouncil {
		return " AND " + council + " = " + args.add(s.CouncilID)
	}
	cond := " AND " + council + " = " + args.add(s.CouncilID) + " AND (" + adviser + " = ANY(" + args.add(s.AdviserIDs) + "::text[])"
	if s.Unallocated {
		cond += " OR " + adviser + " IS NULL"
	}
	return cond + ")"
}
