-- +goose Up
-- A council's partnership board's delivery plans, their actions (each led by one
-- organisation) and every change of an action, kept with who made it, when and why.
CREATE TABLE delivery_plans (
    council_id  text        NOT NULL REFERENCES organisations (id),
    id          text        NOT NULL,
    title       text        NOT NULL,
    year        integer     NOT NULL,
    revision    bigint      NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    PRIMARY KEY (council_id, id)
);

-- The action's detail travels as a document (detail); what is filtered or counted on is a
-- column.
CREATE TABLE plan_actions (
    id                   uuid PRIMARY KEY,
    council_id           text        NOT NULL,
    plan_id              text        NOT NULL,
    lead_organisation_id text        NOT NULL REFERENCES organisations (id),
    status               text        NOT NULL,
    rating               text        NOT NULL,
    detail               jsonb       NOT NULL,
    revision             bigint      NOT NULL DEFAULT 1,
    create_time          timestamptz NOT NULL,
    update_time          timestamptz NOT NULL,
    FOREIGN KEY (council_id, plan_id) REFERENCES delivery_plans (council_id, id)
);

CREATE INDEX plan_actions_council_idx ON plan_actions (council_id, id);
CREATE INDEX plan_actions_lead_idx ON plan_actions (council_id, lead_organisation_id);

CREATE TABLE plan_action_changes (
    id              uuid PRIMARY KEY,
    action_id       uuid        NOT NULL REFERENCES plan_actions (id),
    actor           text        NOT NULL,
    organisation_id text        NOT NULL,
    change_time     timestamptz NOT NULL,
    kind            text        NOT NULL,
    fields          text[]      NOT NULL DEFAULT '{}',
    reason          text        NOT NULL DEFAULT '',
    after           jsonb       NOT NULL
);

CREATE INDEX plan_action_changes_action_idx ON plan_action_changes (action_id, id);

-- +goose Down
DROP TABLE plan_action_changes;
DROP TABLE plan_actions;
DROP TABLE delivery_plans;
