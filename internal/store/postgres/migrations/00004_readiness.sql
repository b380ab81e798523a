-- +goose Up
-- Records of verified yes/no facts about young people. Append-only: a fact's value on a day
-- is its latest record made by then.
CREATE TABLE facts (
    id              uuid PRIMARY KEY,
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    key             text        NOT NULL,
    value           boolean     NOT NULL,
    effective_date  date        NOT NULL,
    evidence_type   text        NOT NULL,
    note            text        NOT NULL DEFAULT '',
    recorded_by     text        NOT NULL,
    organisation_id text        NOT NULL,
    record_time     timestamptz NOT NULL
);

-- A young person's records, oldest first (ListFacts, LoadPathways).
CREATE INDEX facts_young_person_idx ON facts (young_person_id, record_time, id);

-- Each young person's latest cliff-edge summary, for councils' views. council_id is the
-- summary's (the young person's when assessed); rating_rank orders ratings worst first
-- (RED 0, AMBER 1, GREEN 2).
CREATE TABLE readiness (
    young_person_id     uuid     PRIMARY KEY REFERENCES young_people (id) ON DELETE CASCADE,
    council_id          text     NOT NULL,
    eighteenth_birthday date     NOT NULL,
    rating              text     NOT NULL,
    rating_rank         smallint NOT NULL,
    failing_checks      text[]   NOT NULL DEFAULT '{}',
    failing_ambitions   text[]   NOT NULL DEFAULT '{}',
    fix_by              date,
    assessed_on         date     NOT NULL,
    valid_until         date     NOT NULL,
    version             text     NOT NULL
);

-- A council's view in each order, paged by (sort value, young person id). The fix-by order
-- puts summaries with no fix-by date last, as the far-future date the queries use.
CREATE INDEX readiness_council_eighteenth_idx ON readiness (council_id, eighteenth_birthday, young_person_id);
CREATE INDEX readiness_council_rating_idx ON readiness (council_id, rating_rank, young_person_id);
CREATE INDEX readiness_council_fix_by_idx ON readiness (council_id, (coalesce(fix_by, '9999-12-31'::date)), young_person_id);

-- The stale scan looks for young people with no fresh summary (of the current version, valid
-- after today): walking both primary keys in id order when few are stale, and through this
-- index, which finds the fresh ones, when most are (after a new version).
CREATE INDEX readiness_fresh_idx ON readiness (version, valid_until);

-- +goose Down
DROP TABLE readiness;
DROP TABLE facts;
