-- +goose Up
-- Audit records are written unsealed, in the transaction of the access they record, with one
-- INSERT and no lock; the sealer later gives each committed record the next place in its
-- chain (seq, prev_hash, hash) and stamps seal_time. Records of before were sealed as
-- written. reason says why a refused attempt was refused.
ALTER TABLE audit_records
    ALTER COLUMN seq DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD COLUMN reason    text NOT NULL DEFAULT '',
    ADD COLUMN seal_time timestamptz,
    ADD CONSTRAINT audit_records_sealed CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL OR seq > 0));

-- What the sealer looks for, and auditors count as not yet sealed.
CREATE INDEX audit_records_unsealed_idx ON audit_records (id) WHERE seq IS NULL;

-- The seal log: the sealer appends (chain, seq, hash) each time it extends a chain, in the
-- transaction that seals the records; the latest is the chain's head. It replaces the
-- updatable audit_heads table, which anyone who could write it could roll back or delete.
CREATE TABLE audit_seals (
    chain text        NOT NULL,
    seq   bigint      NOT NULL CHECK (seq > 0),
    hash  bytea       NOT NULL,
    time  timestamptz NOT NULL,
    PRIMARY KEY (chain, seq)
);
INSERT INTO audit_seals (chain, seq, hash, time) SELECT chain, seq, hash, now() FROM audit_heads WHERE seq > 0;
DROP TABLE audit_heads;
-- Each chain's head, for people reading the database; a view nobody can write.
CREATE VIEW audit_heads AS
    SELECT DISTINCT ON (chain) chain, seq, hash, time FROM audit_seals ORDER BY chain, seq DESC;

-- Records: no DELETE, and no UPDATE but the sealer's, which fills in the seal of an unsealed
-- record and changes nothing else. (The owner of the tables can still disable these
-- triggers: the service runs as another role, see `carepath migrate --app-role`, and a
-- rewrite by the owner or a superuser is what the hash chain and outside checkpoints catch.)
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
        AND (NEW.id, NEW.chain, NEW.time, NEW.actor, NEW.organisation, NEW.roles, NEW.purpose, NEW.action,
             NEW.outcome, NEW.reason, NEW.council, NEW.young_people, NEW.request_id, NEW.client_address)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.chain, OLD.time, OLD.actor, OLD.organisation, OLD.roles, OLD.purpose, OLD.action,
             OLD.outcome, OLD.reason, OLD.council, OLD.young_people, OLD.request_id, OLD.client_address)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records are append-only';
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- Seals: never changed or removed; a new one must extend its chain and vouch for the hash
-- its record has.
-- +goose StatementBegin
CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT'
        AND EXISTS (SELECT 1 FROM audit_records WHERE chain = NEW.chain AND seq = NEW.seq AND hash = NEW.hash)
        AND NOT EXISTS (SELECT 1 FROM audit_seals WHERE chain = NEW.chain AND seq >= NEW.seq)
    THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION 'an audit seal must extend its chain and match its record';
    END IF;
    RAISE EXCEPTION 'audit seals are append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_seals_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- +goose Down
-- Only a trail with every record sealed goes back (seq and hash become NOT NULL again).
DROP TRIGGER audit_seals_no_truncate ON audit_seals;
DROP TRIGGER audit_seals_append_only ON audit_seals;
DROP FUNCTION audit_seals_append_only;
DROP TRIGGER audit_records_no_truncate ON audit_records;
DROP FUNCTION audit_refuse_truncate;
DROP VIEW audit_heads;
CREATE TABLE audit_heads (
    chain text PRIMARY KEY,
    seq   bigint NOT NULL,
    hash  bytea  NOT NULL
);
INSERT INTO audit_heads (chain, seq, hash) SELECT DISTINCT ON (chain) chain, seq, hash FROM audit_seals ORDER BY chain, seq DESC;
DROP TABLE audit_seals;
DROP INDEX audit_records_unsealed_idx;
ALTER TABLE audit_records
    DROP CONSTRAINT audit_records_sealed,
    DROP COLUMN seal_time,
    DROP COLUMN reason,
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$;
-- +goose StatementEnd
