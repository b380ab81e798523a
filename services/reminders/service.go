// Package reminders implements ReminderService: each person's and organisation's inbox of
// reminders, a stream of new ones, and organisations' webhook endpoints and deliveries.
package reminders

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/reminder"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements ReminderService.
type Server struct {
	pb.UnimplementedReminderServiceServer
	store store.Store
	now   func() time.Time
	hooks Webhooks
}

// Webhooks is how endpoints are checked and given secrets.
type Webhooks struct {
	// CheckURL refuses URLs that are not https or resolve to private, loopback or link-local
	// addresses (unless a development flag allows them).
	CheckURL func(ctx context.Context, url string) error
	// NewSecret makes an HMAC signing secret; NewSigningKey an Ed25519 signing key.
	NewSecret     func() string
	NewSigningKey func() string
	// Poll is how often WatchReminders looks for new reminders.
	Poll time.Duration
}

// New returns the service.
func New(s store.Store, now func() time.Time, hooks Webhooks) *Server {
	return &Server{store: s, now: now, hooks: hooks}
}

var errReminderDenied = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"the reminder is not addressed to you or your organisation, or there is no such reminder")

// recipients turns an inbox parent into the recipient it names, which must be the caller or
// the caller's organisation, as orgInbox allows.
func recipients(field, parent string, p principal.Principal) (domain.Recipient, error) {
	if id, ok := strings.CutPrefix(parent, "people/"); ok {
		if id == "me" {
			id = p.Subject
		}
		if p.Kind != principal.KindPerson || id != p.Subject {
			return "", errs.New(errs.PermissionDenied, errs.ReasonAccessDenied, "you may list only your own reminders").With("field", field)
		}
		return domain.PersonRecipient(id), nil
	}
	org := strings.TrimPrefix(parent, "organisations/")
	if !orgInbox(p, org) {
		return "", errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
			"you may list only your organisation's reminders: team managers for a council, partner officers for a partner").
			With("field", field)
	}
	return domain.OrganisationRecipient(org), nil
}

// orgInbox reports whether the caller works an organisation's inbox. A council's reminders
// are about young people with no personal adviser, whom only team managers may see; a
// partner's are about young people shared with it, for its officers and systems.
func orgInbox(p principal.Principal, org string) bool {
	if org != p.Organisation {
		return false
	}
	if p.OrganisationType == string(domain.Council) {
		return p.Has(access.Manager)
	}
	return p.Has(access.Partner)
}

// addressedTo reports whether the caller may act on a reminder: it is theirs or their
// organisation's.
func addressedTo(p principal.Principal, r domain.Reminder) bool {
	if id, ok := r.Recipient.Person(); ok {
		return p.Kind == principal.KindPerson && id == p.Subject
	}
	org, _ := r.Recipient.Organisation()
	return orgInbox(p, org)
}

var states = map[domain.ReminderState]pb.Reminder_State{domain.ReminderOpen: pb.Reminder_OPEN,
	domain.ReminderAcknowledged: pb.Reminder_ACKNOWLEDGED, domain.ReminderCancelled: pb.Reminder_CANCELLED}

// reminderToProto converts a reminder for its recipient; names are the display names of the
// young people the caller may see.
func reminderToProto(r domain.Reminder, names map[string]string) *pb.Reminder {
	out := &pb.Reminder{Name: "reminders/" + r.ID, YoungPerson: "youngPeople/" + r.YoungPersonID, Rule: r.Rule,
		Title: r.Title, DueDate: convert.Date(r.DueOn), Recipient: string(r.Recipient), State: states[r.State],
		CancelReason: r.CancelReason, CreateTime: timestamppb.New(r.CreateTime), UpdateTime: timestamppb.New(r.UpdateTime),
		Etag: convert.Etag(r.Revision), YoungPersonDisplayName: names[r.YoungPersonID]}
	if r.MilestoneID != "" {
		out.Milestone = "youngPeople/" + r.YoungPersonID + "/milestones/" + r.MilestoneID
	}
	if !r.SnoozeUntil.IsZero() {
		out.SnoozeUntil = timestamppb.New(r.SnoozeUntil)
	}
	return out
}

// names returns the display names of the reminders' young people whom the caller may see
// today: a member of staff those in their scope, a partner those shared with it. One query
// for all of them.
func names(ctx context.Context, tx store.Tx, today civil.Date, rs []domain.Reminder) (map[string]string, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.YoungPersonID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	p := access.Caller(ctx)
	var (
		yps []domain.YoungPerson
		err error
	)
	switch purpose := domain.PurposeOf(domain.OrganisationType(p.OrganisationType)); {
	case p.OrganisationType == string(domain.Council):
		yps, err = tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Scope: access.Scope(ctx), IDs: ids, Limit: len(ids)})
	case p.Has(access.Partner) && purpose != "":
		yps, err = tx.ListSharedYoungPeople(ctx, store.SharedQuery{PartnerID: p.Organisation, Purpose: purpose, Day: today,
			BornAfter: today.Sub(civil.Period{Years: 25, Days: 1}, civil.FebruaryTwentyEighth), YoungPersonIDs: ids, Limit: len(ids)})
		if err == nil {
			yps, err = under25(ctx, tx, today, yps)
		}
	}
	out := map[string]string{}
	for _, yp := range yps {
		out[yp.ID] = displayName(yp)
	}
	return out, err
}

// under25 keeps the young people who are not yet 25 today by their council's birthday rule:
// partners see no one from then.
func under25(ctx context.Context, tx store.Tx, today civil.Date, yps []domain.YoungPerson) ([]domain.YoungPerson, error) {
	rules := store.NewLeaplingRules(tx)
	var out []domain.YoungPerson
	for _, yp := range yps {
		rule, err := rules.Of(ctx, yp.CouncilID)
		if err != nil {
			return nil, err
		}
		if today.Before(civil.Attains(yp.DateOfBirth, civil.Period{Years: 25}, rule)) {
			out = append(out, yp)
		}
	}
	return out, nil
}

// displayName is how staff call a young person: by their preferred name, if they have one.
func displayName(yp domain.YoungPerson) string {
	first := yp.GivenName
	if yp.PreferredName != "" {
		first = yp.PreferredName
	}
	return first + " " + yp.FamilyName
}

// auditSeen records that the caller saw reminders about young people, one record per
// council.
func auditSeen(ctx context.Context, tx store.Tx, now time.Time, rs ...domain.Reminder) error {
	byCouncil := map[string][]string{}
	for _, r := range rs {
		byCouncil[r.CouncilID] = append(byCouncil[r.CouncilID], r.YoungPersonID)
	}
	for _, council := range slices.Sorted(maps.Keys(byCouncil)) {
		if err := access.Audit(ctx, tx, now, access.DirectCare, council, byCouncil[council]...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) ListReminders(ctx context.Context, req *pb.ListRemindersRequest) (*pb.ListRemindersResponse, error) {
	to, err := recipients("parent", req.GetParent(), access.Caller(ctx))
	if err != nil {
		return nil, err
	}
	query := []string{req.GetParent()}
	q := store.ReminderQuery{Recipients: []domain.Recipient{to}, Limit: listing.PageSize(req.GetPageSize()) + 1}
	for _, st := range req.GetStates() {
		q.States = append(q.States, domain.ReminderState(st.String()))
		query = append(query, st.String())
	}
	if len(q.States) == 0 {
		q.States = []domain.ReminderState{domain.ReminderOpen}
	}
	now := s.now()
	if !req.GetShowSnoozed() {
		q.AwakeAt = now
		query = append(query, "awake")
	}
	if q.BeforeID, err = listing.AfterID(req.GetPageToken(), query...); err != nil {
		return nil, err
	}
	var (
		page  []domain.Reminder
		next  string
		known map[string]string
	)
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		if page, err = tx.ListReminders(ctx, q); err != nil {
			return err
		}
		// Only what is returned is audited, not the row fetched to know there is more.
		page, next = listing.Next(page, q.Limit-1, func(r domain.Reminder) string { return r.ID }, query...)
		if known, err = names(ctx, tx, civil.Today(now), page); err != nil {
			return err
		}
		return auditSeen(ctx, tx, now, page...)
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListRemindersResponse{NextPageToken: next}
	for _, r := range page {
		resp.Reminders = append(resp.Reminders, reminderToProto(r, known))
	}
	return resp, nil
}

// change applies fn to an open reminder addressed to the caller, guarded by the etag.
func (s *Server) change(ctx context.Context, name, etag string, fn func(store.Tx, *domain.Reminder) error) (*pb.Reminder, error) {
	ids, err := convert.Parse("name", name, "reminders")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(etag)
	if err != nil {
		return nil, err
	}
	var (
		out   domain.Reminder
		known map[string]string
	)
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetReminder(ctx, ids[0])
		if errs.KindOf(err) == errs.NotFound || err == nil && !addressedTo(access.Caller(ctx), cur) {
			return errReminderDenied
		} else if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		if cur.State != domain.ReminderOpen {
			return errs.New(errs.FailedPrecondition, errs.ReasonInvalidTransition,
				"the reminder is %s; only open reminders can be acknowledged or snoozed", cur.State).With("state", string(cur.State))
		}
		next := cur
		if err := fn(tx, &next); err != nil {
			return err
		}
		next.UpdateTime = s.now()
		if out, err = tx.UpdateReminder(ctx, next, cur.Revision); err != nil {
			return err
		}
		if known, err = names(ctx, tx, civil.Today(next.UpdateTime), []domain.Reminder{out}); err != nil {
			return err
		}
		return auditSeen(ctx, tx, next.UpdateTime, out)
	})
	if err != nil {
		return nil, err
	}
	return reminderToProto(out, known), nil
}

func (s *Server) AcknowledgeReminder(ctx context.Context, req *pb.AcknowledgeReminderRequest) (*pb.Reminder, error) {
	return s.change(ctx, req.GetName(), req.GetEtag(), func(_ store.Tx, r *domain.Reminder) error {
		r.State, r.SnoozeUntil = domain.ReminderAcknowledged, time.Time{}
		return nil
	})
}

// maxSnooze is how far ahead a reminder may be snoozed.
const maxSnooze = 90 * 24 * time.Hour

func (s *Server) SnoozeReminder(ctx context.Context, req *pb.SnoozeReminderRequest) (*pb.Reminder, error) {
	day, field := civil.Date{}, "snooze_until"
	if d := req.GetSnoozeUntilDate(); d != nil {
		if day, field = convert.FromDate(d), "snooze_until_date"; !day.Valid() {
			return nil, errs.Invalid(errs.Violation{Field: field, Description: "is not a real calendar date"})
		}
	}
	// until is when the reminder wakes: the instant asked for, or the council's send time
	// on the day asked for, when that day's reminders are raised.
	until := func(tx store.Tx, r domain.Reminder) (time.Time, error) {
		if day.IsZero() {
			return req.GetSnoozeUntil().AsTime(), nil
		}
		settings, err := tx.GetPathwaySettings(ctx, r.CouncilID)
		if err != nil {
			return time.Time{}, err
		}
		sendAt := catalogue.Default().Reminders.SendAt
		if settings.Reminders != nil {
			sendAt = settings.Reminders.SendAt
		}
		return reminder.SendTime(day, sendAt), nil
	}
	return s.change(ctx, req.GetName(), req.GetEtag(), func(tx store.Tx, r *domain.Reminder) error {
		at, err := until(tx, *r)
		if err != nil {
			return err
		}
		if now := s.now(); !at.After(now) || at.After(now.Add(maxSnooze)) {
			return errs.Invalid(errs.Violation{Field: field, Description: "must be in the future and at most 90 days ahead"})
		}
		r.SnoozeUntil = at.UTC().Truncate(time.Microsecond)
		return nil
	})
}

// WatchReminders polls the store rather than listening in-process, so that it sees
// reminders raised by every replica. Ids are time-ordered (UUIDv7) but transactions commit
// out of order, so each poll looks again at the last watchLag of ids and sends only those
// not yet sent.
func (s *Server) WatchReminders(req *pb.WatchRemindersRequest, stream grpc.ServerStreamingServer[pb.Reminder]) error {
	ctx := stream.Context()
	parent := req.GetParent()
	if parent == "" {
		parent = "people/me"
	}
	to, err := recipients("parent", parent, access.Caller(ctx))
	if err != nil {
		return err
	}
	cursor := strings.TrimPrefix(req.GetStartAfter(), "reminders/")
	if cursor == "" {
		cursor = idFloor(time.Now()) // ids are minted from the real clock
	}
	floor := cursor
	// The headers tell the client the watch has started: what is raised from now on is sent.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	sent := map[string]bool{}
	t := time.NewTicker(s.hooks.Poll)
	defer t.Stop()
	for {
		from := max(floor, min(cursor, idFloor(time.Now().Add(-watchLag))))
		for {
			var (
				page, unsent []domain.Reminder
				known        map[string]string
			)
			err := s.store.InTx(ctx, func(tx store.Tx) (err error) {
				page, err = tx.ListReminders(ctx, store.ReminderQuery{Recipients: []domain.Recipient{to}, AfterID: from,
					Oldest: true, Limit: listing.MaxPageSize})
				if err != nil {
					return err
				}
				unsent = slices.DeleteFunc(slices.Clone(page), func(r domain.Reminder) bool { return sent[r.ID] })
				now := s.now()
				if known, err = names(ctx, tx, civil.Today(now), unsent); err != nil {
					return err
				}
				return auditSeen(ctx, tx, now, unsent...)
			})
			if err != nil {
				return err
			}
			if len(page) > 0 {
				from = page[len(page)-1].ID
			}
			for _, r := range unsent {
				if err := stream.Send(reminderToProto(r, known)); err != nil {
					return err
				}
				sent[r.ID], cursor = true, max(cursor, r.ID)
			}
			if len(page) < listing.MaxPageSize {
				break
			}
		}
		old := idFloor(time.Now().Add(-2 * watchLag))
		maps.DeleteFunc(sent, func(id string, _ bool) bool { return id < old })
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// watchLag is how long after its id was minted a reminder may still commit and be watched:
// well beyond the longest transaction that raises reminders (a batch of the sweep).
const watchLag = 2 * time.Minute

// idFloor is the smallest UUIDv7 of the millisecond t.
func idFloor(t time.Time) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-7000-8000-000000000000", ms>>16, ms&0xffff)
}
