-- +goose Up
-- Circumstances that change a pathway, the personal adviser, and what the pathway was last
-- planned with (catalogue version and council settings revision).
ALTER TABLE young_people
    ADD COLUMN open_to_camhs            boolean NOT NULL DEFAULT false,
    ADD COLUMN in_education_or_training boolean NOT NULL DEFAULT false,
    ADD COLUMN personal_adviser_id      text,
    ADD COLUMN pathway_version          text;

CREATE INDEX young_people_personal_adviser_idx ON young_people (personal_adviser_id)
    WHERE personal_adviser_id IS NOT NULL;

-- Episodes of care (SSDA903 Episodes). end_date is the day care ceased; NULL while open.
CREATE TABLE care_episodes (
    id              uuid PRIMARY KEY,
    young_person_id uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    start_date      date        NOT NULL,
    end_date        date,
    legal_status    text        NOT NULL,
    placement_type  text        NOT NULL,
    reason_ended    text        NOT NULL DEFAULT '',
    revision        bigint      NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL,
    CONSTRAINT care_episodes_dates CHECK (end_date IS NULL OR end_date > start_date)
);

CREATE INDEX care_episodes_young_person_idx ON care_episodes (young_person_id, start_date);

-- Milestones of pathways. key is the catalogue key, '' for one-offs added by a person.
-- council_id is copied from the young person (it never changes) so that council-wide
-- listings need no join.
CREATE TABLE milestones (
    id                    uuid PRIMARY KEY,
    young_person_id       uuid        NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    council_id            text        NOT NULL,
    key                   text        NOT NULL,
    occurrence            integer     NOT NULL,
    title                 text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    area                  text        NOT NULL,
    owner_agency          text        NOT NULL,
    statutory             boolean     NOT NULL,
    due_date              date        NOT NULL,
    lapse_date            date        NOT NULL,
    applicable            boolean     NOT NULL,
    state                 text        NOT NULL,
    scheduled_date        date,
    owner_organisation_id text,
    owner_person_id       text,
    achieved_date         date,
    evidence              jsonb       NOT NULL DEFAULT '[]',
    state_reason          text        NOT NULL DEFAULT '',
    recorded              boolean     NOT NULL DEFAULT false,
    revision              bigint      NOT NULL DEFAULT 1,
    create_time           timestamptz NOT NULL,
    update_time           timestamptz NOT NULL
);

-- One planned milestone per young person, key and occurrence: planning never duplicates.
CREATE UNIQUE INDEX milestones_planned_key ON milestones (young_person_id, key, occurrence)
    WHERE key <> '';
CREATE INDEX milestones_young_person_idx ON milestones (young_person_id, due_date, id);
-- Council-wide listings by due date; the partial one serves "open" and "overdue" views.
CREATE INDEX milestones_council_due_idx ON milestones (council_id, due_date, id);
CREATE INDEX milestones_council_open_due_idx ON milestones (council_id, due_date, id)
    WHERE applicable AND state IN ('PLANNED', 'SCHEDULED', 'IN_PROGRESS');

-- Every change a person made to a milestone: who, when, why and what.
CREATE TABLE milestone_changes (
    id                    bigserial PRIMARY KEY,
    milestone_id          uuid        NOT NULL REFERENCES milestones (id) ON DELETE CASCADE,
    young_person_id       uuid        NOT NULL,
    action                text        NOT NULL,
    from_state            text        NOT NULL,
    to_state              text        NOT NULL,
    actor                 text        NOT NULL,
    reason                text        NOT NULL DEFAULT '',
    change_time           timestamptz NOT NULL,
    scheduled_date        date,
    achieved_date         date,
    owner_organisation_id text,
    owner_person_id       text
);

CREATE INDEX milestone_changes_milestone_idx ON milestone_changes (milestone_id, id);

-- Councils' pathway settings: leap-day rule and catalogue overrides, as JSON.
CREATE TABLE pathway_settings (
    council_id  text PRIMARY KEY,
    settings    jsonb       NOT NULL,
    revision    bigint      NOT NULL,
    update_time timestamptz NOT NULL
);

-- +goose Down
DROP TABLE pathway_settings;
DROP TABLE milestone_changes;
DROP TABLE milestones;
DROP TABLE care_episodes;
ALTER TABLE young_people
    DROP COLUMN pathway_version,
    DROP COLUMN personal_adviser_id,
    DROP COLUMN in_education_or_training,
    DROP COLUMN open_to_camhs;
