package youngpeople

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
)

const (
	collection         = "youngPeople"
	organisationPrefix = "organisations/"
	personPrefix       = "people/"
)

// Name returns the resource name of the young person with id.
func Name(id string) string { return collection + "/" + id }

func parseName(field, name string) (string, error) {
	ids, err := convert.Parse(field, name, collection)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// toProto renders a young person; their age and key dates are as of today, under their
// council's leap-day rule.
func toProto(yp domain.YoungPerson, today civil.Date, rule civil.LeaplingRule) *pb.YoungPerson {
	out := &pb.YoungPerson{
		Name:                            Name(yp.ID),
		GivenName:                       yp.GivenName,
		FamilyName:                      yp.FamilyName,
		PreferredName:                   yp.PreferredName,
		DateOfBirth:                     convert.Date(yp.DateOfBirth),
		Council:                         organisationPrefix + yp.CouncilID,
		CaseReference:                   yp.CaseReference,
		UnaccompaniedAsylumSeekingChild: yp.UnaccompaniedAsylumSeekingChild,
		EhcPlan:                         yp.EHCPlan,
		Disability:                      yp.Disability,
		OpenToCamhs:                     yp.OpenToCAMHS,
		InEducationOrTraining:           yp.InEducationOrTraining,
		DetainedOrInHospitalAtSixteen:   yp.DetainedOrInHospitalAt16,
		RelevantStudent:                 yp.RelevantStudent,
		Age:                             convert.Age(yp.DateOfBirth, today, rule),
		KeyDates:                        convert.KeyDates(yp.DateOfBirth, rule),
		CreateTime:                      timestamppb.New(yp.CreateTime),
		UpdateTime:                      timestamppb.New(yp.UpdateTime),
		Etag:                            convert.Etag(yp.Revision),
	}
	if yp.PersonalAdviserID != "" {
		out.PersonalAdviser = personPrefix + yp.PersonalAdviserID
	}
	return out
}

// fromProto reads the fields a caller may set; identity, times, revision and the derived
// age and key dates are the server's.
func fromProto(in *pb.YoungPerson) domain.YoungPerson {
	return domain.YoungPerson{
		GivenName:                       in.GetGivenName(),
		FamilyName:                      in.GetFamilyName(),
		PreferredName:                   in.GetPreferredName(),
		DateOfBirth:                     convert.FromDate(in.GetDateOfBirth()),
		CouncilID:                       strings.TrimPrefix(in.GetCouncil(), organisationPrefix),
		CaseReference:                   in.GetCaseReference(),
		UnaccompaniedAsylumSeekingChild: in.GetUnaccompaniedAsylumSeekingChild(),
		EHCPlan:                         in.GetEhcPlan(),
		Disability:                      in.GetDisability(),
		OpenToCAMHS:                     in.GetOpenToCamhs(),
		InEducationOrTraining:           in.GetInEducationOrTraining(),
		DetainedOrInHospitalAt16:        in.GetDetainedOrInHospitalAtSixteen(),
		RelevantStudent:                 in.GetRelevantStudent(),
		PersonalAdviserID:               strings.TrimPrefix(in.GetPersonalAdviser(), personPrefix),
	}
}
