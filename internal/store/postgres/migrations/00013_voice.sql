-- +goose Up
-- The young person's own voice in their pathway: what they want and how they feel about
-- each area of their plan, their goals, their answers to the self-assessment checklists and
-- their requests for a personal adviser's help after 21; and what each council offers its
-- care leavers (its local offer).
CREATE TABLE views (
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    area            text        NOT NULL,
    wants           text        NOT NULL DEFAULT '',
    feeling         text        NOT NULL DEFAULT '',
    author          text        NOT NULL,
    revision        bigint      NOT NULL DEFAULT 1,
    update_time     timestamptz NOT NULL,
    PRIMARY KEY (young_person_id, area)
);

CREATE TABLE goals (
    id              uuid PRIMARY KEY,
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    title           text        NOT NULL,
    area            text        NOT NULL DEFAULT '',
    target_date     date,
    done            boolean     NOT NULL DEFAULT false,
    author          text        NOT NULL,
    revision        bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);

CREATE INDEX goals_young_person_idx ON goals (young_person_id, id);

CREATE TABLE skill_answers (
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    key             text        NOT NULL,
    can_do          boolean     NOT NULL,
    author          text        NOT NULL,
    update_time     timestamptz NOT NULL,
    PRIMARY KEY (young_person_id, key)
);

CREATE TABLE adviser_support_requests (
    id              uuid PRIMARY KEY,
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    council_id      text        NOT NULL,
    message         text        NOT NULL,
    requester       text        NOT NULL,
    recipients      text[]      NOT NULL DEFAULT '{}',
    create_time     timestamptz NOT NULL
);

CREATE INDEX adviser_support_requests_young_person_idx ON adviser_support_requests (young_person_id, create_time, id);

CREATE TABLE local_offer_entries (
    council_id  text        NOT NULL REFERENCES organisations (id),
    id          uuid        NOT NULL,
    title       text        NOT NULL,
    body        text        NOT NULL,
    area        text        NOT NULL,
    from_age    integer     NOT NULL,
    to_age      integer     NOT NULL,
    link        text        NOT NULL DEFAULT '',
    revision    bigint      NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    PRIMARY KEY (council_id, id)
);

-- +goose Down
DROP TABLE local_offer_entries;
DROP TABLE adviser_support_requests;
DROP TABLE skill_answers;
DROP TABLE goals;
DROP TABLE views;
