-- +goose Up
-- A partner organisation's steward is the council that registered it: that council's
-- administrators manage the partner while it works with that council alone. Existing
-- partners that work with exactly one council are that council's; the others manage
-- themselves through their own partner administrators.
ALTER TABLE organisations ADD COLUMN steward_id text REFERENCES organisations (id);
UPDATE organisations o SET steward_id = a.council_id
FROM (SELECT partner_id, min(council_id) AS council_id FROM sharing_agreements
      GROUP BY partner_id HAVING count(DISTINCT council_id) = 1) a
WHERE o.id = a.partner_id AND o.type <> 'COUNCIL';
CREATE INDEX sharing_agreements_partner_idx ON sharing_agreements (partner_id, council_id);

-- +goose Down
DROP INDEX sharing_agreements_partner_idx;
ALTER TABLE organisations DROP COLUMN steward_id;
