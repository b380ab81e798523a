package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/store"
)

// The young person's id is read as text: it repeats on every row, and texts reads such a
// column without a string per row.
const milestoneColumns = `m.id, m.young_person_id::text, m.council_id, m.key, m.occurrence, m.title,
	m.description, m.area, m.owner_agency, m.statutory, m.due_date, m.lapse_date, m.applicable, m.state,
	m.scheduled_date, coalesce(m.owner_organisation_id, ''), coalesce(m.owner_person_id, ''),
	m.achieved_date, m.evidence, m.state_reason, m.recorded, m.revision, m.create_time, m.update_time,
	m.care_leaver_contact`

// openMilestoneColumns are the columns of store.OpenMilestoneFields.
const openMilestoneColumns = `m.id, m.young_person_id::text, m.title, m.statutory, m.due_date, m.lapse_date,
	m.applicable, m.state, coalesce(m.owner_organisation_id, ''), coalesce(m.owner_person_id, '')`

// milestoneFilterColumns maps store.MilestoneFields to columns; personal_adviser is the
// young person's, joined as yp.
var milestoneFilterColumns = map[string]string{
	"due_date":           "m.due_date",
	"lapse_date":         "m.lapse_date",
	"state":              "m.state",
	"area":               "m.area",
	"owner_agency_type":  "m.owner_agency",
	"owner_organisation": "coalesce(m.owner_organisation_id, '')",
	"council":            "m.council_id",
	"personal_adviser":   "coalesce(yp.personal_adviser_id, '')",
	"definition":         "m.key",
	"applicable":         "m.applicable",
}

// evidenceJSON is how evidence is stored.
type evidenceJSON struct {
	Description string    `json:"description"`
	Reference   string    `json:"reference,omitempty"`
	RecordedBy  string    `json:"recorded_by"`
	RecordTime  time.Time `json:"record_time"`
}

func encodeEvidence(ev []domain.Evidence) ([]byte, error) {
	out := make([]evidenceJSON, len(ev))
	for i, e := range ev {
		out[i] = evidenceJSON{e.Description, e.Reference, e.RecordedBy, e.RecordTime.UTC().Truncate(time.Microsecond)}
	}
	return json.Marshal(out)
}

// texts keeps one copy of each text a scan reads again and again that catalogueTexts does
// not hold: a cohort's milestones repeat their young people's and council's ids and a
// council's own milestones' texts, and a string per column per row was most of what reading
// them allocated. A nil texts keeps nothing.
type texts map[string]string

// of returns b as a string: the kept copy, if there is one.
func (t texts) of(b pgtype.DriverBytes) string {
	if t == nil {
		return string(b)
	}
	if s, ok := t[string(b)]; ok { // no allocation to look up
		return s
	}
	s := string(b)
	t[s] = s
	return s
}

// catalogueTexts are the texts that most milestones of every young person repeat, kept once
// for the process: the shipped catalogue's keys, titles, descriptions, areas and agencies,
// and the states. Read only after start. A pathway's keys and titles differ from row to
// row, so without it reading one pathway made a string of each (about two of every three
// of its allocations); a council's own milestones' texts are not here and still cost one.
var catalogueTexts = func() map[string]string {
	c := catalogue.Default()
	out := map[string]string{}
	keep := func(s string) { out[s] = s }
	for _, d := range c.Definitions {
		keep(d.Key)
		keep(d.Title)
		keep(d.Description)
	}
	for _, a := range catalogue.Areas {
		keep(string(a))
	}
	for _, o := range catalogue.Owners {
		keep(string(o))
	}
	for _, st := range domain.MilestoneStates {
		keep(string(st))
	}
	return out
}()

// milestoneScanner reads milestones from the rows of Rows, never of QueryRow: its texts are
// read in place (DriverBytes), valid only until the next row, so oneMilestone serves single
// rows. Its targets are made once, not per row, and every row's repeated texts are kept
// once: a text the same as the row before's is that row's string (a pathway's rows repeat
// their young person's and council's ids, and run through areas, agencies and states), and
// any other is kept in its texts.
type milestoneScanner struct {
	texts                                              texts
	last                                               [milestoneTexts]string
	ids                                                idTexts
	id                                                 pgtype.UUID
	m                                                  domain.Milestone
	due, lapse                                         time.Time
	scheduled, achieved                                *time.Time
	yp, council, key, title, description, area, agency pgtype.DriverBytes
	state, ownerOrganisation, ownerPerson, stateReason pgtype.DriverBytes
	evidence                                           pgtype.DriverBytes
	dest                                               []any
}

// idTexts writes the UUIDs a scan reads as text, many to an allocation: a milestone's id was
// a string of its own, one allocation for every row. A text's bytes are never written again
// (a full buffer is left to the ids in it), so each id may share them. Each buffer holds
// twice the ids of the one before, up to idsPerBuffer: one milestone's id costs what its
// string did, a pathway's 61 six allocations, and an id keeps at most one buffer alive.
type idTexts struct{ buf []byte }

const (
	uuidText     = 36
	idsPerBuffer = 64
)

func (t *idTexts) of(id pgtype.UUID) string {
	if cap(t.buf)-len(t.buf) < uuidText {
		t.buf = make([]byte, 0, uuidText*min(max(2*cap(t.buf)/uuidText, 1), idsPerBuffer))
	}
	start := len(t.buf)
	t.buf = t.buf[:start+uuidText]
	b, u := t.buf[start:], id.Bytes
	hex.Encode(b[0:8], u[0:4])
	hex.Encode(b[9:13], u[4:6])
	hex.Encode(b[14:18], u[6:8])
	hex.Encode(b[19:23], u[8:10])
	hex.Encode(b[24:36], u[10:16])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return unsafe.String(&b[0], uuidText)
}

// milestoneTexts is how many text columns a milestoneScanner reads; those from key to state
// (see scan) may be the catalogue's.
const (
	milestoneTexts     = 11
	firstCatalogueText = 2
	lastCatalogueText  = 7
)

// text returns text column i of the row as a string: the row before's string if it is the
// same, else the catalogue's (for its columns) or the kept copy.
func (s *milestoneScanner) text(i int, b pgtype.DriverBytes) string {
	if last := s.last[i]; string(b) == last { // no allocation to compare
		return last
	}
	if i >= firstCatalogueText && i <= lastCatalogueText {
		if v, ok := catalogueTexts[string(b)]; ok {
			s.last[i] = v
			return v
		}
	}
	v := s.texts.of(b)
	s.last[i] = v
	return v
}

// newMilestoneScanner reads milestoneColumns, or with open openMilestoneColumns.
func newMilestoneScanner(t texts, open bool) *milestoneScanner {
	s := &milestoneScanner{texts: t}
	if open {
		s.dest = []any{&s.id, &s.yp, &s.title, &s.m.Statutory, &s.due, &s.lapse, &s.m.Applicable, &s.state,
			&s.ownerOrganisation, &s.ownerPerson}
		return s
	}
	s.dest = []any{&s.id, &s.yp, &s.council, &s.key, &s.m.Occurrence, &s.title, &s.description, &s.area,
		&s.agency, &s.m.Statutory, &s.due, &s.lapse, &s.m.Applicable, &s.state, &s.scheduled,
		&s.ownerOrganisation, &s.ownerPerson, &s.achieved, &s.evidence, &s.stateReason, &s.m.Recorded,
		&s.m.Revision, &s.m.CreateTime, &s.m.UpdateTime, &s.m.CareLeaverContact}
	return s
}

func (s *milestoneScanner) scan(row pgx.Row) (domain.Milestone, error) {
	s.m = domain.Milestone{}
	if err := row.Scan(s.dest...); err != nil {
		return domain.Milestone{}, err
	}
	m := s.m
	m.ID = s.ids.of(s.id)
	m.YoungPersonID, m.CouncilID, m.Key, m.Title = s.text(0, s.yp), s.text(1, s.council), s.text(2, s.key), s.text(3, s.title)
	m.Description, m.Area, m.OwnerAgency = s.text(4, s.description), s.text(5, s.area), s.text(6, s.agency)
	m.State = domain.MilestoneState(s.text(7, s.state))
	m.OwnerOrganisation, m.OwnerPerson = s.text(8, s.ownerOrganisation), s.text(9, s.ownerPerson)
	m.StateReason = s.text(10, s.stateReason)
	m.DueDate, m.LapseDate = fromDate(&s.due), fromDate(&s.lapse)
	m.ScheduledDate, m.AchievedDate = fromDate(s.scheduled), fromDate(s.achieved)
	m.CreateTime, m.UpdateTime = m.CreateTime.UTC(), m.UpdateTime.UTC()
	if len(s.evidence) == 0 || string(s.evidence) == "[]" { // not read, or (most milestones) none
		return m, nil
	}
	var ev []evidenceJSON
	if err := json.Unmarshal(s.evidence, &ev); err != nil {
		return m, err
	}
	for _, e := range ev {
		m.Evidence = append(m.Evidence, domain.Evidence{Description: e.Description, Reference: e.Reference,
			RecordedBy: e.RecordedBy, RecordTime: e.RecordTime.UTC()})
	}
	return m, nil
}

// oneMilestone reads the one milestone a statement returns; pgx.ErrNoRows when none.
func oneMilestone(rows pgx.Rows, err error) (domain.Milestone, error) {
	if err != nil {
		return domain.Milestone{}, err
	}
	s := newMilestoneScanner(nil, false)
	return pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (domain.Milestone, error) { return s.scan(r) })
}

func (t *tx) GetMilestone(ctx context.Context, youngPersonID, id string) (domain.Milestone, error) {
	m, err := oneMilestone(t.q.Query(ctx, `SELECT `+milestoneColumns+` FROM milestones m
		WHERE m.id = $1 AND m.young_person_id = $2`, id, youngPersonID))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, store.ErrMilestoneNotFound
	}
	return m, err
}

// ListMilestones is one statement whatever the filter: a range scan in due-date order from
// the cursor, on the young person's index or, across young people, on the council's
// due-date index (each day's milestones sorted by id as it goes: the index leaves id out to
// stay small, see migration 00017).
func (t *tx) ListMilestones(ctx context.Context, q store.MilestoneQuery) ([]domain.Milestone, error) {
	var args sqlArgs
	cond := where(q.Filter, milestoneFilterColumns, &args) + scoped(q.Scope, "m.council_id", "yp.personal_adviser_id", "m.young_person_id", &args)
	if q.YoungPersonID != "" {
		cond += " AND m.young_person_id = " + args.add(q.YoungPersonID) + "::uuid"
	}
	if q.After.ID != "" {
		cond += " AND (m.due_date, m.id) > (" + args.add(dateArg(q.After.DueDate)) + "::date, " + args.add(q.After.ID) + "::uuid)"
	}
	rows, err := t.q.Query(ctx, `SELECT `+milestoneColumns+` FROM milestones m
		JOIN young_people yp ON yp.id = m.young_person_id
		WHERE `+cond+` ORDER BY m.due_date, m.id LIMIT `+args.add(q.Limit), args...)
	if err != nil {
		return nil, err
	}
	s := newMilestoneScanner(texts{}, false)
	return pgx.AppendRows(make([]domain.Milestone, 0, min(q.Limit, pathwayMilestones)), rows,
		func(r pgx.CollectableRow) (domain.Milestone, error) { return s.scan(r) })
}

func (t *tx) CreateMilestone(ctx context.Context, m domain.Milestone) (domain.Milestone, error) {
	evidence, err := encodeEvidence(m.Evidence)
	if err != nil {
		return m, err
	}
	created, err := oneMilestone(t.q.Query(ctx, `
		WITH m AS (
			INSERT INTO milestones (id, young_person_id, council_id, key, occurrence, title, description,
				area, owner_agency, statutory, due_date, lapse_date, applicable, state, evidence, recorded,
				revision, create_time, update_time)
			SELECT $1, yp.id, yp.council_id, '', 0, $3, $4, $5, $6, false, $7::date, $11::date, true, $8, $9,
				true, 1, $10, $10
			FROM young_people yp WHERE yp.id = $2
			RETURNING *)
		SELECT `+milestoneColumns+` FROM m`,
		m.ID, m.YoungPersonID, m.Title, m.Description, m.Area, m.OwnerAgency, dateArg(m.DueDate),
		string(m.State), evidence, m.CreateTime, dateArg(m.LapseDate)))
	if errors.Is(err, pgx.ErrNoRows) {
		return created, store.ErrYoungPersonNotFound
	}
	return created, err
}

func (t *tx) UpdateMilestone(ctx context.Context, m domain.Milestone, ifRevision int64) (domain.Milestone, error) {
	evidence, err := encodeEvidence(m.Evidence)
	if err != nil {
		return m, err
	}
	updated, err := oneMilestone(t.q.Query(ctx, `
		WITH m AS (
			UPDATE milestones SET state = $3, scheduled_date = $4::date,
				owner_organisation_id = nullif($5, ''), owner_person_id = nullif($6, ''),
				achieved_date = $7::date, evidence = $8, state_reason = $9, recorded = true,
				revision = revision + 1, update_time = $10, care_leaver_contact = $12::jsonb
			WHERE id = $1 AND young_person_id = $2 AND ($11::bigint = 0 OR revision = $11)
			RETURNING *)
		SELECT `+milestoneColumns+` FROM m`,
		m.ID, m.YoungPersonID, string(m.State), dateArg(m.ScheduledDate), m.OwnerOrganisation,
		m.OwnerPerson, dateArg(m.AchievedDate), evidence, m.StateReason, m.UpdateTime, ifRevision,
		m.CareLeaverContact))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := t.GetMilestone(ctx, m.YoungPersonID, m.ID); err != nil {
			return updated, err
		}
		return updated, store.ErrRevisionMismatch
	}
	return updated, err
}

const changeColumns = `id::text, milestone_id, young_person_id, action, from_state, to_state, actor,
	reason, change_time, scheduled_date, achieved_date, coalesce(owner_organisation_id, ''),
	coalesce(owner_person_id, '')`

func scanChange(row pgx.Row) (domain.MilestoneChange, error) {
	var (
		c                   domain.MilestoneChange
		from, to            string
		scheduled, achieved *time.Time
	)
	err := row.Scan(&c.ID, &c.MilestoneID, &c.YoungPersonID, &c.Action, &from, &to, &c.Actor,
		&c.Reason, &c.Time, &scheduled, &achieved, &c.OwnerOrganisation, &c.OwnerPerson)
	c.FromState, c.ToState = domain.MilestoneState(from), domain.MilestoneState(to)
	c.ScheduledDate, c.AchievedDate, c.Time = fromDate(scheduled), fromDate(achieved), c.Time.UTC()
	return c, err
}

func (t *tx) AddMilestoneChange(ctx context.Context, c domain.MilestoneChange) (domain.MilestoneChange, error) {
	return scanChange(t.q.QueryRow(ctx, `
		INSERT INTO milestone_changes (milestone_id, young_person_id, action, from_state, to_state,
			actor, reason, change_time, scheduled_date, achieved_date, owner_organisation_id, owner_person_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10::date, nullif($11, ''), nullif($12, ''))
		RETURNING `+changeColumns,
		c.MilestoneID, c.YoungPersonID, c.Action, string(c.FromState), string(c.ToState), c.Actor,
		c.Reason, c.Time, dateArg(c.ScheduledDate), dateArg(c.AchievedDate), c.OwnerOrganisation, c.OwnerPerson))
}

func (t *tx) ListMilestoneChanges(ctx context.Context, milestoneID, after string, limit int) ([]domain.MilestoneChange, error) {
	if after == "" {
		after = "0"
	}
	rows, err := t.q.Query(ctx, `SELECT `+changeColumns+` FROM milestone_changes
		WHERE milestone_id = $1 AND milestone_changes.id > $2::bigint
		ORDER BY milestone_changes.id LIMIT $3`, milestoneID, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.MilestoneChange, error) { return scanChange(r) })
}
