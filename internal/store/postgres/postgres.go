// Package postgres is carepath's production store: PostgreSQL through a pgx/v5 pool, with
// hand-written SQL and migrations embedded in the binary (see Migrate).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
)

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool
	// river only inserts jobs (AddDeliveries), in the store's transactions; it works none.
	river    *river.Client[pgx.Tx]
	url      string
	maxTx    time.Duration
	migrated atomic.Bool
	settings *settingsCache
	audits   *auditWriter // writes reads' audit records
}

var _ store.Store = (*Store)(nil)

// Options tune the connection pool.
type Options struct {
	// MaxConns caps the pool; 0 keeps pgx's default.
	MaxConns int32
	// MaxTx bounds every transaction, background work's included; 0 means DefaultMaxTx.
	MaxTx time.Duration
	// Tracer, if set, traces every query; RiverMiddleware wraps the delivery jobs the
	// store inserts (tracing passes the trace on to the job).
	Tracer          pgx.QueryTracer
	RiverMiddleware []rivertype.Middleware
}

// Time limits. A database that stops answering (a network partition, a hung server) must
// not hang the calls waiting for it: each transaction has a deadline, and so has each
// connection attempt, after which the call fails with UNAVAILABLE.
const (
	DefaultMaxTx   = time.Minute
	connectTimeout = 5 * time.Second
	// The server's own limits, unless the URL sets them, so that a stuck statement or an
	// abandoned transaction cannot hold locks for long.
	statementTimeout         = "30s"
	idleInTransactionTimeout = "60s"
)

// Open connects a pool to the database at url. Unless the URL says otherwise, connecting
// times out after 5 seconds, statements after 30 and idle transactions after 60. Open does
// not wait for the database: see Ready.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: database URL: %w", err)
	}
	params := cfg.ConnConfig.RuntimeParams
	setDefault(params, "application_name", "carepath")
	setDefault(params, "statement_timeout", statementTimeout)
	setDefault(params, "idle_in_transaction_session_timeout", idleInTransactionTimeout)
	if cfg.ConnConfig.ConnectTimeout == 0 { // no connect_timeout in the URL
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	cfg.AfterConnect = afterConnect
	if _, set := params[planModeParam]; !set {
		cfg.PrepareConn = preparePlans
	}
	maxTx := opts.MaxTx
	if maxTx <= 0 {
		maxTx = DefaultMaxTx
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: pool: %w", err)
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Middleware: opts.RiverMiddleware})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: river client: %w", err)
	}
	return &Store{pool: pool, river: rc, url: url, maxTx: maxTx,
		settings: &settingsCache{m: map[string]domain.PathwaySettings{}},
		audits: newAuditWriter(func(ctx context.Context, rs []audit.Record) error {
			// The reads' records, a few at a time: an API call's kind of statement (see
			// preparePlans), and so on the connections the calls have just used as they are.
			return insertAudits(store.ForOneCall(ctx), pool, rs)
		}, maxTx, auditWriters)}, nil
}

func setDefault(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// Pool exposes the pool to the composition root (metrics) and to tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the audit writers (reads still waiting on them fail) and closes the pool.
func (s *Store) Close() {
	s.audits.close()
	s.pool.Close()
}

// Ready returns nil when the database answers and has every migration this binary knows.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return classify(err)
	}
	if s.migrated.Load() {
		return nil
	}
	missing, err := pending(ctx, s.url)
	if err != nil {
		return classify(err)
	}
	if missing {
		return errs.New(errs.Unavailable, errs.ReasonStoreUnavailable,
			"the database schema is out of date; run `carepath migrate`")
	}
	s.migrated.Store(true)
	return nil
}

// maxAttempts bounds the retries of a transaction that lost a serialisation conflict.
const maxAttempts = 3

// InTx runs fn in a read-committed transaction, retrying it when PostgreSQL reports a
// serialisation failure or deadlock.
//
// The transaction, with its retries and its wait for a connection, has a deadline: a little
// before ctx's, so that the caller still has time to answer, and at most MaxTx away. When
// that deadline passes while ctx is still live, the database did not answer in time and
// the error is UNAVAILABLE; pgx abandons the connection it was waiting on.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	txCtx, cancel := context.WithTimeout(ctx, txBudget(ctx, s.maxTx))
	defer cancel()
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = s.inTx(txCtx, fn)
		if err == nil || !isConflict(err) {
			break
		}
	}
	if err != nil && txCtx.Err() != nil && ctx.Err() == nil {
		return errs.Wrap(err, errs.Unavailable, errs.ReasonStoreUnavailable,
			"the database did not answer in time; retry with backoff")
	}
	return classify(err)
}

// inTx runs fn in a pipeTx on a connection of its own, committing if fn returns nil and
// rolling back otherwise (or if fn panics). The pool closes a connection that is left in a
// transaction, should the rollback fail.
func (s *Store) inTx(ctx context.Context, fn func(store.Tx) error) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	p := &pipeTx{conn: conn.Conn()}
	defer func() {
		if !p.ended {
			_ = p.Rollback(ctx)
		}
	}()
	if err := fn(s.newTx(ctx, p)); err != nil {
		return err
	}
	return p.Commit(ctx)
}

// InRead runs fn, which only reads and records audit entries, without a transaction: its
// statements run in turn on one connection, each in its own snapshot as they would in a
// READ COMMITTED transaction. Once fn returns nil, the connection goes back to the pool and
// its audit records are written in one INSERT, atomically, along with those of other reads
// ending at the same time (auditWriter); InRead returns when they have committed. If they
// cannot be written the call fails and answers nothing (fail closed). A read so pays for its
// statements and a share of one audit insert, not for BEGIN and COMMIT.
func (s *Store) InRead(ctx context.Context, fn func(store.Tx) error) error {
	rCtx, cancel := context.WithTimeout(ctx, txBudget(ctx, s.maxTx))
	defer cancel()
	err := s.inRead(rCtx, fn)
	if err != nil && rCtx.Err() != nil && ctx.Err() == nil {
		return errs.Wrap(err, errs.Unavailable, errs.ReasonStoreUnavailable,
			"the database did not answer in time; retry with backoff")
	}
	return classify(err)
}

func (s *Store) inRead(ctx context.Context, fn func(store.Tx) error) error {
	audits, err := s.read(ctx, fn)
	if err != nil || len(audits) == 0 {
		return err
	}
	return s.audits.write(ctx, audits)
}

// read runs fn on a connection of its own and returns the audit records it made.
func (s *Store) read(ctx context.Context, fn func(store.Tx) error) ([]audit.Record, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	var audits []audit.Record
	err = fn(&tx{q: readOnly{within{conn, ctx}}, river: s.river, audits: &audits, settings: s.settings})
	return audits, err
}

// readOnly refuses, before sending it, a statement that would write: in InRead each runs in
// autocommit, so a write would commit on its own, whatever became of the call.
type readOnly struct{ q querier }

// ErrWriteInRead is a store method that writes called within InRead: a programming error.
var ErrWriteInRead = errors.New("postgres: a statement that writes was run in a read (InRead)")

// writes says whether sql would write. Statement texts are the program's own, a few
// hundred of them, so each answer is kept (up to a bound) rather than upper-casing the
// statement on every call.
func writes(sql string) bool {
	if w, ok := writeChecks.Load(sql); ok {
		return w.(bool)
	}
	w := writesText(sql)
	if writeCheckCount.Add(1) <= maxWriteChecks {
		writeChecks.Store(sql, w)
	}
	return w
}

var (
	writeChecks     sync.Map // statement text → writes
	writeCheckCount atomic.Int64
)

const maxWriteChecks = 4096

func writesText(sql string) bool {
	word, rest, _ := strings.Cut(strings.TrimSpace(sql), " ")
	for _, w := range []string{"INSERT", "UPDATE", "DELETE", "MERGE", "LOCK", "TRUNCATE", "CALL", "SET"} {
		if strings.EqualFold(word, w) {
			return true
		}
	}
	upper := strings.ToUpper(rest)
	return strings.EqualFold(word, "WITH") && (strings.Contains(upper, "INSERT ") || strings.Contains(upper, "UPDATE ") ||
		strings.Contains(upper, "DELETE ")) || strings.Contains(upper, " FOR UPDATE") || strings.Contains(upper, " FOR SHARE") ||
		strings.Contains(upper, " FOR NO KEY UPDATE")
}

func (r readOnly) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if writes(sql) {
		return pgconn.CommandTag{}, ErrWriteInRead
	}
	return r.q.Exec(ctx, sql, args...)
}

func (r readOnly) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if writes(sql) {
		return nil, ErrWriteInRead
	}
	return r.q.Query(ctx, sql, args...)
}

func (r readOnly) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if writes(sql) {
		return errRow{ErrWriteInRead}
	}
	return r.q.QueryRow(ctx, sql, args...)
}

func (r readOnly) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		if writes(q.SQL) {
			return errBatch{err: ErrWriteInRead}
		}
	}
	return r.q.SendBatch(ctx, b)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errBatch answers every result of a refused batch with its error.
type errBatch struct {
	pgx.BatchResults // the methods not overridden here are not called on a refused batch
	err              error
}

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow{b.err} }
func (b errBatch) Close() error                     { return b.err }

// txBudget is how long a transaction may take: what is left of ctx's time less a reserve
// for answering (a tenth, at most a second), and at most maxTx.
func txBudget(ctx context.Context, maxTx time.Duration) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return maxTx
	}
	return budget(time.Until(deadline), maxTx)
}

// budget is txBudget for a caller with left of its time.
func budget(left, maxTx time.Duration) time.Duration {
	return min(maxTx, left-min(left/10, time.Second))
}

// querier is what a store method sends statements to: a transaction, or, for InRead, one
// connection in autocommit.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

type tx struct {
	q     querier
	tx    pgx.Tx // nil in InRead, which queues no jobs
	river *river.Client[pgx.Tx]
	// audits, when not nil, collects the audit records of an InRead to write when it ends.
	audits *[]audit.Record
	// settings is the store's cache of decoded council settings.
	settings *settingsCache
	// revisions are the settings revisions of councils read along with their young people
	// in this transaction or read (0: none stored), so that their settings need no
	// statement of their own when the cache holds that revision.
	revisions map[string]int64
	// people are the people this transaction or read has read or written, by id.
	people map[string]domain.Person
}

// newTx is the store's view of ptx, begun with ctx: its statements run within ctx's deadline,
// whatever context the caller passes them, so that a database that stops answering in the
// middle of a transaction fails it in time too.
func (s *Store) newTx(ctx context.Context, ptx pgx.Tx) *tx {
	return &tx{q: within{ptx, ctx}, tx: ptx, river: s.river, settings: s.settings}
}

// within runs statements under ctx: the transaction's or read's deadline, which derives from
// the call's context, so a caller's cancellation reaches them too.
type within struct {
	q   querier
	ctx context.Context
}

func (w within) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return w.q.Exec(w.ctx, sql, args...)
}

func (w within) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	return w.q.Query(w.ctx, sql, args...)
}

func (w within) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	return w.q.QueryRow(w.ctx, sql, args...)
}

func (w within) SendBatch(_ context.Context, b *pgx.Batch) pgx.BatchResults {
	return w.q.SendBatch(w.ctx, b)
}

// later runs a write whose outcome the caller does not read: in a pipeTx it goes with the
// transaction's next statement or its commit, and fails that if it fails. onErr, if not
// nil, says what its error means for the store, wherever it surfaces.
func (t *tx) later(ctx context.Context, onErr func(error) error, sql string, args ...any) error {
	if p, ok := t.tx.(*pipeTx); ok {
		p.later(onErr, sql, args...)
		return nil
	}
	_, err := t.q.Exec(ctx, sql, args...)
	if err != nil && onErr != nil {
		err = onErr(err)
	}
	return err
}

// copyFrom copies rows into a table within the transaction, under its deadline.
func (t *tx) copyFrom(ctx context.Context, table string, columns []string, rows [][]any) (int64, error) {
	if t.tx == nil {
		return 0, ErrWriteInRead
	}
	if w, ok := t.q.(within); ok {
		ctx = w.ctx
	}
	return t.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
}

func isConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// classify turns driver errors into the store's failures. Errors that are already
// *errs.Error, and context errors, pass through. Driver detail is kept as the cause, for
// logs only.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if isConflict(err) {
		return errs.Wrap(err, errs.Aborted, errs.ReasonConcurrentUpdate,
			"the request conflicted with a concurrent change; retry it")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch class := pgErr.Code[:2]; {
		case pgErr.Code == "57014": // query_canceled: statement_timeout
			return errs.Wrap(describe(pgErr), errs.DeadlineExceeded, errs.ReasonDeadlineExceeded, "the database took too long to answer")
		case class == "08", pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", pgErr.Code == "53300",
			class == "28", pgErr.Code == "3D000": // connection, shutdown, too many clients, authentication, no database
			return unavailable(describe(pgErr))
		case pgErr.Code == "42P01", pgErr.Code == "3F000": // undefined table or schema: not migrated
			return errs.Wrap(describe(pgErr), errs.Unavailable, errs.ReasonStoreUnavailable,
				"the database schema is out of date; run `carepath migrate`")
		}
		return describe(pgErr)
	}
	// No server error: the connection failed or was lost.
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isNetwork(err) {
		return unavailable(err)
	}
	return fmt.Errorf("postgres: %w", err)
}

// describe tells a server error for the logs: its SQLSTATE, PostgreSQL's message and the
// table, column and constraint it names. The message is left out for data exceptions
// (class 22), whose messages quote the value that was refused (personal data, perhaps),
// and the detail, which quotes whole rows, always is.
func describe(e *pgconn.PgError) error {
	var b strings.Builder
	fmt.Fprintf(&b, "postgres: %s SQLSTATE %s: ", e.Severity, e.Code)
	if strings.HasPrefix(e.Code, "22") {
		b.WriteString("data exception (the message is not logged: it may quote a value)")
	} else {
		b.WriteString(e.Message)
	}
	for _, part := range [][2]string{{"table", e.TableName}, {"column", e.ColumnName}, {"constraint", e.ConstraintName}} {
		if part[1] != "" {
			fmt.Fprintf(&b, "; %s %s", part[0], part[1])
		}
	}
	return errors.New(b.String())
}

func unavailable(err error) error {
	return errs.Wrap(err, errs.Unavailable, errs.ReasonStoreUnavailable,
		"the database is unavailable; retry with backoff")
}

// isNetwork reports whether err is a network failure between us and the database.
func isNetwork(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
