-- +goose NO TRANSACTION
-- +goose Up
-- An auditor's search of the trail by time (what happened during an incident) had no index
-- but the trail's key: it read every record newer than the window. Records are appended in
-- about the order of their time, so a block range index finds a window's pages, at a few
-- pages for the whole trail and next to nothing on each insert.
--
-- Built concurrently, as the trail takes a record with every call: a plain build would hold
-- up every call of every replica for as long as it read the trail. A build cut short leaves
-- an invalid index behind, and this migration is then run again: it drops it first.
DROP INDEX CONCURRENTLY IF EXISTS audit_records_time_idx;
CREATE INDEX CONCURRENTLY audit_records_time_idx ON audit_records USING brin (time);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS audit_records_time_idx;
