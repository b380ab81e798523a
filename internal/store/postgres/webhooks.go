package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/jobs"
	"github.com/carepath/carepath/internal/store"
)

// endpointColumns are an endpoint's columns (the table as e) with its failed deliveries
// counted.
const endpointColumns = `e.id, e.organisation_id, e.url, e.description, e.disabled, e.disabled_reason, e.secrets,
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'FAILED'),
	e.revision, e.create_time, e.update_time`

// secretJSON is a secret as stored in webhook_endpoints.secrets.
type secretJSON struct {
	Secret     string     `json:"secret"`
	CreateTime time.Time  `json:"create_time"`
	Expires    *time.Time `json:"expires,omitempty"`
}

// secretsArg encodes secrets as a JSON array, with times in UTC to the microsecond as
// PostgreSQL keeps timestamps.
func secretsArg(secrets []domain.WebhookSecret) string {
	out := make([]secretJSON, len(secrets))
	for i, s := range secrets {
		out[i] = secretJSON{Secret: s.Secret, CreateTime: s.CreateTime.UTC().Truncate(time.Microsecond)}
		if !s.Expires.IsZero() {
			exp := s.Expires.UTC().Truncate(time.Microsecond)
			out[i].Expires = &exp
		}
	}
	b, _ := json.Marshal(out) // strings and times always marshal
	return string(b)
}

func scanEndpoint(row pgx.Row) (domain.WebhookEndpoint, error) {
	var (
		e       domain.WebhookEndpoint
		secrets []byte
		failed  int64
	)
	err := row.Scan(&e.ID, &e.OrganisationID, &e.URL, &e.Description, &e.Disabled, &e.DisabledReason, &secrets,
		&failed, &e.Revision, &e.CreateTime, &e.UpdateTime)
	if err != nil {
		return e, err
	}
	var stored []secretJSON
	if err := json.Unmarshal(secrets, &stored); err != nil {
		return e, fmt.Errorf("postgres: webhook endpoint %s: secrets: %w", e.ID, err)
	}
	for _, s := range stored {
		e.Secrets = append(e.Secrets, domain.WebhookSecret{Secret: s.Secret, CreateTime: s.CreateTime.UTC(),
			Expires: fromTimestamp(s.Expires)})
	}
	e.FailedDeliveries = int(failed)
	e.CreateTime, e.UpdateTime = e.CreateTime.UTC(), e.UpdateTime.UTC()
	return e, nil
}

func (t *tx) CreateWebhookEndpoint(ctx context.Context, e domain.WebhookEndpoint) (domain.WebhookEndpoint, error) {
	created, err := scanEndpoint(t.q.QueryRow(ctx, `INSERT INTO webhook_endpoints AS e (id, organisation_id, url,
		description, disabled, disabled_reason, secrets, revision, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 1, $8, $9) RETURNING `+endpointColumns,
		e.ID, e.OrganisationID, e.URL, e.Description, e.Disabled, e.DisabledReason, secretsArg(e.Secrets),
		e.CreateTime, e.UpdateTime))
	return created, writeError(err)
}

func (t *tx) GetWebhookEndpoint(ctx context.Context, id string) (domain.WebhookEndpoint, error) {
	e, err := scanEndpoint(t.q.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, store.ErrWebhookEndpointNotFound
	}
	return e, err
}

func (t *tx) ListWebhookEndpoints(ctx context.Context, organisationID, afterID string, limit int) ([]domain.WebhookEndpoint, error) {
	rows, err := t.q.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e
		WHERE ($1 = '' OR e.organisation_id = $1) AND e.id > $2 ORDER BY e.id LIMIT $3`, organisationID, afterID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.WebhookEndpoint, error) { return scanEndpoint(r) })
}

// UpdateWebhookEndpoint changes everything but the organisation and create time.
func (t *tx) UpdateWebhookEndpoint(ctx context.Context, e domain.WebhookEndpoint, ifRevision int64) (domain.WebhookEndpoint, error) {
	updated, err := scanEndpoint(t.q.QueryRow(ctx, `UPDATE webhook_endpoints e SET url = $2, description = $3,
		disabled = $4, disabled_reason = $5, secrets = $6::jsonb, update_time = $7, revision = e.revision + 1
		WHERE e.id = $1 AND ($8::bigint = 0 OR e.revision = $8) RETURNING `+endpointColumns,
		e.ID, e.URL, e.Description, e.Disabled, e.DisabledReason, secretsArg(e.Secrets), e.UpdateTime, ifRevision))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, t.missingOrStale(ctx, "webhook_endpoints", e.ID, store.ErrWebhookEndpointNotFound)
	}
	return updated, err
}

const deliveryColumns = `id, reminder_id, endpoint_id, organisation_id, webhook_id, state, attempts,
	next_attempt_time, last_error, create_time, update_time, deliver_time`

func scanDelivery(row pgx.Row) (domain.Delivery, error) {
	var (
		d               domain.Delivery
		state           string
		next, delivered *time.Time
	)
	err := row.Scan(&d.ID, &d.ReminderID, &d.EndpointID, &d.OrganisationID, &d.WebhookID, &state, &d.Attempts,
		&next, &d.LastError, &d.CreateTime, &d.UpdateTime, &delivered)
	d.State, d.NextAttemptTime, d.DeliverTime = domain.DeliveryState(state), fromTimestamp(next), fromTimestamp(delivered)
	d.CreateTime, d.UpdateTime = d.CreateTime.UTC(), d.UpdateTime.UTC()
	return d, err
}

// AddDeliveries stores the deliveries in one statement, as AddReminders does: of those
// for one reminder and endpoint only the first is kept; one whose reminder and endpoint
// have a cancelled delivery reopens that one (which keeps its id and webhook id, so that
// the same reminder goes to an endpoint under one webhook id), one whose reminder and
// endpoint have a delivery in another state is left out, as is one whose reminder or
// endpoint does not exist. It queues a River job for each stored one, in the transaction.
func (t *tx) AddDeliveries(ctx context.Context, ds []domain.Delivery) ([]domain.Delivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	n := len(ds)
	var (
		ids, reminders, endpoints, orgs = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		webhookIDs, states, lastErrors  = make([]string, n), make([]string, n), make([]string, n)
		attempts                        = make([]int32, n)
		nexts, delivered                = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		creates, updates                = make([]time.Time, n), make([]time.Time, n)
	)
	for i, d := range ds {
		ids[i], reminders[i], endpoints[i], orgs[i] = d.ID, d.ReminderID, d.EndpointID, d.OrganisationID
		webhookIDs[i], states[i], lastErrors[i], attempts[i] = d.WebhookID, string(d.State), d.LastError, int32(d.Attempts)
		nexts[i], delivered[i], creates[i], updates[i] = timestampArg(d.NextAttemptTime), timestampArg(d.DeliverTime), d.CreateTime, d.UpdateTime
	}
	rows, err := t.q.Query(ctx, `
		WITH p AS (
			SELECT DISTINCT ON (reminder_id, endpoint_id) *
			FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[],
				$8::timestamptz[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
				WITH ORDINALITY AS p(id, reminder_id, endpoint_id, organisation_id, webhook_id, state, attempts,
					next_attempt_time, last_error, create_time, update_time, deliver_time, n)
			ORDER BY reminder_id, endpoint_id, n
		), stored AS (
			INSERT INTO webhook_deliveries (id, reminder_id, endpoint_id, organisation_id, webhook_id, state, attempts,
				next_attempt_time, last_error, create_time, update_time, deliver_time)
			SELECT p.id, p.reminder_id, p.endpoint_id, p.organisation_id, p.webhook_id, p.state, p.attempts,
				p.next_attempt_time, p.last_error, p.create_time, p.update_time, p.deliver_time
			FROM p
			JOIN reminders r ON r.id = p.reminder_id -- skips the missing
			JOIN webhook_endpoints e ON e.id = p.endpoint_id
			ORDER BY p.n
			ON CONFLICT (reminder_id, endpoint_id) DO UPDATE
				SET state = 'PENDING', attempts = 0, last_error = '', next_attempt_time = excluded.next_attempt_time,
					update_time = excluded.update_time, deliver_time = NULL
				WHERE webhook_deliveries.state = 'CANCELLED'
			RETURNING `+deliveryColumns+`
		)
		SELECT `+prefixed("s", deliveryColumns)+` FROM stored s
		JOIN p ON p.reminder_id = s.reminder_id AND p.endpoint_id = s.endpoint_id
		ORDER BY p.n`,
		ids, reminders, endpoints, orgs, webhookIDs, states, attempts, nexts, lastErrors, creates, updates, delivered)
	if err != nil {
		return nil, keyError(err, store.ErrReminderNotFound)
	}
	added, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, keyError(err, store.ErrReminderNotFound)
	}
	if len(added) == 0 {
		return added, nil
	}
	params := make([]river.InsertManyParams, len(added))
	for i, d := range added {
		// A new delivery's first attempt is due at once: the job is available now, on River's
		// own clock (never scheduled from the service's, which tests and demonstrations may
		// shift). Retries are snoozed for a duration, so they keep to the schedule either way.
		params[i] = river.InsertManyParams{Args: jobs.Deliver{DeliveryID: d.ID},
			InsertOpts: &river.InsertOpts{Queue: jobs.Queue, MaxAttempts: jobs.MaxAttempts}}
	}
	if _, err := t.river.InsertManyTx(ctx, t.tx, params); err != nil {
		return nil, fmt.Errorf("postgres: queue deliveries: %w", err)
	}
	return added, nil
}

func (t *tx) GetDelivery(ctx context.Context, id string) (domain.Delivery, error) {
	d, err := scanDelivery(t.q.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, store.ErrDeliveryNotFound
	}
	return d, err
}

// UpdateDelivery stores the outcome of an attempt; the rest of the delivery never changes.
func (t *tx) UpdateDelivery(ctx context.Context, d domain.Delivery) (domain.Delivery, error) {
	updated, err := scanDelivery(t.q.QueryRow(ctx, `UPDATE webhook_deliveries SET state = $2, attempts = $3,
		next_attempt_time = $4, last_error = $5, update_time = $6, deliver_time = $7
		WHERE id = $1 RETURNING `+deliveryColumns,
		d.ID, string(d.State), d.Attempts, timestampArg(d.NextAttemptTime), d.LastError, d.UpdateTime,
		timestampArg(d.DeliverTime)))
	if errors.Is(err, pgx.ErrNoRows) {
		return updated, store.ErrDeliveryNotFound
	}
	return updated, err
}

func (t *tx) ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]domain.Delivery, error) {
	var args sqlArgs
	cond := "true"
	if q.OrganisationID != "" {
		cond += " AND organisation_id = " + args.add(q.OrganisationID)
	}
	if q.EndpointID != "" {
		cond += " AND endpoint_id = " + args.add(q.EndpointID)
	}
	if q.ReminderID != "" {
		cond += " AND reminder_id = " + args.add(q.ReminderID) + "::uuid"
	}
	if len(q.States) > 0 {
		cond += " AND state = ANY(" + args.add(strs(q.States)) + "::text[])"
	}
	if q.BeforeID != "" {
		cond += " AND id < " + args.add(q.BeforeID) + "::uuid"
	}
	rows, err := t.q.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE `+cond+
		` ORDER BY id DESC LIMIT `+args.add(q.Limit), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Delivery, error) { return scanDelivery(r) })
}

func (t *tx) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]domain.Delivery, error) {
	rows, err := t.q.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE state = 'PENDING' AND next_attempt_time <= $1
		ORDER BY next_attempt_time, id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Delivery, error) { return scanDelivery(r) })
}

// RequeueDeliveries selects and reopens the deliveries in one statement, then queues their
// jobs in the transaction, as AddDeliveries does.
func (t *tx) RequeueDeliveries(ctx context.Context, q store.RequeueQuery, now time.Time) ([]store.Requeued, error) {
	if q.Limit <= 0 || len(q.States) == 0 {
		return nil, nil
	}
	var ids []string
	if q.IDs != nil {
		ids = q.IDs
		if len(ids) == 0 {
			return nil, nil
		}
	}
	pick, args := requeuePick(q, ids)
	at := args.add(now)
	rows, err := t.q.Query(ctx, `
		WITH picked AS (`+pick+` FOR UPDATE
		), requeued AS (
			UPDATE webhook_deliveries d SET state = 'PENDING', attempts = 0, last_error = '',
				next_attempt_time = `+at+`, update_time = `+at+`, deliver_time = NULL
			FROM picked WHERE d.id = picked.id
			RETURNING `+prefixed("d", deliveryColumns)+`
		)
		SELECT `+prefixed("q", deliveryColumns)+`, r.young_person_id, r.council_id
		FROM requeued q JOIN reminders r ON r.id = q.reminder_id
		ORDER BY q.id`, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Requeued, error) {
		var x store.Requeued
		var (
			state           string
			next, delivered *time.Time
		)
		d := &x.Delivery
		err := r.Scan(&d.ID, &d.ReminderID, &d.EndpointID, &d.OrganisationID, &d.WebhookID, &state, &d.Attempts,
			&next, &d.LastError, &d.CreateTime, &d.UpdateTime, &delivered, &x.YoungPersonID, &x.CouncilID)
		d.State, d.NextAttemptTime, d.DeliverTime = domain.DeliveryState(state), fromTimestamp(next), fromTimestamp(delivered)
		d.CreateTime, d.UpdateTime = d.CreateTime.UTC(), d.UpdateTime.UTC()
		return x, err
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	params := make([]river.InsertManyParams, len(out))
	for i, x := range out {
		params[i] = river.InsertManyParams{Args: jobs.Deliver{DeliveryID: x.Delivery.ID},
			InsertOpts: &river.InsertOpts{Queue: jobs.Queue, MaxAttempts: jobs.MaxAttempts}}
	}
	if _, err := t.river.InsertManyTx(ctx, t.tx, params); err != nil {
		return nil, fmt.Errorf("postgres: queue deliveries: %w", err)
	}
	return out, nil
}

// requeuePick selects the ids of the deliveries RequeueDeliveries sends again, and its
// arguments. An API call's plan is made once for any values (plans.go), so each filter
// given is a condition of its own in the text: redelivering one delivery reads that one,
// where a plan made to serve any filter read the endpoint's deliveries from its first.
func requeuePick(q store.RequeueQuery, ids []string) (string, sqlArgs) {
	args := sqlArgs{q.EndpointID, strs(q.States)}
	cond := ""
	if ids != nil {
		cond += " AND id = ANY(" + args.add(ids) + "::uuid[])"
	}
	if q.AfterID != "" {
		cond += " AND id > " + args.add(q.AfterID) + "::uuid"
	}
	if !q.Since.IsZero() {
		cond += " AND create_time >= " + args.add(q.Since) + "::timestamptz"
	}
	return `SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND state = ANY($2::text[])` + cond +
		` ORDER BY id LIMIT ` + args.add(q.Limit), args
}
