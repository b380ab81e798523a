package youngpeople

import (
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

const (
	collection         = "youngPeople/"
	organisationPrefix = "organisations/"
)

// Name returns the resource name of the young person with id.
func Name(id string) string { return collection + id }

// parseName returns the id in a young person's resource name; field is the request field
// that held it, for the violation.
func parseName(field, name string) (string, error) {
	id, ok := strings.CutPrefix(name, collection)
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", errs.Invalid(errs.Violation{Field: field, Description: "must be a young person's name, youngPeople/{young_person}"})
	}
	return id, nil
}

// etag and parseEtag expose a record's revision as its etag. An etag that is not one of
// ours can never match, so it is a mismatch (ABORTED), not a malformed request.
func etag(revision int64) string { return strconv.FormatInt(revision, 10) }

func parseEtag(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	rev, err := strconv.ParseInt(s, 10, 64)
	if err != nil || rev <= 0 {
		return 0, store.ErrRevisionMismatch
	}
	return rev, nil
}

func toProto(yp domain.YoungPerson) *pb.YoungPerson {
	return &pb.YoungPerson{
		Name:                            Name(yp.ID),
		GivenName:                       yp.GivenName,
		FamilyName:                      yp.FamilyName,
		PreferredName:                   yp.PreferredName,
		DateOfBirth:                     &date.Date{Year: int32(yp.DateOfBirth.Year), Month: int32(yp.DateOfBirth.Month), Day: int32(yp.DateOfBirth.Day)},
		Council:                         organisationPrefix + yp.CouncilID,
		CaseReference:                   yp.CaseReference,
		UnaccompaniedAsylumSeekingChild: yp.UnaccompaniedAsylumSeekingChild,
		EhcPlan:                         yp.EHCPlan,
		Disability:                      yp.Disability,
		CreateTime:                      timestamppb.New(yp.CreateTime),
		UpdateTime:                      timestamppb.New(yp.UpdateTime),
		Etag:                            etag(yp.Revision),
	}
}

// fromProto reads the fields a caller may set; identity, times and revision are the
// server's.
func fromProto(in *pb.YoungPerson) domain.YoungPerson {
	yp := domain.YoungPerson{
		GivenName:                       in.GetGivenName(),
		FamilyName:                      in.GetFamilyName(),
		PreferredName:                   in.GetPreferredName(),
		CouncilID:                       strings.TrimPrefix(in.GetCouncil(), organisationPrefix),
		CaseReference:                   in.GetCaseReference(),
		UnaccompaniedAsylumSeekingChild: in.GetUnaccompaniedAsylumSeekingChild(),
		EHCPlan:                         in.GetEhcPlan(),
		Disability:                      in.GetDisability(),
	}
	if d := in.GetDateOfBirth(); d != nil {
		yp.DateOfBirth = civil.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
	}
	return yp
}
