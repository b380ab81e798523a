package pathways

import (
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
	out := &pb.Milestone{
		Name:            milestoneName(m.YoungPersonID, m.ID),
		Occurrence:      int32(m.Occurrence),
		Title:           m.Title,
		Description:     m.Description,
		Area:            pb.MilestoneDefinition_Area(pb.MilestoneDefinition_Area_value[m.Area]),
		OwnerAgencyType: pb.MilestoneDefinition_AgencyType(pb.MilestoneDefinition_AgencyType_value[m.OwnerAgency]),
		Statutory:       m.Statutory,
		DueDate:         convert.Date(m.DueDate),
		Applicable:      m.Applicable,
		State:           pb.Milestone_State(pb.Milestone_State_value[string(m.State)]),
		Overdue:         m.Overdue(today),
		LapseDate:       convert.Date(m.LapseDate),
		Lapsed:          m.Lapsed(today),
		ScheduledDate:   convert.Date(m.ScheduledDate),
		AchievedDate:    convert.Date(m.AchievedDate),
		StateReason:     m.StateReason,
		CreateTime:      timestamppb.New(m.CreateTime),
		UpdateTime:      timestamppb.New(m.UpdateTime),
		Etag:            convert.Etag(m.Revision),
	}
	if m.Key != "" {
		out.Definition = "milestoneDefinitions/" + m.Key
	}
	if m.OwnerOrganisation != "" {
		out.OwnerOrganisation = "organisations/" + m.OwnerOrganisation
	}
	if m.OwnerPerson != "" {
		out.OwnerPerson = "people/" + m.OwnerPerson
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
