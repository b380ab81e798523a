-- +goose Up
-- The board's measures read a council's milestones of one key at a time, and facts of one
-- key at a time, for every young person at once.
CREATE INDEX milestones_council_key_idx ON milestones (council_id, key, young_person_id)
    INCLUDE (applicable, state, due_date, lapse_date, achieved_date);
CREATE INDEX facts_key_idx ON facts (key, young_person_id, record_time, id)
    INCLUDE (value, effective_date);

-- +goose Down
DROP INDEX facts_key_idx;
DROP INDEX milestones_council_key_idx;
