package domain

import (
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
)

// ReminderState is where a reminder is in its life.
type ReminderState string

const (
	// ReminderOpen is waiting for its recipient (or snoozed: see Reminder.SnoozeUntil).
	ReminderOpen ReminderState = "OPEN"
	// ReminderAcknowledged was seen and taken on by its recipient.
	ReminderAcknowledged ReminderState = "ACKNOWLEDGED"
	// ReminderCancelled no longer applies (the milestone was done, the sharing withdrawn,
	// the young person turned 25, ...); it is never sent.
	ReminderCancelled ReminderState = "CANCELLED"
)

// Reminder is one nudge to one recipient: that a milestone is coming up, due or overdue, or
// that a young person has reached an age threshold. There is at most one per young person,
// rule, milestone, due date and recipient.
type Reminder struct {
	ID            string
	YoungPersonID string
	CouncilID     string
	// Rule is the rule that raised it, such as "milestone.lead.30d", "milestone.due",
	// "milestone.overdue" or "age.16y3m".
	Rule string
	// MilestoneID is the milestone it is about; "" for an age notice.
	MilestoneID string
	// Title says what it is about: a milestone's title or the age threshold; never personal
	// data.
	Title string
	// DueOn is the day it is due (sent at the council's send time, Europe/London).
	DueOn     civil.Date
	Recipient Recipient
	State     ReminderState
	// SnoozeUntil hides an open reminder from its recipient's inbox until then.
	SnoozeUntil  time.Time
	CancelReason string
	CreateTime   time.Time
	UpdateTime   time.Time
	Revision     int64
}

// Recipient is who a reminder is addressed to: a person or an organisation, named as in
// the API ("people/{id}" or "organisations/{id}").
type Recipient string

// PersonRecipient and OrganisationRecipient name recipients.
func PersonRecipient(id string) Recipient       { return Recipient("people/" + id) }
func OrganisationRecipient(id string) Recipient { return Recipient("organisations/" + id) }

// Person returns the person's id, if the recipient is a person.
func (r Recipient) Person() (string, bool) { return strings.CutPrefix(string(r), "people/") }

// Organisation returns the organisation's id, if the recipient is an organisation.
func (r Recipient) Organisation() (string, bool) {
	return strings.CutPrefix(string(r), "organisations/")
}

// WebhookEndpoint is where an organisation's system receives its reminders.
type WebhookEndpoint struct {
	ID             string
	OrganisationID string
	URL            string
	Description    string
	Disabled       bool
	// DisabledReason says why (the receiver answered 410 Gone, or an administrator).
	DisabledReason string
	// Secrets sign deliveries (Standard Webhooks "whsec_..." form); during a rotation there
	// are two, newest first, and every delivery is signed with both.
	Secrets []WebhookSecret
	// FailedDeliveries counts deliveries that ended FAILED and were not redelivered: the
	// alert an administrator sees.
	FailedDeliveries int
	CreateTime       time.Time
	UpdateTime       time.Time
	Revision         int64
}

// WebhookSecret is one signing secret of an endpoint; it signs until Expires (zero: no end).
type WebhookSecret struct {
	Secret     string
	CreateTime time.Time
	Expires    time.Time
}

// ActiveSecrets returns the secrets that sign at now.
func (e WebhookEndpoint) ActiveSecrets(now time.Time) []string {
	var out []string
	for _, s := range e.Secrets {
		if s.Expires.IsZero() || now.Before(s.Expires) {
			out = append(out, s.Secret)
		}
	}
	return out
}

// DeliveryState is where a webhook delivery is in its life.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "PENDING"
	DeliveryDelivered DeliveryState = "DELIVERED"
	// DeliveryFailed gave up after the retry schedule, or the endpoint is gone (410).
	DeliveryFailed DeliveryState = "FAILED"
	// DeliveryCancelled was not sent because its reminder no longer applies or the
	// recipient may no longer see the young person.
	DeliveryCancelled DeliveryState = "CANCELLED"
)

// Delivery is the sending of one reminder to one webhook endpoint. WebhookID is the same
// on every attempt, so receivers can drop repeats.
type Delivery struct {
	ID             string
	ReminderID     string
	EndpointID     string
	OrganisationID string
	WebhookID      string
	State          DeliveryState
	Attempts       int
	// NextAttemptTime is when the next attempt is due while Pending.
	NextAttemptTime time.Time
	// LastError describes the last failed attempt ("HTTP 503", "timeout", ...), never the
	// response body.
	LastError   string
	CreateTime  time.Time
	UpdateTime  time.Time
	DeliverTime time.Time
}

// NewDelivery is a pending delivery of a reminder to an endpoint, due at once. id is a new
// time-ordered id; the webhook id, the same on every attempt, derives from it.
func NewDelivery(id, reminderID string, ep WebhookEndpoint, now time.Time) Delivery {
	return Delivery{ID: id, ReminderID: reminderID, EndpointID: ep.ID, OrganisationID: ep.OrganisationID,
		WebhookID: "msg_" + strings.ReplaceAll(id, "-", ""), State: DeliveryPending, NextAttemptTime: now,
		CreateTime: now, UpdateTime: now}
}
