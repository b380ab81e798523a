-- +goose Up
-- Young people whose pathways carepath plans. Dates of birth are civil dates (no zone).
CREATE TABLE young_people (
    id                                 uuid PRIMARY KEY,
    council_id                         text        NOT NULL,
    case_reference                     text        NOT NULL,
    given_name                         text        NOT NULL,
    family_name                        text        NOT NULL,
    preferred_name                     text        NOT NULL DEFAULT '',
    date_of_birth                      date        NOT NULL,
    unaccompanied_asylum_seeking_child boolean     NOT NULL DEFAULT false,
    ehc_plan                           boolean     NOT NULL DEFAULT false,
    disability                         boolean     NOT NULL DEFAULT false,
    revision                           bigint      NOT NULL DEFAULT 1,
    create_time                        timestamptz NOT NULL,
    update_time                        timestamptz NOT NULL,
    CONSTRAINT young_people_case_reference_key UNIQUE (council_id, case_reference)
);

-- "Who turns 18 in the next 90 days" and other age windows are ranges over date_of_birth.
CREATE INDEX young_people_date_of_birth_idx ON young_people (date_of_birth);

-- Client request ids of completed creates (AIP-155), so that retries create nothing new.
CREATE TABLE client_requests (
    scope        text        NOT NULL,
    request_id   text        NOT NULL,
    request_hash bytea       NOT NULL,
    resource_id  text        NOT NULL,
    create_time  timestamptz NOT NULL,
    PRIMARY KEY (scope, request_id)
);

-- +goose Down
DROP TABLE client_requests;
DROP TABLE young_people;
