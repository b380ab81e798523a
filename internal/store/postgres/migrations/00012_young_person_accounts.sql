-- +goose Up
-- A young person's own account (role YOUNG_PERSON) names who they are: one account per young
-- person, gone with their record if that is deleted (entered in error).
ALTER TABLE people ADD COLUMN young_person_id uuid REFERENCES young_people (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX people_young_person_idx ON people (young_person_id) WHERE young_person_id IS NOT NULL;

-- +goose Down
DROP INDEX people_young_person_idx;
ALTER TABLE people DROP COLUMN young_person_id;
