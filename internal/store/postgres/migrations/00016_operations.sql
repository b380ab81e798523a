-- +goose Up
-- Councils' long-running operations (AIP-151): an import of a return uploaded over the API,
-- worked by a River job (jobs.ImportReturn). audit is who asked, as the audit trail records
-- the young people the import writes; result or error is set when it is done.
CREATE TABLE operations (
    id              uuid        PRIMARY KEY,
    organisation_id text        NOT NULL REFERENCES organisations (id),
    kind            text        NOT NULL,
    stage           text        NOT NULL,
    children_done   integer     NOT NULL DEFAULT 0,
    children_total  integer     NOT NULL DEFAULT 0,
    audit           jsonb       NOT NULL,
    result          jsonb,
    error           jsonb,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);
CREATE INDEX operations_organisation_idx ON operations (organisation_id, id DESC);

-- The files an operation works on, until it is done: they hold personal data.
CREATE TABLE operation_files (
    operation_id uuid    NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    name         text    NOT NULL,
    content      bytea   NOT NULL,
    PRIMARY KEY (operation_id, position)
);

-- +goose Down
DROP TABLE operation_files;
DROP TABLE operations;
