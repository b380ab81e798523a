-- +goose Up
-- Who uses carepath: organisations and the people in them.
CREATE TABLE organisations (
    id                   text PRIMARY KEY,
    display_name         text        NOT NULL,
    type                 text        NOT NULL,
    revision             bigint      NOT NULL DEFAULT 1,
    create_time          timestamptz NOT NULL,
    update_time          timestamptz NOT NULL
);

-- A client certificate subject authenticates one organisation only.
CREATE TABLE organisation_certificates (
    subject         text PRIMARY KEY,
    organisation_id text NOT NULL REFERENCES organisations (id) ON DELETE CASCADE
);

CREATE TABLE people (
    id              text PRIMARY KEY,
    display_name    text        NOT NULL,
    organisation_id text        NOT NULL REFERENCES organisations (id),
    team            text        NOT NULL DEFAULT '',
    roles           text[]      NOT NULL,
    disabled        boolean     NOT NULL DEFAULT false,
    revision        bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);

CREATE INDEX people_organisation_idx ON people (organisation_id, team, id);

-- Information-sharing agreements between a council and a partner for a purpose.
CREATE TABLE sharing_agreements (
    id          uuid PRIMARY KEY,
    council_id  text        NOT NULL REFERENCES organisations (id),
    partner_id  text        NOT NULL REFERENCES organisations (id),
    purpose     text        NOT NULL,
    start_date  date        NOT NULL,
    end_date    date,
    reference   text        NOT NULL DEFAULT '',
    revision    bigint      NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL
);

CREATE INDEX sharing_agreements_council_idx ON sharing_agreements (council_id, partner_id, purpose);

-- The sharing of one young person with a partner for a purpose.
CREATE TABLE shares (
    id              uuid PRIMARY KEY,
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    partner_id      text        NOT NULL REFERENCES organisations (id),
    purpose         text        NOT NULL,
    basis           text        NOT NULL,
    start_date      date        NOT NULL,
    expiry_date     date        NOT NULL,
    withdraw_time   timestamptz,
    withdraw_reason text        NOT NULL DEFAULT '',
    recorded_by     text        NOT NULL,
    revision        bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL
);

CREATE INDEX shares_young_person_idx ON shares (young_person_id);
CREATE INDEX shares_partner_idx ON shares (partner_id, purpose, young_person_id) WHERE withdraw_time IS NULL;

-- A team manager's scope includes the council's young people without a personal adviser.
CREATE INDEX young_people_unallocated_idx ON young_people (council_id, id) WHERE personal_adviser_id IS NULL;

-- The audit trail: one record per access to personal data, hash-chained per chain (the
-- acting organisation). audit_heads holds each chain's last sequence number and hash, and
-- its row lock serialises appends to a chain.
CREATE TABLE audit_records (
    id             bigserial PRIMARY KEY,
    chain          text        NOT NULL,
    seq            bigint      NOT NULL,
    time           timestamptz NOT NULL,
    actor          text        NOT NULL,
    organisation   text        NOT NULL,
    roles          text[]      NOT NULL,
    purpose        text        NOT NULL,
    action         text        NOT NULL,
    outcome        text        NOT NULL,
    council        text        NOT NULL,
    young_people   uuid[]      NOT NULL,
    request_id     text        NOT NULL,
    client_address text        NOT NULL,
    prev_hash      bytea,
    hash           bytea       NOT NULL,
    UNIQUE (chain, seq)
);

CREATE INDEX audit_records_council_idx ON audit_records (council, id);
CREATE INDEX audit_records_young_people_idx ON audit_records USING gin (young_people);
CREATE INDEX audit_records_actor_idx ON audit_records (actor, id);

CREATE TABLE audit_heads (
    chain text PRIMARY KEY,
    seq   bigint NOT NULL,
    hash  bytea  NOT NULL
);

-- Append-only: changing or removing a record is refused. (A database superuser can still
-- do it with triggers disabled; the hash chain is what detects that.)
-- +goose StatementBegin
CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();

-- +goose Down
DROP INDEX young_people_unallocated_idx;
DROP TABLE audit_heads;
DROP TABLE audit_records;
DROP FUNCTION audit_records_append_only;
DROP TABLE shares;
DROP TABLE sharing_agreements;
DROP TABLE people;
DROP TABLE organisation_certificates;
DROP TABLE organisations;
