-- +goose NO TRANSACTION
-- +goose Up
-- An auditor's search of the trail by time (what happened during an incident) had no index
-- but the trail's key: it read every record newer than the window. Records are appended in
-- about the order of their time, so a block range index finds a window's pages, at a few
-- pages for the whole trail and next to nothing on each insert.
--
-- A range of pages is summarised when the index is built and, with autosummarize, by
-- autovacuum soon after the range fills; until then, and the last range always, a search
-- reads its pages whatever the window. 32 pages a range (about 1,300 records) keeps that
-- small; the index is still a few pages per million records.
--
-- Built concurrently, as the trail takes a record with every call: a plain build would hold
-- up every call of every replica for as long as it read the trail. A concurrent build waits
-- for transactions older than it; replicas starting meanwhile wait for migrate.go's lock
-- (five minutes, then their start fails and is retried, as Kubernetes retries an init
-- container), while those already serving carry on.
-- A build cut short leaves an invalid index behind, and this migration is then run again:
-- it drops it first.
DROP INDEX CONCURRENTLY IF EXISTS audit_records_time_idx;
CREATE INDEX CONCURRENTLY audit_records_time_idx ON audit_records USING brin (time)
    WITH (pages_per_range = 32, autosummarize = on);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS audit_records_time_idx;
