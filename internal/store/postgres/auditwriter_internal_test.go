package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/domain/audit"
)

// TestReadsThatEndDuringACommitGoInTheNextBatch: with the store's writers, the reads that
// end while a batch commits wait, and all go in the next INSERT together (a second writer
// would take them one by one as they came).
func TestReadsThatEndDuringACommitGoInTheNextBatch(t *testing.T) {
	committing, commit := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var inserts []int
	w := newAuditWriter(func(ctx context.Context, rs []audit.Record) error {
		mu.Lock()
		inserts = append(inserts, len(rs))
		first := len(inserts) == 1
		mu.Unlock()
		if first {
			close(committing)
			<-commit
		}
		return nil
	}, time.Minute, auditWriters)
	defer w.close()

	var wg sync.WaitGroup
	read := func() {
		wg.Go(func() {
			if err := w.write(context.Background(), []audit.Record{{Actor: "a"}}); err != nil {
				t.Error(err)
			}
		})
	}
	read()
	<-committing
	const later = 5
	for range later {
		read()
	}
	// Until all of them wait (elapsed time, not a date: the writer is held meanwhile).
wait:
	for giveUp := time.After(5 * time.Second); len(w.queue) < later; {
		select {
		case <-giveUp:
			t.Errorf("%d of %d reads queued", len(w.queue), later)
			break wait
		case <-time.After(time.Millisecond):
		}
	}
	close(commit)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if want := []int{1, later}; !slices.Equal(inserts, want) {
		t.Errorf("records an INSERT: %v, want %v", inserts, want)
	}
}
