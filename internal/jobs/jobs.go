// Package jobs defines carepath's background jobs as River sees them: their kinds and
// arguments. Arguments carry ids only, never personal data, because River keeps them in
// its own table and logs.
package jobs

// Deliver sends one webhook delivery (domain.Delivery) and records the outcome.
type Deliver struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind is the job's name in River's table.
func (Deliver) Kind() string { return "carepath.deliver_webhook" }

// Queue is the River queue deliveries run on.
const Queue = "webhooks"

// MaxAttempts bounds River's attempts at a delivery job. carepath's own retry schedule
// (shorter) decides when a delivery has failed; this only has to be larger, so that River
// never discards a job carepath still means to retry.
const MaxAttempts = 50

// ImportReturn runs the import of a council's SSDA903 return uploaded over the API: the
// long-running operation it names holds the files and records the outcome.
type ImportReturn struct {
	OperationID string `json:"operation_id"`
}

// Kind is the job's name in River's table.
func (ImportReturn) Kind() string { return "carepath.import_ssda903_return" }

// ImportQueue is the River queue imports run on, one at a time on each replica: an import
// writes many young people and should not crowd out the service's other work.
const ImportQueue = "imports"

// ImportMaxAttempts bounds River's attempts at an import. A worker that stops on shutdown
// snoozes its job for another replica without using one up; an attempt that fails leaves
// the operation done with the error, so a retry finds nothing to do.
const ImportMaxAttempts = 5
