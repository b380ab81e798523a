package console

import (
	"strings"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The API's codes in words, for people.

var areaWords = map[pb.MilestoneDefinition_Area]string{
	pb.MilestoneDefinition_CONTACT_AND_SUPPORT:       "Contact and support",
	pb.MilestoneDefinition_EDUCATION_AND_TRAINING:    "Education and training",
	pb.MilestoneDefinition_EMPLOYMENT:                "Employment",
	pb.MilestoneDefinition_CONTINGENCY:               "Contingency",
	pb.MilestoneDefinition_ACCOMMODATION:             "Accommodation",
	pb.MilestoneDefinition_RELATIONSHIPS:             "Relationships",
	pb.MilestoneDefinition_INDEPENDENT_LIVING_SKILLS: "Independent living skills",
	pb.MilestoneDefinition_FINANCE:                   "Finance",
	pb.MilestoneDefinition_HEALTH:                    "Health",
	pb.MilestoneDefinition_IDENTITY:                  "Identity",
}

// areaOrder is the timeline's rows, in the pathway plan's order.
var areaOrder = []pb.MilestoneDefinition_Area{
	pb.MilestoneDefinition_CONTACT_AND_SUPPORT, pb.MilestoneDefinition_ACCOMMODATION, pb.MilestoneDefinition_EDUCATION_AND_TRAINING,
	pb.MilestoneDefinition_EMPLOYMENT, pb.MilestoneDefinition_FINANCE, pb.MilestoneDefinition_HEALTH,
	pb.MilestoneDefinition_IDENTITY, pb.MilestoneDefinition_RELATIONSHIPS, pb.MilestoneDefinition_INDEPENDENT_LIVING_SKILLS,
	pb.MilestoneDefinition_CONTINGENCY,
}

func areaWord(a pb.MilestoneDefinition_Area) string {
	if w, ok := areaWords[a]; ok {
		return w
	}
	return "Other"
}

// milestoneStatus is a milestone's state in words and as a GOV.UK tag colour; overdue wins.
func milestoneStatus(m *pb.Milestone) (word, tag string) {
	if m.GetOverdue() {
		if m.GetState() == pb.Milestone_IN_PROGRESS {
			return "In progress, overdue", "govuk-tag--red"
		}
		return "Overdue", "govuk-tag--red"
	}
	switch m.GetState() {
	case pb.Milestone_ACHIEVED:
		return "Achieved", "govuk-tag--green"
	case pb.Milestone_SCHEDULED:
		return "Scheduled", "govuk-tag--blue"
	case pb.Milestone_IN_PROGRESS:
		return "In progress", "govuk-tag--light-blue"
	case pb.Milestone_WAIVED:
		return "Waived", "govuk-tag--grey"
	case pb.Milestone_NOT_APPLICABLE:
		return "Not applicable", "govuk-tag--grey"
	}
	return "To come", "govuk-tag--grey"
}

var categoryWords = map[pb.CareLeaverStatus_Category]string{
	pb.CareLeaverStatus_NONE:             "Not a care leaver: not entitled to leaving-care support",
	pb.CareLeaverStatus_NOT_YET_ELIGIBLE: "Looked after, not yet eligible for leaving-care support",
	pb.CareLeaverStatus_ELIGIBLE:         "Eligible child: looked after, aged 16 or 17, entitled to leaving-care support",
	pb.CareLeaverStatus_RELEVANT:         "Relevant child: aged 16 or 17, has left care, entitled to leaving-care support",
	pb.CareLeaverStatus_FORMER_RELEVANT:  "Former relevant child: a care leaver aged 18 or over, entitled to leaving-care support",
	pb.CareLeaverStatus_QUALIFYING:       "Qualifying care leaver: entitled to advice and some help",
}

var checkStatusWords = map[pb.CheckStatus]struct{ word, tag string }{
	pb.CheckStatus_CHECK_STATUS_PASS:           {"Ready", "govuk-tag--green"},
	pb.CheckStatus_CHECK_STATUS_FAIL:           {"Not ready", "govuk-tag--red"},
	pb.CheckStatus_CHECK_STATUS_NOT_DUE:        {"Not due yet", "govuk-tag--grey"},
	pb.CheckStatus_CHECK_STATUS_NOT_APPLICABLE: {"Does not apply", "govuk-tag--grey"},
}

// codeWords turns an API code such as CONFIRMED_BY_AGENCY into "Confirmed by agency".
func codeWords(code string) string {
	s := strings.ToLower(strings.ReplaceAll(code, "_", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
