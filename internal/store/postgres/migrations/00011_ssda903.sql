-- +goose Up
-- The SSDA903 columns carepath keeps but does not use itself (Header: SEX, ETHNIC, UPN,
-- MOTHER, MC_DOB; Episodes: RNE, CIN, PLACE_PROVIDER, REASON_PLACE_CHANGE, HOME_POST,
-- PL_POST, URN), so that the return it writes gives back the rows it read.
ALTER TABLE young_people ADD COLUMN ssda903 jsonb NOT NULL DEFAULT '{}';
ALTER TABLE care_episodes ADD COLUMN ssda903 jsonb NOT NULL DEFAULT '{}';
-- What a personal adviser recorded for the OC3 table on completing data.oc3.birthday.
ALTER TABLE milestones ADD COLUMN care_leaver_contact jsonb;

-- +goose Down
ALTER TABLE milestones DROP COLUMN care_leaver_contact;
ALTER TABLE care_episodes DROP COLUMN ssda903;
ALTER TABLE young_people DROP COLUMN ssda903;
