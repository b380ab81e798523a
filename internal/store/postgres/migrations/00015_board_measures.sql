-- +goose Up
-- The rating as of the 17½ birthday, when the cliff-edge review begins (NULL before it): what
-- the board's "green on the cliff edge at 17½" counts, for any date, without reassessing the
-- past. Summaries of the earlier readiness version are reassessed, which fills it.
ALTER TABLE readiness ADD COLUMN review_rating text;

-- Each young person's standing in each of their council's measures (measure.Standing): the
-- days they are in its cohort and the days it counts them, so that a council's measures are
-- one pass over these rows rather than over every milestone. measures_version is the
-- measure.Version they were worked out for; other young people's standings are worked out
-- when counting, until the planner saves them.
CREATE TABLE measure_standings (
    young_person_id uuid           NOT NULL REFERENCES young_people (id) ON DELETE CASCADE,
    measure         text           NOT NULL,
    council_id      text           NOT NULL,
    cohort          daterange      NOT NULL,
    counted         datemultirange NOT NULL,
    PRIMARY KEY (young_person_id, measure)
);
CREATE INDEX measure_standings_council_idx ON measure_standings (council_id, measure);
ALTER TABLE young_people ADD COLUMN measures_version text;
CREATE INDEX young_people_measures_version_idx ON young_people (council_id, measures_version);

-- +goose Down
DROP INDEX young_people_measures_version_idx;
ALTER TABLE young_people DROP COLUMN measures_version;
DROP TABLE measure_standings;
ALTER TABLE readiness DROP COLUMN review_rating;
