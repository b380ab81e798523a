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
