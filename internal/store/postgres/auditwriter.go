package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/carepath/carepath/internal/domain/audit"
)

// auditWriter writes the audit records of concurrent reads together. A read hands its
// records over once its statements have run and waits for them to commit, as before; a
// writer takes every read waiting at that moment and writes all their records in one
// INSERT, one commit for all. A commit costs the database far more than a row (on the
// 2-core development machine about 180 µs of its CPU, against 20 to 40 µs a row), so reads
// under load share it instead of each paying for one, and no read waits for another's
// commit for longer than one batch. Nothing about a read's guarantee changes: it answers
// only after its records have committed, and fails if they cannot be written. A read that
// gives up waiting (its deadline passed) may still have its records written afterwards: the
// trail may then hold a read that did not answer, never lack one that did.
type auditWriter struct {
	insert func(ctx context.Context, rs []audit.Record) error
	queue  chan *auditWrite
	maxTx  time.Duration
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup
}

// auditWrite is one read's records and where their fate is told.
type auditWrite struct {
	records []audit.Record
	result  chan error // buffered: a writer never waits on a read that gave up
}

const (
	// auditWriters is how many batches can be committing at once: one. Reads that finish
	// while it commits gather in the queue and go together in the next batch, so under load
	// batches are larger and commits fewer. Against two writers (one gathering while the
	// other commits), GetYoungPerson with 32 callers on the 2-core development machine
	// made about 17% more calls a second for about a sixth less CPU a call, in the server
	// and in the database alike; a lone read still has its records written at once.
	auditWriters = 1
	// maxAuditBatch bounds the records of one INSERT.
	maxAuditBatch = 1000
)

// errStoreClosed answers reads whose records were handed over as the store closed.
var errStoreClosed = errors.New("postgres: the store is closed")

// newAuditWriter starts as many goroutines as writers, each writing batches with insert.
func newAuditWriter(insert func(ctx context.Context, rs []audit.Record) error, maxTx time.Duration, writers int) *auditWriter {
	w := &auditWriter{insert: insert, queue: make(chan *auditWrite, 4*maxAuditBatch), maxTx: maxTx, done: make(chan struct{})}
	for range writers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.run()
		}()
	}
	return w
}

// write hands records over and waits until they have committed, failed, or ctx ends.
func (w *auditWriter) write(ctx context.Context, records []audit.Record) error {
	req := &auditWrite{records: records, result: make(chan error, 1)}
	select {
	case w.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		return errStoreClosed
	}
	select {
	case err := <-req.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		return errStoreClosed
	}
}

// close stops the writers; reads still waiting fail. Closing again does nothing.
func (w *auditWriter) close() {
	w.closed.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *auditWriter) run() {
	for {
		select {
		case <-w.done:
			return
		case first := <-w.queue:
			w.flush(w.gather(first))
		}
	}
}

// gather adds to first every write already waiting, up to maxAuditBatch records.
func (w *auditWriter) gather(first *auditWrite) []*auditWrite {
	batch, n := []*auditWrite{first}, len(first.records)
	for n < maxAuditBatch {
		select {
		case next := <-w.queue:
			batch, n = append(batch, next), n+len(next.records)
		default:
			return batch
		}
	}
	return batch
}

// flush writes a batch's records in one INSERT. If the database refuses them, each write is
// tried alone, so that one read's bad record fails that read and not the others it was
// gathered with.
func (w *auditWriter) flush(batch []*auditWrite) {
	ctx, cancel := context.WithTimeout(context.Background(), w.maxTx)
	defer cancel()
	if len(batch) == 1 {
		batch[0].result <- w.insert(ctx, batch[0].records)
		return
	}
	var all []audit.Record
	for _, req := range batch {
		all = append(all, req.records...)
	}
	err := w.insert(ctx, all)
	if err == nil || !refusedRows(err) {
		for _, req := range batch {
			req.result <- err
		}
		return
	}
	for _, req := range batch {
		req.result <- w.insert(ctx, req.records)
	}
}

// refusedRows says whether the database answered err about the statement itself (a value,
// a constraint, a trigger) rather than failing as a whole (connection, shutdown, resources),
// when trying each write alone would only fail again, more slowly.
func refusedRows(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "08", "53", "57", "58", "XX":
		return false
	}
	return true
}
