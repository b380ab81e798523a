package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/store"
)

// API calls' statements run with generic plans, searches with plans made for their values,
// background work's with the server's choice.
//
// PostgreSQL plans anew each execution of a statement whose parameters include an array: it
// reckons that a plan made for the array's length beats one made without it. That is right
// for background work over a council, whose arrays run to hundreds of thousands of rows
// (generic plans doubled a planning sweep over 10,000 young people), and wasted on an API
// call (store.ForOneCall), whose arrays hold one young person or one page: planning was
// about a third of a pathway read's database CPU and of a create's.
//
// A search (store.ForSearch) is the exception among calls: its filters may match one row of
// millions or all of them, and a generic plan reads the table in key order, filtering, which
// for a rare value reads it all (an auditor's search of 351,000 records for one young
// person's took 240 to 310 ms so, 7 ms planned for the young person). The server's own
// choice is no better: after five executions it settles on the generic plan when that
// looks cheaper than the custom plans' average, so a search forces custom plans.
//
// The mode is the connection's (a session setting), so that it covers InRead's statements,
// which run outside a transaction, as well as InTx's. Each connection is set as it is
// acquired, and only when the kind of work it was last acquired for changes, so a steady
// load of calls pays nothing for it. A URL that sets plan_cache_mode itself is obeyed as is.
const (
	planModeKey   = "carepath.planMode" // a connection's CustomData key: the statement it was set with
	genericPlans  = "SET plan_cache_mode = force_generic_plan"
	customPlans   = "SET plan_cache_mode = force_custom_plan"
	defaultPlans  = "RESET plan_cache_mode" // the database's or role's own setting, or auto
	planModeParam = "plan_cache_mode"
)

// preparePlans is the pool's PrepareConn: it sets the connection's plan mode for the work ctx
// is for. A connection that cannot be set is destroyed, failing the statement that wanted it.
func preparePlans(ctx context.Context, c *pgx.Conn) (bool, error) {
	sql := defaultPlans
	switch {
	case store.Search(ctx):
		sql = customPlans
	case store.OneCall(ctx):
		sql = genericPlans
	}
	data := c.PgConn().CustomData()
	if was, ok := data[planModeKey].(string); ok && was == sql {
		return true, nil
	}
	if _, err := c.Exec(ctx, sql); err != nil {
		return false, err
	}
	data[planModeKey] = sql
	return true, nil
}
