package pathways

import (
	"context"
	"strconv"
	"strings"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// transition is one of the custom methods that change a milestone.
type transition struct {
	action, name, etag, reason string
	// apply makes the change; today is the date in London.
	apply func(m domain.Milestone, today civil.Date, actor string) (domain.Milestone, error)
	// about, if set, finishes the change with what it needs of the young person.
	about func(ctx context.Context, tx store.Tx, yp domain.YoungPerson, m domain.Milestone) (domain.Milestone, error)
	// replan is set when milestones timed from this one may move (it was completed or
	// reopened).
	replan bool
}

// change runs a transition in one transaction: the milestone is read under the young
// person's lock, changed, stored with a record of who, when and why, dependent milestones
// are replanned and readiness reassessed.
func (s *Server) change(ctx context.Context, t transition) (*pb.Milestone, error) {
	ids, err := convert.Parse("name", t.name, "youngPeople", "milestones")
	if err != nil {
		return nil, err
	}
	ifRevision, err := convert.ParseEtag(t.etag)
	if err != nil {
		return nil, err
	}
	now, actor := s.now(), principal.Actor(ctx)
	today := civil.Today(now)
	var out domain.Milestone
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		yp, err := access.LockYoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, now, access.DirectCare, yp.CouncilID, yp.ID); err != nil {
			return err
		}
		cur, err := tx.GetMilestone(ctx, ids[0], ids[1])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		next, err := t.apply(cur, today, actor)
		if err == nil && t.about != nil {
			next, err = t.about(ctx, tx, yp, next)
		}
		if err != nil {
			return err
		}
		next.UpdateTime = now
		if out, err = tx.UpdateMilestone(ctx, next, cur.Revision); err != nil {
			return err
		}
		if _, err := tx.AddMilestoneChange(ctx, domain.MilestoneChange{
			MilestoneID: out.ID, YoungPersonID: out.YoungPersonID, Action: t.action, FromState: cur.State,
			ToState: out.State, Actor: actor, Reason: t.reason, Time: now, ScheduledDate: out.ScheduledDate,
			AchievedDate: out.AchievedDate, OwnerOrganisation: out.OwnerOrganisation, OwnerPerson: out.OwnerPerson,
		}); err != nil {
			return err
		}
		if err := s.followUp(ctx, tx, out, t.replan); err != nil {
			return err
		}
		if t.replan && out.Key != "" {
			out, err = tx.GetMilestone(ctx, ids[0], ids[1]) // replanning may have moved it
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return toProto(out, today), nil
}

// followUp brings what follows from a milestone that was created or changed up to date, in
// the same transaction: readiness and reminders at once, and, when milestones may be timed
// from it (a catalogue milestone completed or reopened), the young person's plan first.
// Every write of a milestone goes through it.
func (s *Server) followUp(ctx context.Context, tx store.Tx, m domain.Milestone, replan bool) error {
	if replan && m.Key != "" {
		return s.planner.Replan(ctx, tx, m.YoungPersonID) // which runs the follow-ups too
	}
	return s.planner.Changed(ctx, tx, m.YoungPersonID)
}

func (s *Server) ScheduleMilestone(ctx context.Context, req *pb.ScheduleMilestoneRequest) (*pb.Milestone, error) {
	return s.change(ctx, transition{action: "ScheduleMilestone", name: req.GetName(), etag: req.GetEtag(), reason: req.GetReason(),
		apply: func(m domain.Milestone, _ civil.Date, _ string) (domain.Milestone, error) {
			return m.Schedule(convert.FromDate(req.GetScheduledDate()), strings.TrimPrefix(req.GetOwnerOrganisation(), "organisations/"),
				strings.TrimPrefix(req.GetOwnerPerson(), "people/"))
		}})
}

func (s *Server) StartMilestone(ctx context.Context, req *pb.StartMilestoneRequest) (*pb.Milestone, error) {
	return s.change(ctx, transition{action: "StartMilestone", name: req.GetName(), etag: req.GetEtag(), reason: req.GetReason(),
		apply: func(m domain.Milestone, _ civil.Date, _ string) (domain.Milestone, error) { return m.Start() }})
}

func (s *Server) CompleteMilestone(ctx context.Context, req *pb.CompleteMilestoneRequest) (*pb.Milestone, error) {
	return s.change(ctx, transition{action: "CompleteMilestone", name: req.GetName(), etag: req.GetEtag(), reason: req.GetReason(), replan: true,
		apply: func(m domain.Milestone, today civil.Date, actor string) (domain.Milestone, error) {
			evidence := make([]domain.Evidence, len(req.GetEvidence()))
			for i, e := range req.GetEvidence() {
				evidence[i] = domain.Evidence{Description: e.GetDescription(), Reference: e.GetReference(), RecordedBy: actor, RecordTime: s.now()}
			}
			return m.Complete(convert.FromDate(req.GetAchievedDate()), today, evidence)
		},
		about: func(ctx context.Context, tx store.Tx, yp domain.YoungPerson, m domain.Milestone) (domain.Milestone, error) {
			var contact *ssda903.CareLeaverContact
			returnedHome := false
			if c := req.GetCareLeaverContact(); c != nil {
				contact = &ssda903.CareLeaverContact{InTouch: c.GetInTouch(), Activity: c.GetActivity(), Accommodation: c.GetAccommodation()}
				if contact.InTouch == "RHOM" {
					st, err := statusOn(ctx, tx, yp, m.DueDate)
					if err != nil {
						return m, err
					}
					returnedHome = st.Rule == carestatus.RuleReturnedHome
				}
			}
			// The birthday milestone is due on the birthday, in the year the young person
			// turns the age it records.
			return m.WithCareLeaverContact(contact, m.DueDate.Year-yp.DateOfBirth.Year, returnedHome)
		}})
}

func (s *Server) WaiveMilestone(ctx context.Context, req *pb.WaiveMilestoneRequest) (*pb.Milestone, error) {
	return s.change(ctx, transition{action: "WaiveMilestone", name: req.GetName(), etag: req.GetEtag(), reason: req.GetReason(),
		apply: func(m domain.Milestone, _ civil.Date, _ string) (domain.Milestone, error) {
			return m.Close(domain.Waived, req.GetReason())
		}})
}

func (s *Server) MarkMilestoneNotApplicable(ctx context.Context, req *pb.MarkMilestoneNotApplicableRequest) (*pb.Milestone, error) {
	return s.change(ctx, transition{action: "MarkMilestoneNotApplicable", name: req.GetName(), etag: req.GetEtag(), reason: req.GetReason(),
		apply: func(m domain.Milestone, _ civil.Date, _ string) (domain.Milestone, error) {
			return m.Close(domain.NotApplicable, req.GetReason())
		}})
}

func (s *Server) ReopenMilestone(ctx context.Context, req *pb.ReopenMilestoneRequest) (*pb.Milestone, error) {
	return s.change(ctx, transition{action: "ReopenMilestone", name: req.GetName(), etag: req.GetEtag(), reason: req.GetReason(), replan: true,
		apply: func(m domain.Milestone, _ civil.Date, _ string) (domain.Milestone, error) {
			return m.Reopen(req.GetReason())
		}})
}

func (s *Server) ListMilestoneChanges(ctx context.Context, req *pb.ListMilestoneChangesRequest) (*pb.ListMilestoneChangesResponse, error) {
	ids, err := convert.Parse("parent", req.GetParent(), "youngPeople", "milestones")
	if err != nil {
		return nil, err
	}
	after, err := pagetoken.Decode(req.GetPageToken(), req.GetParent())
	if err != nil {
		return nil, err
	}
	if _, bad := strconv.ParseInt(after, 10, 64); after != "" && bad != nil {
		return nil, pagetoken.Invalid() // change ids are numbers
	}
	size := listing.PageSize(req.GetPageSize())
	var page []domain.MilestoneChange
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		yp, err := access.YoungPerson(ctx, tx, ids[0])
		if err != nil {
			return err
		}
		if _, err = tx.GetMilestone(ctx, ids[0], ids[1]); err != nil {
			return err
		}
		if page, err = tx.ListMilestoneChanges(ctx, ids[1], after, size+1); err != nil {
			return err
		}
		return access.Audit(ctx, tx, s.now(), access.DirectCare, yp.CouncilID, yp.ID)
	})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListMilestoneChangesResponse{}
	page, resp.NextPageToken = listing.Next(page, size, func(c domain.MilestoneChange) string { return c.ID }, req.GetParent())
	for _, c := range page {
		resp.Changes = append(resp.Changes, changeToProto(c))
	}
	return resp, nil
}

// statusOn derives a young person's care-leaver status on a day, within tx.
func statusOn(ctx context.Context, tx store.Tx, yp domain.YoungPerson, day civil.Date) (carestatus.Status, error) {
	rule, err := tx.LeaplingRule(ctx, yp.CouncilID)
	if err != nil {
		return carestatus.Status{}, err
	}
	episodes, err := tx.ListCareEpisodes(ctx, yp.ID)
	if err != nil {
		return carestatus.Status{}, err
	}
	return carestatus.Derive(yp.DateOfBirth, domain.StatusEpisodes(episodes), day, rule,
		yp.StatusCircumstances()), nil
}
