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

	ctx := context.Background()
	read := func(wg *sync.WaitGroup) {
		wg.Go(func() {
			if err := w.write(ctx, []audit.Record{{Actor: "a"}}); err != nil {
				t.Error(err)
			}
		})
	}
	var wg sync.WaitGroup
	read(&wg)
	<-committing
	const later = 5
	for range later {
		read(&wg)
	}
	for deadline := time.Now().Add(5 * time.Second); len(w.queue) < later && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(commit)
	wg.Wait()
	if want := []int{1, later}; !slices.Equal(inserts, want) {
		t.Errorf("records an INSERT: %v, want %v", inserts, want)
	}
}
