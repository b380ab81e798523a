package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/carepath/carepath/internal/store"
)

// API calls' statements run with generic plans, background work's with the server's choice.
//
// PostgreSQL plans anew each execution of a statement whose parameters include an array: it
// reckons that a plan made for the array's length beats one made without it. That is right
// for background work over a council, whose arrays run to hundreds of thousands of rows
// (generic plans doubled a planning sweep over 10,000 young people), and wasted on an API
// call (store.ForOneCall), whose arrays hold one young person or one page: planning was
// about a third of a pathway read's database CPU and of a create's.
//
// The mode is the connection's (a session setting), so that it covers InRead's statements,
// which run outside a transaction, as well as InTx's. Each connection is set as it is
// acquired, and only when the kind of work it was last acquired for changes, so a steady
// load of calls pays nothing for it. A URL that sets plan_cache_mode itself is obeyed as is.
const (
	planModeKey   = "carepath.genericPlans" // a connection's CustomData key: the mode it was set to
	genericPlans  = "SET plan_cache_mode = force_generic_plan"
	defaultPlans  = "RESET plan_cache_mode" // the database's or role's own setting, or auto
	planModeParam = "plan_cache_mode"
)

// preparePlans is the pool's PrepareConn: it sets the connection's plan mode for the work ctx
// is for. A connection that cannot be set is destroyed, failing the statement that wanted it.
func preparePlans(ctx context.Context, c *pgx.Conn) (bool, error) {
	generic := store.OneCall(ctx)
	data := c.PgConn().CustomData()
	if was, ok := data[planModeKey].(bool); ok && was == generic {
		return true, nil
	}
	sql := defaultPlans
	if generic {
		sql = genericPlans
	}
	if _, err := c.Exec(ctx, sql); err != nil {
		return false, err
	}
	data[planModeKey] = generic
	return true, nil
}
