package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/store"
)

const planColumns = `council_id, id, title, year, revision, create_time, update_time`

func scanPlan(row pgx.Row) (domain.DeliveryPlan, error) {
	var p domain.DeliveryPlan
	err := row.Scan(&p.CouncilID, &p.ID, &p.Title, &p.Year, &p.Revision, &p.CreateTime, &p.UpdateTime)
	p.CreateTime, p.UpdateTime = p.CreateTime.UTC(), p.UpdateTime.UTC()
	if errors.Is(err, pgx.ErrNoRows) {
		return p, store.ErrDeliveryPlanNotFound
	}
	return p, err
}

// isViolation reports whether err is a PostgreSQL error of the code (23505 unique, 23503
// foreign key).
func isViolation(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

func (t *tx) CreateDeliveryPlan(ctx context.Context, p domain.DeliveryPlan) (domain.DeliveryPlan, error) {
	out, err := scanPlan(t.q.QueryRow(ctx, `INSERT INTO delivery_plans (council_id, id, title, year, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING `+planColumns,
		p.CouncilID, p.ID, p.Title, p.Year, p.CreateTime, p.UpdateTime))
	switch {
	case errors.Is(err, store.ErrDeliveryPlanNotFound): // the conflict: nothing returned
		return p, store.ErrExists
	case isViolation(err, "23503"):
		return p, store.ErrOrganisationNotFound
	}
	return out, err
}

func (t *tx) GetDeliveryPlan(ctx context.Context, councilID, id string) (domain.DeliveryPlan, error) {
	return scanPlan(t.q.QueryRow(ctx, `SELECT `+planColumns+` FROM delivery_plans WHERE council_id = $1 AND id = $2`, councilID, id))
}

func (t *tx) ListDeliveryPlans(ctx context.Context, councilID, afterID string, limit int) ([]domain.DeliveryPlan, error) {
	rows, err := t.q.Query(ctx, `SELECT `+planColumns+` FROM delivery_plans WHERE council_id = $1 AND id > $2
		ORDER BY id LIMIT $3`, councilID, afterID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.DeliveryPlan, error) { return scanPlan(r) })
}

func (t *tx) UpdateDeliveryPlan(ctx context.Context, p domain.DeliveryPlan, ifRevision int64) (domain.DeliveryPlan, error) {
	old, err := scanPlan(t.q.QueryRow(ctx, `SELECT `+planColumns+` FROM delivery_plans WHERE council_id = $1 AND id = $2 FOR UPDATE`,
		p.CouncilID, p.ID))
	if err != nil {
		return p, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return p, err
	}
	return scanPlan(t.q.QueryRow(ctx, `UPDATE delivery_plans SET title = $3, year = $4, revision = revision + 1, update_time = $5
		WHERE council_id = $1 AND id = $2 RETURNING `+planColumns, p.CouncilID, p.ID, p.Title, p.Year, p.UpdateTime))
}

// actionDetail is the stored document of an action's detail.
type actionDetail struct {
	Title        string           `json:"title"`
	Ambitions    []string         `json:"ambitions"`
	LeadPerson   string           `json:"lead_person"`
	Start        string           `json:"start"`
	Due          string           `json:"due"`
	RatingReason string           `json:"rating_reason"`
	Measure      string           `json:"measure"`
	Baseline     float64          `json:"baseline"`
	Target       float64          `json:"target"`
	Progress     []progressDetail `json:"progress"`
}

type progressDetail struct {
	Date       string    `json:"date"`
	Note       string    `json:"note"`
	Rating     string    `json:"rating"`
	Author     string    `json:"author"`
	RecordTime time.Time `json:"record_time"`
}

func dateText(d civil.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func textDate(s string) civil.Date {
	d, _ := civil.Parse(s) // written by dateText: "" is the zero date
	return d
}

func encodeAction(a domain.PlanAction) ([]byte, error) {
	d := actionDetail{Title: a.Title, Ambitions: a.Ambitions, LeadPerson: a.LeadPersonID, Start: dateText(a.Start), Due: dateText(a.Due),
		RatingReason: a.RatingReason, Measure: a.Measure, Baseline: a.Baseline, Target: a.Target}
	for _, p := range a.Progress {
		d.Progress = append(d.Progress, progressDetail{Date: dateText(p.Date), Note: p.Note, Rating: string(p.Rating), Author: p.Author,
			RecordTime: p.RecordTime.UTC().Truncate(time.Microsecond)})
	}
	return json.Marshal(d)
}

func decodeAction(a *domain.PlanAction, doc []byte) error {
	var d actionDetail
	if err := json.Unmarshal(doc, &d); err != nil {
		return err
	}
	a.Title, a.Ambitions, a.LeadPersonID, a.Start, a.Due = d.Title, nilIfEmpty(d.Ambitions), d.LeadPerson, textDate(d.Start), textDate(d.Due)
	a.RatingReason, a.Measure, a.Baseline, a.Target = d.RatingReason, d.Measure, d.Baseline, d.Target
	a.Progress = nil
	for _, p := range d.Progress {
		a.Progress = append(a.Progress, domain.ProgressUpdate{Date: textDate(p.Date), Note: p.Note, Rating: domain.Rating(p.Rating),
			Author: p.Author, RecordTime: p.RecordTime.UTC()})
	}
	return nil
}

const actionColumns = `id, council_id, plan_id, lead_organisation_id, status, rating, detail, revision, create_time, update_time`

func scanAction(row pgx.Row) (domain.PlanAction, error) {
	var (
		a              domain.PlanAction
		status, rating string
		doc            []byte
	)
	err := row.Scan(&a.ID, &a.CouncilID, &a.PlanID, &a.LeadOrganisationID, &status, &rating, &doc, &a.Revision, &a.CreateTime, &a.UpdateTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, store.ErrPlanActionNotFound
	}
	if err != nil {
		return a, err
	}
	a.Status, a.Rating = domain.ActionStatus(status), domain.Rating(rating)
	a.CreateTime, a.UpdateTime = a.CreateTime.UTC(), a.UpdateTime.UTC()
	return a, decodeAction(&a, doc)
}

func (t *tx) CreatePlanAction(ctx context.Context, a domain.PlanAction) (domain.PlanAction, error) {
	// Checked first: a failed foreign key would end the transaction.
	if _, err := t.GetDeliveryPlan(ctx, a.CouncilID, a.PlanID); err != nil {
		return a, err
	}
	doc, err := encodeAction(a)
	if err != nil {
		return a, err
	}
	out, err := scanAction(t.q.QueryRow(ctx, `INSERT INTO plan_actions (id, council_id, plan_id, lead_organisation_id, status,
		rating, detail, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+actionColumns,
		a.ID, a.CouncilID, a.PlanID, a.LeadOrganisationID, string(a.Status), string(a.Rating), doc, a.CreateTime, a.UpdateTime))
	switch {
	case isViolation(err, "23505"):
		return a, store.ErrExists
	case isViolation(err, "23503"):
		return a, store.ErrOrganisationNotFound
	}
	return out, err
}

func (t *tx) GetPlanAction(ctx context.Context, councilID, planID, id string) (domain.PlanAction, error) {
	return scanAction(t.q.QueryRow(ctx, `SELECT `+actionColumns+` FROM plan_actions
		WHERE id = $1 AND council_id = $2 AND plan_id = $3`, id, councilID, planID))
}

func (t *tx) ListPlanActions(ctx context.Context, q store.PlanActionQuery) ([]domain.PlanAction, error) {
	after := q.AfterID
	if after == "" {
		after = zeroUUID
	}
	rows, err := t.q.Query(ctx, `SELECT `+actionColumns+` FROM plan_actions
		WHERE council_id = $1 AND ($2 = '' OR plan_id = $2) AND id > $3::uuid ORDER BY id LIMIT $4`, q.CouncilID, q.PlanID, after, q.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PlanAction, error) { return scanAction(r) })
}

func (t *tx) UpdatePlanAction(ctx context.Context, a domain.PlanAction, ifRevision int64) (domain.PlanAction, error) {
	old, err := scanAction(t.q.QueryRow(ctx, `SELECT `+actionColumns+` FROM plan_actions
		WHERE id = $1 AND council_id = $2 AND plan_id = $3 FOR UPDATE`, a.ID, a.CouncilID, a.PlanID))
	if err != nil {
		return a, err
	}
	if err := store.CheckRevision(ifRevision, old.Revision); err != nil {
		return a, err
	}
	doc, err := encodeAction(a)
	if err != nil {
		return a, err
	}
	out, err := scanAction(t.q.QueryRow(ctx, `UPDATE plan_actions SET lead_organisation_id = $2, status = $3, rating = $4,
		detail = $5, revision = revision + 1, update_time = $6 WHERE id = $1 RETURNING `+actionColumns,
		a.ID, a.LeadOrganisationID, string(a.Status), string(a.Rating), doc, a.UpdateTime))
	if isViolation(err, "23503") {
		return a, store.ErrOrganisationNotFound
	}
	return out, err
}

// actionSnapshot is an action as a change left it, stored with the change.
type actionSnapshot struct {
	Detail json.RawMessage `json:"detail"`
	Lead   string          `json:"lead_organisation"`
	Status string          `json:"status"`
	Rating string          `json:"rating"`
	Rev    int64           `json:"revision"`
	Update time.Time       `json:"update_time"`
	Create time.Time       `json:"create_time"`
}

const actionChangeColumns = `c.id, c.action_id, c.actor, c.organisation_id, c.change_time, c.kind, c.fields, c.reason,
	a.council_id, a.plan_id, c.after`

func (t *tx) AddActionChange(ctx context.Context, c domain.ActionChange) (domain.ActionChange, error) {
	after, err := encodeAction(c.After)
	if err != nil {
		return c, err
	}
	snapshot, err := json.Marshal(actionSnapshot{after, c.After.LeadOrganisationID, string(c.After.Status), string(c.After.Rating), c.After.Revision,
		c.After.UpdateTime.UTC().Truncate(time.Microsecond), c.After.CreateTime.UTC().Truncate(time.Microsecond)})
	if err != nil {
		return c, err
	}
	fields := c.Fields
	if fields == nil {
		fields = []string{}
	}
	_, err = t.q.Exec(ctx, `INSERT INTO plan_action_changes (id, action_id, actor, organisation_id, change_time, kind, fields, reason, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.ID, c.ActionID, c.Actor, c.OrganisationID, c.Time, c.Kind, fields, c.Reason, snapshot)
	if err != nil {
		return c, err
	}
	out, err := t.ListActionChanges(ctx, c.ActionID, "", 1<<30) // small: one action's history
	for _, x := range out {
		if x.ID == c.ID {
			return x, err
		}
	}
	return c, err
}

func (t *tx) ListActionChanges(ctx context.Context, actionID, after string, limit int) ([]domain.ActionChange, error) {
	if after == "" {
		after = zeroUUID
	}
	rows, err := t.q.Query(ctx, `SELECT `+actionChangeColumns+` FROM plan_action_changes c JOIN plan_actions a ON a.id = c.action_id
		WHERE c.action_id = $1 AND c.id > $2::uuid ORDER BY c.id LIMIT $3`, actionID, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.ActionChange, error) {
		var (
			c        domain.ActionChange
			snapshot []byte
		)
		if err := r.Scan(&c.ID, &c.ActionID, &c.Actor, &c.OrganisationID, &c.Time, &c.Kind, &c.Fields, &c.Reason,
			&c.CouncilID, &c.PlanID, &snapshot); err != nil {
			return c, err
		}
		c.Time, c.Fields = c.Time.UTC(), nilIfEmpty(c.Fields)
		var s actionSnapshot
		if err := json.Unmarshal(snapshot, &s); err != nil {
			return c, err
		}
		c.After = domain.PlanAction{ID: c.ActionID, CouncilID: c.CouncilID, PlanID: c.PlanID, LeadOrganisationID: s.Lead,
			Status: domain.ActionStatus(s.Status), Rating: domain.Rating(s.Rating), Revision: s.Rev, UpdateTime: s.Update.UTC(), CreateTime: s.Create.UTC()}
		return c, decodeAction(&c.After, s.Detail)
	})
}
