-- +goose Up
-- What the care-leaver status needs beyond the episodes (CLR 2010 reg 3(2); CA89 s24B(5)).
ALTER TABLE young_people
    ADD COLUMN detained_or_in_hospital_at_16 boolean NOT NULL DEFAULT false,
    ADD COLUMN relevant_student              boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE young_people
    DROP COLUMN relevant_student,
    DROP COLUMN detained_or_in_hospital_at_16;
