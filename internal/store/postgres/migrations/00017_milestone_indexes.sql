-- +goose Up
-- Every milestone written pays for each index of milestones, and an import writes millions:
-- a plain COPY of an imported council's 425,571 milestones took 8.2 to 10.3 s into a table
-- with the indexes before and 5.4 to 6.6 s with these (in turn, in one run).
-- The council-wide ones cost most: a pathway's due dates fall all over a council's index,
-- so each insert lands on a page of its own, and at a national scale those indexes outgrow
-- the database's memory.
--
-- Council-wide listings by due date: (council, due date) alone is deduplicated, a sixth of
-- the size of (council, due date, id) (9 MB against 61 MB for a million milestones). A
-- listing still reads it in due-date order, sorting each day's few milestones by id as it
-- goes (an incremental sort; 0.2 ms a page on an imported council of 10,000 young people).
DROP INDEX milestones_council_due_idx;
CREATE INDEX milestones_council_due_idx ON milestones (council_id, due_date);

-- The open milestones' index duplicated that one: most milestones are open (every one an
-- import plans is), so a listing of open or overdue milestones reads the due-date index and
-- skips the few closed ones, as fast (0.2 ms a page there).
DROP INDEX milestones_council_open_due_idx;

-- The board no longer reads milestones a key at a time (its measures come from
-- measure_standings since 00015), so the covering index it needed, two thirds the size of
-- the table itself, serves only a listing filtered by definition: (council, key) alone
-- finds those rows (2.6 ms a page for a key with 272 milestones among 420,000) and,
-- deduplicated, is a twentieth of the size (3 MB against 64 MB there).
DROP INDEX milestones_council_key_idx;
CREATE INDEX milestones_council_key_idx ON milestones (council_id, key);

-- +goose Down
DROP INDEX milestones_council_key_idx;
CREATE INDEX milestones_council_key_idx ON milestones (council_id, key, young_person_id)
    INCLUDE (applicable, state, due_date, lapse_date, achieved_date);
CREATE INDEX milestones_council_open_due_idx ON milestones (council_id, due_date, id)
    WHERE applicable AND state IN ('PLANNED', 'SCHEDULED', 'IN_PROGRESS');
DROP INDEX milestones_council_due_idx;
CREATE INDEX milestones_council_due_idx ON milestones (council_id, due_date, id);
