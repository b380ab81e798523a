package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pipeTx is a read-committed transaction on one connection that costs as few round trips
// as its statements allow. Its BEGIN is not sent on its own: it goes with the first
// statement. Writes whose outcome the caller does not read (an audit entry, a readiness
// summary) can be deferred (later): they go with the next statement, or with the COMMIT.
// A call that reads once and writes its entity and audit so costs two or three round
// trips instead of one a statement and two for BEGIN and COMMIT.
//
// A deferred write that fails fails the statement it went with, or the commit, so the
// transaction still commits all of its writes or none. A statement always runs after the
// writes deferred before it, so the transaction reads its own writes.
//
// It is a pgx.Tx so that River can insert jobs in it; it has no nested transactions.
type pipeTx struct {
	conn   *pgx.Conn
	begun  bool      // BEGIN has been sent
	queued pgx.Batch // writes deferred, not sent yet
	// onErr turns the error of each write queued into the store's (nil: as it is).
	onErr []func(error) error
	ended bool // committed or rolled back
}

var _ pgx.Tx = (*pipeTx)(nil)

var errNested = errors.New("postgres: nested transactions are not used")

// later defers a write; if it fails, onErr (if not nil) says what the error means.
func (p *pipeTx) later(onErr func(error) error, sql string, args ...any) {
	p.queued.Queue(sql, args...)
	p.onErr = append(p.onErr, onErr)
}

// settled says whether a statement can go on its own: BEGIN sent and nothing deferred.
func (p *pipeTx) settled() bool { return p.begun && p.queued.Len() == 0 }

// SendBatch sends b after BEGIN, if not sent yet, and the deferred writes, in one round
// trip; the results are b's, and fail with the first error of those before them.
func (p *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if p.settled() {
		return p.conn.SendBatch(ctx, b)
	}
	all, onErr := &pgx.Batch{}, p.onErr
	if !p.begun {
		all.Queue("begin")
		onErr = append([]func(error) error{nil}, onErr...)
		p.begun = true
	}
	all.QueuedQueries = append(all.QueuedQueries, p.queued.QueuedQueries...)
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	p.queued, p.onErr = pgx.Batch{}, nil
	return &after{BatchResults: p.conn.SendBatch(ctx, all), onErr: onErr}
}

func (p *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if p.settled() {
		return p.conn.Exec(ctx, sql, args...)
	}
	rows, err := p.Query(ctx, sql, args...) // its rows, if any, unread
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

func (p *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if p.settled() {
		return p.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := p.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return rows, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (p *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if p.settled() {
		return p.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := p.Query(ctx, sql, args...)
	return firstRow{rows: rows, err: err}
}

// flush sends BEGIN and the deferred writes, if any are unsent, before a statement that
// cannot go in a batch (COPY, PREPARE).
func (p *pipeTx) flush(ctx context.Context) error {
	if p.settled() {
		return nil
	}
	br := p.SendBatch(ctx, &pgx.Batch{})
	return br.Close()
}

func (p *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error) {
	if err := p.flush(ctx); err != nil {
		return 0, err
	}
	return p.conn.CopyFrom(ctx, table, columns, rows)
}

func (p *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	return p.conn.Prepare(ctx, name, sql)
}

// Commit sends the deferred writes and COMMIT together. A transaction that sent nothing
// and deferred nothing ends without a round trip.
func (p *pipeTx) Commit(ctx context.Context) error {
	if p.ended {
		return pgx.ErrTxClosed
	}
	p.ended = true
	if !p.begun && p.queued.Len() == 0 {
		return nil
	}
	b := &pgx.Batch{}
	commit := b.Queue("commit")
	var tag pgconn.CommandTag
	commit.Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	if err := p.SendBatch(ctx, b).Close(); err != nil {
		p.rollback(ctx)
		return err
	}
	if tag.String() == "ROLLBACK" { // an error earlier had aborted the transaction
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback discards the deferred writes and, if BEGIN was sent, rolls back. After Commit
// it does nothing, as pgx's.
func (p *pipeTx) Rollback(ctx context.Context) error {
	if p.ended {
		return pgx.ErrTxClosed
	}
	p.ended = true
	return p.rollback(ctx)
}

func (p *pipeTx) rollback(ctx context.Context) error {
	p.queued, p.onErr = pgx.Batch{}, nil
	if !p.begun || p.conn.IsClosed() {
		return nil
	}
	// A connection left in a transaction (this failing too) is closed by the pool on release.
	_, err := p.conn.Exec(ctx, "rollback")
	return err
}

func (p *pipeTx) Begin(context.Context) (pgx.Tx, error) { return nil, errNested }
func (p *pipeTx) LargeObjects() pgx.LargeObjects        { return pgx.LargeObjects{} }
func (p *pipeTx) Conn() *pgx.Conn                       { return p.conn }

// after is the results of a batch whose first statements were sent ahead of the caller's,
// one for each of onErr: it reads theirs first, and fails with their error.
type after struct {
	pgx.BatchResults
	onErr []func(error) error // of the statements ahead not read yet
	err   error
}

func (a *after) ahead() error {
	for ; len(a.onErr) > 0 && a.err == nil; a.onErr = a.onErr[1:] {
		if _, a.err = a.BatchResults.Exec(); a.err != nil && a.onErr[0] != nil {
			a.err = a.onErr[0](a.err)
		}
	}
	return a.err
}

func (a *after) Exec() (pgconn.CommandTag, error) {
	if err := a.ahead(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return a.BatchResults.Exec()
}

func (a *after) Query() (pgx.Rows, error) {
	if err := a.ahead(); err != nil {
		return nil, err
	}
	return a.BatchResults.Query()
}

func (a *after) QueryRow() pgx.Row {
	if err := a.ahead(); err != nil {
		return errRow{err}
	}
	return a.BatchResults.QueryRow()
}

func (a *after) Close() error {
	err := a.ahead()
	if cerr := a.BatchResults.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchRows are a batch's one query's rows: closing them closes the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.err = r.br.Close()
	}
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is QueryRow over rows, as pgx's: the first row, or pgx.ErrNoRows.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		if r.rows != nil {
			r.rows.Close()
		}
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
