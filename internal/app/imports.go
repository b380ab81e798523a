package app

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/carepath/carepath/internal/jobs"
	"github.com/carepath/carepath/internal/ssda903return"
)

// DefaultImportMaxBytes is the most CSV one import over the API may upload, all files
// together: a large council's return is some 10 to 20 MB.
const DefaultImportMaxBytes = 64 << 20

// importBodyBytes is the largest REST body of an import of maxBytes of CSV: JSON carries
// the files' bytes in base64 (4 bytes for 3), with room for the rest of the request.
func importBodyBytes(maxBytes int64) int64 { return maxBytes/3*4 + 4 + 64<<10 }

// importRoute is the REST route of ImportSsda903Return, the one route whose body may be
// larger than --max-body-bytes.
const importRoute = "POST /v1/organisations/{council}/ssda903Returns:import"

// importUploadTimeout is how long an import's REST upload may take to arrive, in place of
// the server's 30 s read timeout: the largest allowed (85 MB in base64) then needs about
// 140 kB/s, not 2.8 MB/s.
const importUploadTimeout = 10 * time.Minute

// importMethod is the gRPC method of the import, the one whose request may be larger than
// the server's default limit.
const importMethod = "/carepath.v1.Ssda903Service/ImportSsda903Return"

// importer runs imports uploaded over the API, with the service's clock.
func (a *App) importer() ssda903return.Importer {
	return ssda903return.Importer{Store: a.store, Planner: a.planner, Now: a.now, Workers: 2}
}

// runImport runs an operation's import in-process, for the memory store (PostgreSQL queues
// a River job with the operation instead). It runs until the app stops.
func (a *App) runImport(id string) {
	go func() {
		if err := a.importer().RunOperation(a.bg, id); err != nil && a.bg.Err() == nil {
			a.log.Error("import over the API failed to finish", "operation", id, "error", err)
		}
	}()
}

// importWorker runs imports as River jobs: once, by one replica, whatever restarts.
type importWorker struct {
	river.WorkerDefaults[jobs.ImportReturn]
	importer ssda903return.Importer
	timeout  time.Duration
}

func (w *importWorker) Work(ctx context.Context, job *river.Job[jobs.ImportReturn]) error {
	err := w.importer.RunOperation(ctx, job.Args.OperationID)
	if err != nil && ctx.Err() != nil {
		return river.JobSnooze(0) // stopping: another replica takes it up, finding done batches unchanged
	}
	return err
}

// Timeout lets an import run for longer than a webhook delivery, but end before River
// would take it for lost (--job-rescue-after) and start it again elsewhere.
func (w *importWorker) Timeout(*river.Job[jobs.ImportReturn]) time.Duration { return w.timeout }

// importWorkers adds the import worker and its queue to the River client: one import at a
// time on each replica.
func (a *App) importWorkers(rescueAfter time.Duration) func(*river.Workers) (map[string]river.QueueConfig, error) {
	return func(ws *river.Workers) (map[string]river.QueueConfig, error) {
		w := &importWorker{importer: a.importer(), timeout: rescueAfter - time.Minute}
		if err := river.AddWorkerSafely(ws, w); err != nil {
			return nil, err
		}
		return map[string]river.QueueConfig{jobs.ImportQueue: {MaxWorkers: 1}}, nil
	}
}
