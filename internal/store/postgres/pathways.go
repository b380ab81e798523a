package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

// LoadPathways reads the young people, their episodes, their milestones and their fact
// records in four statements sent together (one round trip), however many young people are
// asked for.
func (t *tx) LoadPathways(ctx context.Context, ids []string) ([]store.PathwayState, error) {
	return t.loadPathways(ctx, ids, nil, true)
}

// LoadTimelines is LoadPathways without the facts, in three statements.
func (t *tx) LoadTimelines(ctx context.Context, ids []string) ([]store.PathwayState, error) {
	return t.loadPathways(ctx, ids, nil, false)
}

// LoadOpenMilestones reads the young people and the few columns of their open milestones
// in three statements sent together: a reminder sweep reads a whole cohort, and most of a
// milestone row, every achieved one and all but a year or so of the pathway are nothing to
// it. The window is a range of the index on young person and due date; the named milestones
// outside it, looked up by key, are few.
func (t *tx) LoadOpenMilestones(ctx context.Context, ids []string, from, to civil.Date, named []string) ([]store.PathwayState, error) {
	return t.loadPathways(ctx, ids, &dueWindow{from, to, named}, false)
}

// dueWindow is LoadOpenMilestones' range of due dates (both ends included), and the
// milestones loaded whatever their due date.
type dueWindow struct {
	from, to civil.Date
	named    []string
}

// loadPathways loads the young people with everything planning needs (the facts only if
// asked) or, given a window, LoadOpenMilestones' milestones alone.
func (t *tx) loadPathways(ctx context.Context, ids []string, open *dueWindow, facts bool) (out []store.PathwayState, err error) {
	openOnly := open != nil
	b := &pgx.Batch{}
	// With their councils' settings revisions, as getYoungPerson: planning reads the
	// settings next.
	b.Queue(`SELECT `+youngPersonColumns+`, `+councilRevision+`
		FROM young_people WHERE id = ANY($1::uuid[]) ORDER BY id`, ids)
	if openOnly {
		from, to := dateArg(open.from), dateArg(open.to)
		b.Queue(`SELECT `+openMilestoneColumns+` FROM milestones m
			WHERE m.young_person_id = ANY($1::uuid[]) AND m.due_date BETWEEN $3 AND $4
				AND m.applicable AND m.state = ANY($2::text[])
			ORDER BY m.young_person_id, m.due_date, m.id`, ids, openStates, from, to)
		b.Queue(`SELECT `+openMilestoneColumns+` FROM milestones m
			WHERE m.id = ANY($5::uuid[]) AND m.young_person_id = ANY($1::uuid[])
				AND NOT coalesce(m.due_date BETWEEN $3 AND $4, false) AND m.applicable AND m.state = ANY($2::text[])`,
			ids, openStates, from, to, open.named)
	} else {
		b.Queue(`SELECT `+episodeColumns+` FROM care_episodes
			WHERE young_person_id = ANY($1::uuid[]) ORDER BY young_person_id, start_date, id`, ids)
		b.Queue(`SELECT `+milestoneColumns+` FROM milestones m
			WHERE m.young_person_id = ANY($1::uuid[]) ORDER BY m.young_person_id, m.due_date, m.id`, ids)
		if facts {
			b.Queue(`SELECT `+factColumns+` FROM facts
			WHERE young_person_id = ANY($1::uuid[]) ORDER BY young_person_id, record_time, id`, ids)
		}
	}
	br := t.q.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			out, err = nil, cerr
		}
	}()
	index := map[string]int{}
	err = eachRow(br, func(r pgx.Rows) error {
		var revision *int64
		yp, err := scanYoungPerson(r, &revision)
		if err == nil {
			t.sawRevision(yp.CouncilID, revision)
			index[yp.ID] = len(out)
			out = append(out, store.PathwayState{YoungPerson: yp})
		}
		return err
	})
	// Each of the rest straight into the slice of the young person it names (one deleted
	// meanwhile is not in out: their rows are skipped), in the order they were queued.
	// Room for a whole pathway from the first young person on (a single pathway has no run
	// before to go by); the open milestones in a window are a few.
	firstRun := pathwayMilestones
	if openOnly {
		firstRun = 1
	}
	// One pathway's repeated texts are the row before's (milestoneScanner.text): they repeat
	// too little otherwise to be worth a map built per call.
	var kept texts
	if len(ids) > 1 {
		kept = texts{}
	}
	milestones := addTo(out, index, firstRun, newMilestoneScanner(kept, openOnly).scan,
		func(m domain.Milestone) string { return m.YoungPersonID },
		func(st *store.PathwayState) *[]domain.Milestone { return &st.Milestones })
	reads := []func(pgx.Rows) error{milestones, milestones}
	if !openOnly {
		reads = []func(pgx.Rows) error{
			addTo(out, index, 1, scanEpisode, func(e domain.CareEpisode) string { return e.YoungPersonID },
				func(st *store.PathwayState) *[]domain.CareEpisode { return &st.Episodes }),
			milestones,
		}
		if facts {
			reads = append(reads, addTo(out, index, 1, scanFact, func(f domain.Fact) string { return f.YoungPersonID },
				func(st *store.PathwayState) *[]domain.Fact { return &st.Facts }))
		}
	}
	var inWindow []int // with a window, how many milestones each young person had before the named
	for i, read := range reads {
		if openOnly && i == 1 {
			inWindow = make([]int, len(out))
			for j, st := range out {
				inWindow[j] = len(st.Milestones)
			}
		}
		if err == nil {
			err = eachRow(br, read)
		}
	}
	if err != nil {
		return nil, err
	}
	for j, n := range inWindow { // the named ones came last: put the few who had any in order
		if st := out[j]; len(st.Milestones) > n {
			slices.SortFunc(st.Milestones, store.ByDueDate)
		}
	}
	return out, nil
}

// eachRow reads the rows of a batch's next statement with scan.
func eachRow(br pgx.BatchResults, scan func(pgx.Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// addTo scans a row and appends it to the list of the young person of out it names. The
// rows come by young person, so each young person's are a run: the young person is looked up
// once a run, and their list starts with room for the longest run before (a cohort's
// pathways are much the same length) and for at least firstRun, not growing from one row.
func addTo[T any](out []store.PathwayState, index map[string]int, firstRun int, scan func(pgx.Row) (T, error),
	owner func(T) string, list func(*store.PathwayState) *[]T) func(pgx.Rows) error {
	var (
		runOf string
		l     *[]T       // the run's list; nil for a young person not in out
		most  = firstRun // the longest run before, and at least firstRun
	)
	return func(r pgx.Rows) error {
		v, err := scan(r)
		if err != nil {
			return err
		}
		if id := owner(v); id != runOf {
			if l != nil {
				most = max(most, len(*l))
			}
			runOf, l = id, nil
			if i, ok := index[id]; ok {
				if l = list(&out[i]); *l == nil {
					*l = make([]T, 0, most)
				}
			}
		}
		if l != nil {
			*l = append(*l, v)
		}
		return nil
	}
}

// pathwayMilestones is room for most pathways' milestones (about 60): growing a list to that
// from one row would copy it six times. Not more: at about 400 bytes a milestone, 80 would
// pass 32 KiB and make every pathway's list a large object, which cost GetPathway about 15%
// of its server CPU at 96; a longer pathway grows its list once.
const pathwayMilestones = 64

// copyAtLeast is how many fresh milestones SavePathways copies rather than inserts.
const copyAtLeast = 500

// SavePathways applies a batch of plans in one statement, and one COPY for fresh plans: the
// planned milestones are passed as arrays and unnested, so the cost does not grow with
// round trips; those of young people with none yet are copied in.
func (t *tx) SavePathways(ctx context.Context, now time.Time, plans []store.PathwayPlan) ([][]domain.Milestone, error) {
	if len(plans) == 0 {
		return nil, nil
	}
	var (
		ids, versions, replanned                  []string
		yp, council, key, title, area, owner, mid []string
		due, lapse                                []pgtype.Date
		occurrence                                []int32
		statutory                                 []bool
		fresh                                     [][]any
		stored                                    = make([][]domain.Milestone, len(plans))
	)
	now = now.UTC().Truncate(time.Microsecond)
	// A COPY costs round trips of its own (the columns' types, then the data): worth it
	// for a cohort's plans, not for one young person's.
	freshRows := 0
	for _, p := range plans {
		if p.Fresh {
			freshRows += len(p.Planned)
		}
	}
	copyFresh := freshRows >= copyAtLeast
	for i, p := range plans {
		ids, versions = append(ids, p.YoungPersonID), append(versions, p.Version)
		// Time-ordered ids keep the primary key's inserts at its right edge.
		uids, pids := make([]uuid.UUID, len(p.Planned)), make([]string, len(p.Planned))
		for j := range pids {
			uids[j] = uuid.Must(uuid.NewV7())
			pids[j] = uids[j].String()
		}
		if p.Fresh {
			stored[i] = store.FreshMilestones(p, pids, now)
			if copyFresh {
				for j, m := range stored[i] { // the id typed, not text to parse
					fresh = append(fresh, []any{pgtype.UUID{Bytes: uids[j], Valid: true}, m.YoungPersonID, m.CouncilID,
						m.Key, int32(m.Occurrence), m.Title, m.Area, m.OwnerAgency, m.Statutory, dateArg(m.DueDate),
						dateArg(m.LapseDate), m.Applicable, string(m.State), m.Revision, m.CreateTime, m.UpdateTime})
				}
			}
			slices.SortFunc(stored[i], store.ByDueDate)
			if copyFresh {
				continue
			}
		}
		replanned = append(replanned, p.YoungPersonID)
		for j, m := range p.Planned {
			yp, council, key = append(yp, p.YoungPersonID), append(council, p.CouncilID), append(key, m.Key)
			occurrence, title = append(occurrence, int32(m.Occurrence)), append(title, m.Title)
			area, owner = append(area, m.Area), append(owner, m.OwnerAgency)
			statutory, due = append(statutory, m.Statutory), append(due, dateArg(m.Due))
			lapse, mid = append(lapse, dateArg(m.Lapse)), append(mid, pids[j])
		}
	}
	if len(fresh) > 0 {
		if _, err := t.copyFrom(ctx, "milestones", []string{"id", "young_person_id", "council_id", "key", "occurrence",
			"title", "area", "owner_agency", "statutory", "due_date", "lapse_date", "applicable", "state", "revision",
			"create_time", "update_time"}, fresh); err != nil {
			return nil, keyError(err, store.ErrYoungPersonNotFound)
		}
	}
	if len(yp) == 0 && !slices.ContainsFunc(plans, func(p store.PathwayPlan) bool { return !p.Fresh }) {
		// Nothing to insert and nothing stored to match (a young person created out of care,
		// or a cohort's fresh plans all copied in): only the versions. The statement below
		// costs more to plan than this one to run.
		return stored, t.later(ctx, nil, `UPDATE young_people y SET pathway_version = v.version
			FROM unnest($1::uuid[], $2::text[]) AS v(id, version) WHERE y.id = v.id`, ids, versions)
	}
	// One statement, so the planned rows travel once: data-modifying CTEs all see the same
	// snapshot, and the insert touches only planned rows while the delete and the update
	// touch only unplanned ones (of young people replanned, not fresh).
	err := t.later(ctx, nil, `
		WITH p AS (
			SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
				$7::text[], $8::bool[], $9::date[], $10::date[], $14::uuid[]) AS p(young_person_id, council_id,
				key, occurrence, title, area, owner_agency, statutory, due_date, lapse_date, id)
		),
		unplanned AS (
			SELECT m.id, m.recorded, m.applicable FROM milestones m
			WHERE m.young_person_id = ANY($15::uuid[]) AND m.key <> '' AND NOT EXISTS (
				SELECT 1 FROM p WHERE p.young_person_id = m.young_person_id AND p.key = m.key
					AND p.occurrence = m.occurrence)
		),
		saved AS (
			INSERT INTO milestones AS m (id, young_person_id, council_id, key, occurrence, title, area,
				owner_agency, statutory, due_date, lapse_date, applicable, state, revision, create_time,
				update_time)
			SELECT p.id, p.young_person_id, p.council_id, p.key, p.occurrence, p.title, p.area,
				p.owner_agency, p.statutory, p.due_date, p.lapse_date, true, 'PLANNED', 1, $13, $13
			FROM p JOIN young_people y ON y.id = p.young_person_id -- skips the deleted
			ON CONFLICT (young_person_id, key, occurrence) WHERE key <> '' DO UPDATE SET
				council_id = excluded.council_id, title = excluded.title, area = excluded.area,
				owner_agency = excluded.owner_agency, statutory = excluded.statutory,
				due_date = excluded.due_date, lapse_date = excluded.lapse_date, applicable = true,
				revision = m.revision + 1, update_time = excluded.update_time
			WHERE (m.council_id, m.title, m.area, m.owner_agency, m.statutory, m.due_date, m.lapse_date, m.applicable)
				IS DISTINCT FROM (excluded.council_id, excluded.title, excluded.area, excluded.owner_agency,
				excluded.statutory, excluded.due_date, excluded.lapse_date, true)
		),
		dropped AS ( -- nobody recorded anything on them
			DELETE FROM milestones m USING unplanned u WHERE m.id = u.id AND NOT u.recorded
		),
		kept AS ( -- recorded: keep, marked as no longer planned
			UPDATE milestones m SET applicable = false, revision = m.revision + 1, update_time = $13
			FROM unplanned u WHERE m.id = u.id AND u.recorded AND u.applicable
		)
		UPDATE young_people y SET pathway_version = v.version
		FROM unnest($11::uuid[], $12::text[]) AS v(id, version) WHERE y.id = v.id`,
		yp, council, key, occurrence, title, area, owner, statutory, due, lapse, ids, versions, now, mid, replanned)
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// StalePathways finds young people planned with another catalogue or settings revision.
// The version is built as store.PathwayVersion builds it.
func (t *tx) StalePathways(ctx context.Context, catalogueVersion string, limit int) ([]string, error) {
	rows, err := t.q.Query(ctx, `
		SELECT y.id FROM young_people y
		LEFT JOIN pathway_settings s ON s.council_id = y.council_id
		WHERE y.pathway_version IS DISTINCT FROM $1 || ':' || coalesce(s.revision, 0)::text
		ORDER BY y.id LIMIT $2
		FOR UPDATE OF y SKIP LOCKED`, catalogueVersion, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
