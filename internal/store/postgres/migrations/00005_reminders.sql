-- +goose Up
-- Reminders: one nudge to one recipient ("people/{id}" or "organisations/{id}") about a
-- milestone ('' for an age notice, so no foreign key) or an age threshold. Ids are UUIDv7,
-- so id order is creation order. The unique key stops the planner raising one twice.
CREATE TABLE reminders (
    id              uuid PRIMARY KEY,
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    council_id      text        NOT NULL,
    rule            text        NOT NULL,
    milestone_id    text        NOT NULL DEFAULT '',
    title           text        NOT NULL,
    due_on          date        NOT NULL,
    recipient       text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('OPEN', 'ACKNOWLEDGED', 'CANCELLED')),
    snooze_until    timestamptz,
    cancel_reason   text        NOT NULL DEFAULT '',
    revision        bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL,
    CONSTRAINT reminders_key UNIQUE (young_person_id, rule, milestone_id, due_on, recipient)
);

-- A recipient's reminders and a young person's, newest first; a recipient's open
-- reminders (the inbox) have an index of their own, as most reminders are not open.
CREATE INDEX reminders_recipient_idx ON reminders (recipient, id DESC);
CREATE INDEX reminders_recipient_open_idx ON reminders (recipient, id DESC) WHERE state = 'OPEN';
CREATE INDEX reminders_young_person_idx ON reminders (young_person_id, id DESC);

-- When each young person's reminders must next be worked out; no row: never again.
CREATE TABLE reminder_schedules (
    young_person_id uuid        PRIMARY KEY REFERENCES young_people (id) ON DELETE CASCADE,
    next_time       timestamptz NOT NULL
);

CREATE INDEX reminder_schedules_next_time_idx ON reminder_schedules (next_time, young_person_id);

-- Young people stored before this migration have their reminders worked out at the next sweep.
INSERT INTO reminder_schedules (young_person_id, next_time) SELECT id, now() FROM young_people;

-- Organisations' webhook endpoints. Ids compare byte by byte (as the memory store's do),
-- whatever the database's collation. secrets is a JSON array of
-- {"secret", "create_time", "expires"}, newest first.
CREATE TABLE webhook_endpoints (
    id              text COLLATE "C" PRIMARY KEY,
    organisation_id text        NOT NULL REFERENCES organisations (id),
    url             text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    disabled        boolean     NOT NULL DEFAULT false,
    disabled_reason text        NOT NULL DEFAULT '',
    secrets         jsonb       NOT NULL DEFAULT '[]',
    revision        bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);

CREATE INDEX webhook_endpoints_organisation_idx ON webhook_endpoints (organisation_id, id);

-- The sending of one reminder to one endpoint. A River job (kind carepath.deliver_webhook)
-- queued in the same transaction as the row does the sending.
CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY,
    reminder_id       uuid             NOT NULL REFERENCES reminders (id) ON DELETE CASCADE,
    endpoint_id       text COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    organisation_id   text             NOT NULL,
    webhook_id        text             NOT NULL UNIQUE,
    state             text             NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED', 'CANCELLED')),
    attempts          integer          NOT NULL DEFAULT 0,
    next_attempt_time timestamptz,
    last_error        text             NOT NULL DEFAULT '',
    create_time       timestamptz      NOT NULL,
    update_time       timestamptz      NOT NULL,
    deliver_time      timestamptz,
    CONSTRAINT webhook_deliveries_key UNIQUE (reminder_id, endpoint_id)
);

-- Deliveries due to be attempted, earliest first.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_time, id) WHERE state = 'PENDING';
-- Each endpoint's failed deliveries are counted with it.
CREATE INDEX webhook_deliveries_failed_idx ON webhook_deliveries (endpoint_id) WHERE state = 'FAILED';
-- Listings of an endpoint's and an organisation's deliveries, newest first.
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_organisation_idx ON webhook_deliveries (organisation_id, id DESC);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE reminder_schedules;
DROP TABLE reminders;
