package pathways

import (
	"time"
	"unsafe"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

func milestoneName(youngPersonID, id string) string {
	return "youngPeople/" + youngPersonID + "/milestones/" + id
}

// toProto renders a milestone; overdue is as of today.
func toProto(m domain.Milestone, today civil.Date) *pb.Milestone {
	return newRenderer(1).milestone(m, today)
}

// renderer renders the milestones of one answer, their messages allocated together: a
// pathway of 61 milestones would otherwise make about 360 allocations for them and their
// dates and times alone, and 120 more for their names. Going past the room it was made with
// costs allocations, nothing else.
type renderer struct {
	milestones []pb.Milestone
	dates      []date.Date
	times      []timestamppb.Timestamp
	text       []byte // the names' bytes; each name is a part never written again
}

// nameRoom is room for most milestones' names: their own (96 bytes with UUIDs) and their
// definition's (21 and a key). An owner's names, when there are any, may take the room of
// milestones after; a renderer out of room makes more for eight milestones at a time.
const nameRoom = 160

// newRenderer makes room for n milestones.
func newRenderer(n int) *renderer {
	return &renderer{milestones: make([]pb.Milestone, 0, n), dates: make([]date.Date, 0, 3*n),
		times: make([]timestamppb.Timestamp, 0, 2*n), text: make([]byte, 0, n*nameRoom)}
}

// name returns the parts joined, in the renderer's text. The bytes a name was given are
// never written again (a full text is left to its names, not grown in place), so the
// string may share them.
func (r *renderer) name(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	if cap(r.text)-len(r.text) < n {
		r.text = make([]byte, 0, max(n, 8*nameRoom))
	}
	start := len(r.text)
	for _, p := range parts {
		r.text = append(r.text, p...)
	}
	return unsafe.String(&r.text[start], n)
}

func (r *renderer) date(d civil.Date) *date.Date {
	if d.IsZero() {
		return nil
	}
	r.dates = append(r.dates, convert.DateValue(d))
	return &r.dates[len(r.dates)-1]
}

func (r *renderer) time(t time.Time) *timestamppb.Timestamp {
	r.times = append(r.times, timestamppb.Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())})
	return &r.times[len(r.times)-1]
}

// milestone renders a milestone; overdue is as of today.
func (r *renderer) milestone(m domain.Milestone, today civil.Date) *pb.Milestone {
	r.milestones = append(r.milestones, pb.Milestone{
		Name:            r.name("youngPeople/", m.YoungPersonID, "/milestones/", m.ID),
		Occurrence:      int32(m.Occurrence),
		Title:           m.Title,
		Description:     m.Description,
		Area:            pb.MilestoneDefinition_Area(pb.MilestoneDefinition_Area_value[m.Area]),
		OwnerAgencyType: pb.MilestoneDefinition_AgencyType(pb.MilestoneDefinition_AgencyType_value[m.OwnerAgency]),
		Statutory:       m.Statutory,
		DueDate:         r.date(m.DueDate),
		Applicable:      m.Applicable,
		State:           pb.Milestone_State(pb.Milestone_State_value[string(m.State)]),
		Overdue:         m.Overdue(today),
		LapseDate:       r.date(m.LapseDate),
		Lapsed:          m.Lapsed(today),
		ScheduledDate:   r.date(m.ScheduledDate),
		AchievedDate:    r.date(m.AchievedDate),
		StateReason:     m.StateReason,
		CreateTime:      r.time(m.CreateTime),
		UpdateTime:      r.time(m.UpdateTime),
		Etag:            convert.Etag(m.Revision),
	})
	out := &r.milestones[len(r.milestones)-1]
	if m.Key != "" {
		out.Definition = r.name("milestoneDefinitions/", m.Key)
	}
	if m.OwnerOrganisation != "" {
		out.OwnerOrganisation = r.name("organisations/", m.OwnerOrganisation)
	}
	if m.OwnerPerson != "" {
		out.OwnerPerson = r.name("people/", m.OwnerPerson)
	}
	for _, e := range m.Evidence {
		out.Evidence = append(out.Evidence, &pb.Milestone_Evidence{Description: e.Description, Reference: e.Reference,
			RecordedBy: e.RecordedBy, RecordTime: timestamppb.New(e.RecordTime)})
	}
	if c := m.CareLeaverContact; c != nil {
		out.CareLeaverContact = &pb.CareLeaverContact{InTouch: c.InTouch, Activity: c.Activity, Accommodation: c.Accommodation}
	}
	return out
}

func changeToProto(c domain.MilestoneChange) *pb.MilestoneChange {
	out := &pb.MilestoneChange{
		Name:          milestoneName(c.YoungPersonID, c.MilestoneID) + "/changes/" + c.ID,
		Action:        c.Action,
		FromState:     pb.Milestone_State(pb.Milestone_State_value[string(c.FromState)]),
		ToState:       pb.Milestone_State(pb.Milestone_State_value[string(c.ToState)]),
		Actor:         c.Actor,
		Reason:        c.Reason,
		ChangeTime:    timestamppb.New(c.Time),
		ScheduledDate: convert.Date(c.ScheduledDate),
		AchievedDate:  convert.Date(c.AchievedDate),
	}
	if c.OwnerOrganisation != "" {
		out.OwnerOrganisation = "organisations/" + c.OwnerOrganisation
	}
	if c.OwnerPerson != "" {
		out.OwnerPerson = "people/" + c.OwnerPerson
	}
	return out
}

// count adds a milestone to c: by state, and if overdue or lapsed.
func count(c *pb.Pathway_Counts, m domain.Milestone, today civil.Date) {
	c.Total++
	switch m.State {
	case domain.Planned:
		c.Planned++
	case domain.Scheduled:
		c.Scheduled++
	case domain.InProgress:
		c.InProgress++
	case domain.Achieved:
		c.Achieved++
	case domain.Waived:
		c.Waived++
	case domain.NotApplicable:
		c.NotApplicable++
	}
	if m.Overdue(today) {
		c.Overdue++
	}
	if m.Lapsed(today) {
		c.Lapsed++
	}
}
