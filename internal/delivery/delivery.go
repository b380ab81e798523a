// Package delivery sends reminders to organisations' webhook endpoints, by Standard
// Webhooks, and records each attempt. One attempt is Sender.Attempt; what runs attempts is
// River on PostgreSQL (RiverWorkers: durable jobs enqueued with the reminder) or, with the
// in-memory store, the in-process Dispatcher. Both give every attempt at a delivery the
// same webhook-id, so a receiver drops repeats; at-least-once is the promise, because a
// crash after the receiver answered but before the answer was recorded sends again.
package delivery

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/webhook"
	"github.com/carepath/carepath/internal/store"
)

// Sender makes delivery attempts.
type Sender struct {
	store    store.Store
	client   *http.Client
	schedule webhook.Schedule
	now      func() time.Time
	log      *slog.Logger
	outcomes *prometheus.CounterVec
}

// NewSender returns a sender that posts with client and retries on schedule. Its metrics,
// carepath_webhook_deliveries_total{outcome}, are registered with reg; an alert on
// outcome="failed" catches receivers down for longer than the schedule.
func NewSender(s store.Store, client *http.Client, schedule webhook.Schedule, now func() time.Time, log *slog.Logger,
	reg prometheus.Registerer) *Sender {
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carepath_webhook_deliveries_total",
		Help: "Webhook deliveries that ended, by outcome: delivered, failed (gave up after the retry schedule or 410 Gone) or cancelled.",
	}, []string{"outcome"})
	for _, o := range []string{"delivered", "failed", "cancelled"} {
		outcomes.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(outcomes)
	}
	return &Sender{store: s, client: client, schedule: schedule, now: now, log: log, outcomes: outcomes}
}

// ErrRetry is returned by Attempt when the delivery must be tried again later.
type ErrRetry struct {
	After  time.Duration
	Reason string
}

func (e *ErrRetry) Error() string { return "webhook delivery will be retried: " + e.Reason }

// Attempt makes the next attempt at delivery id unless it is over: it checks the reminder
// still applies and the endpoint may still hear of the young person (cancelling the
// delivery if not), posts it, and records the outcome. It returns *ErrRetry when another
// attempt is due later, and other errors when the store failed (the caller retries).
func (s *Sender) Attempt(ctx context.Context, id string) error {
	now := s.now()
	var (
		msg     *webhook.Message
		outcome string
	)
	err := s.store.InTx(ctx, func(tx store.Tx) (err error) {
		msg, outcome, err = s.prepare(ctx, tx, id, now)
		return err
	})
	if err != nil {
		return err
	}
	s.count(outcome)
	if msg == nil {
		return nil
	}
	res := webhook.Send(ctx, s.client, *msg)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the job runs again, with the same webhook-id
	}
	var (
		retry *ErrRetry
		d     domain.Delivery
	)
	err = s.store.InTx(ctx, func(tx store.Tx) (err error) {
		retry, d, outcome, err = s.record(ctx, tx, id, res, s.now())
		return err
	})
	if err != nil {
		return err
	}
	// Counted once committed: a transaction may run more than once.
	s.count(outcome)
	if outcome == "failed" {
		// The alert of a delivery given up on: this log and the metric, besides the
		// FAILED state the API shows.
		s.log.Error("webhook delivery failed; no more attempts", "delivery", d.ID, "endpoint", d.EndpointID,
			"organisation", d.OrganisationID, "attempts", d.Attempts, "last_error", d.LastError)
	}
	if retry != nil {
		return retry
	}
	return nil
}

// count records how a delivery ended ("" if it has not).
func (s *Sender) count(outcome string) {
	if outcome != "" {
		s.outcomes.WithLabelValues(outcome).Inc()
	}
}

// prepare loads a pending delivery and returns the message to send, or nil when there is
// nothing to send (it is over, or it was cancelled now).
func (s *Sender) prepare(ctx context.Context, tx store.Tx, id string, now time.Time) (*webhook.Message, string, error) {
	d, err := tx.GetDelivery(ctx, id)
	if errs.KindOf(err) == errs.NotFound { // its young person was deleted, and with them it
		return nil, "", nil
	}
	if err != nil || d.State != domain.DeliveryPending {
		return nil, "", err
	}
	if now.Add(time.Second).Before(d.NextAttemptTime) {
		// A job from before the delivery was cancelled and reopened: the delivery's own
		// job comes at its time.
		return nil, "", nil
	}
	r, err := tx.GetReminder(ctx, d.ReminderID)
	if err != nil {
		return nil, "", err
	}
	ep, err := tx.GetWebhookEndpoint(ctx, d.EndpointID)
	if err != nil {
		return nil, "", err
	}
	why := ""
	switch {
	case r.State == domain.ReminderCancelled:
		why = "the reminder no longer applies"
	case ep.Disabled:
		why = "the endpoint is disabled"
	default:
		ok, err := mayHear(ctx, tx, r, d.OrganisationID, civil.Today(now))
		if err != nil {
			return nil, "", err
		}
		if !ok {
			why = "the young person is no longer shared with the organisation"
		}
	}
	if why != "" {
		d.State, d.LastError, d.UpdateTime = domain.DeliveryCancelled, why, now
		_, err := tx.UpdateDelivery(ctx, d)
		return nil, "cancelled", err
	}
	body, err := Payload(r)
	if err != nil {
		return nil, "", err
	}
	// The timestamp is the real time of the attempt (Send's default): receivers check it
	// against their own clocks.
	return &webhook.Message{URL: ep.URL, ID: d.WebhookID, Body: body, Secrets: ep.ActiveSecrets(now)}, "", nil
}

// mayHear reports whether an organisation may still be told about the young person at send
// time: their own council always, a partner while it could look them up itself.
func mayHear(ctx context.Context, tx store.Tx, r domain.Reminder, org string, today civil.Date) (bool, error) {
	if org == r.CouncilID {
		return true, nil
	}
	partners, err := store.SharedPartners(ctx, tx, r.YoungPersonID, today)
	return partners[org], err
}

// record stores the outcome of an attempt and says when to retry, if at all, and how the
// delivery ended, if it did.
func (s *Sender) record(ctx context.Context, tx store.Tx, id string, res webhook.Result, now time.Time) (*ErrRetry, domain.Delivery, string, error) {
	d, err := tx.GetDelivery(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return nil, d, "", nil
	}
	if err != nil || d.State != domain.DeliveryPending {
		return nil, d, "", err
	}
	d.Attempts++
	d.UpdateTime = now
	var (
		retry   *ErrRetry
		outcome string
	)
	switch {
	case res.OK():
		d.State, d.DeliverTime, d.LastError = domain.DeliveryDelivered, now, ""
		outcome = "delivered"
	case res.Gone():
		d.State, d.LastError = domain.DeliveryFailed, res.Describe()+": the endpoint was disabled"
		if err := disable(ctx, tx, d.EndpointID, "the receiver answered 410 Gone", now); err != nil {
			return nil, d, "", err
		}
		outcome = "failed"
	default:
		d.LastError = res.Describe()
		wait, ok := s.schedule.Next(d.Attempts)
		// Honour Retry-After, but not beyond the schedule's window: a receiver cannot
		// stretch the attempts past about three days.
		if remaining := d.CreateTime.Add(s.schedule.Window()).Sub(now); res.RetryAfter > wait && remaining > wait {
			wait = min(res.RetryAfter, remaining)
		}
		if !ok {
			d.State, outcome = domain.DeliveryFailed, "failed"
			break
		}
		d.NextAttemptTime = now.Add(wait)
		retry = &ErrRetry{After: wait, Reason: d.LastError}
	}
	d, err = tx.UpdateDelivery(ctx, d)
	return retry, d, outcome, err
}

func disable(ctx context.Context, tx store.Tx, endpointID, reason string, now time.Time) error {
	ep, err := tx.GetWebhookEndpoint(ctx, endpointID)
	if err != nil || ep.Disabled {
		return err
	}
	ep.Disabled, ep.DisabledReason, ep.UpdateTime = true, reason, now
	_, err = tx.UpdateWebhookEndpoint(ctx, ep, ep.Revision)
	return err
}

// payload is the body of a delivery: identifiers and what the reminder is about, never
// personal data. The receiver reads details from the API, which checks and audits access.
type payload struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      payloadData `json:"data"`
}

type payloadData struct {
	Reminder    string `json:"reminder"`
	YoungPerson string `json:"young_person"`
	Milestone   string `json:"milestone,omitempty"`
	Rule        string `json:"rule"`
	Title       string `json:"title"`
	DueDate     string `json:"due_date"`
	Recipient   string `json:"recipient"`
}

// EventType is the Standard Webhooks event type of a raised reminder.
const EventType = "reminder.raised"

// Payload is the JSON body delivered for a reminder; the same bytes on every attempt.
func Payload(r domain.Reminder) ([]byte, error) {
	p := payload{Type: EventType, Timestamp: r.CreateTime.UTC(), Data: payloadData{
		Reminder: "reminders/" + r.ID, YoungPerson: "youngPeople/" + r.YoungPersonID, Rule: r.Rule, Title: r.Title,
		DueDate: r.DueOn.String(), Recipient: string(r.Recipient)}}
	if r.MilestoneID != "" {
		p.Data.Milestone = "youngPeople/" + r.YoungPersonID + "/milestones/" + r.MilestoneID
	}
	return json.Marshal(p)
}
