-- +goose Up
-- A young person's own choice to be reminded, in carepath, of their own steps coming due.
ALTER TABLE people ADD COLUMN own_reminders boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE people DROP COLUMN own_reminders;
