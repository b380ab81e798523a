-- +goose Up
-- The rating as of the 17½ birthday, when the cliff-edge review begins (NULL before it): what
-- the board's "green on the cliff edge at 17½" counts, for any date, without reassessing the
-- past. Summaries of the earlier readiness version are reassessed, which fills it.
ALTER TABLE readiness ADD COLUMN review_rating text;

-- +goose Down
ALTER TABLE readiness DROP COLUMN review_rating;
