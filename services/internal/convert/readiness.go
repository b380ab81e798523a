package convert

import (
	"context"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/type/date"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/platform/principal"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

var ratings = map[domain.Rating]pb.Rating{domain.Red: pb.Rating_RATING_RED, domain.Amber: pb.Rating_RATING_AMBER,
	domain.Green: pb.Rating_RATING_GREEN}

// Rating converts a rating.
func Rating(r domain.Rating) pb.Rating { return ratings[r] }

// FromRating converts an API rating.
func FromRating(r pb.Rating) domain.Rating {
	for d, p := range ratings {
		if p == r {
			return d
		}
	}
	return ""
}

var checkStatuses = map[readiness.Status]pb.CheckStatus{readiness.Pass: pb.CheckStatus_CHECK_STATUS_PASS,
	readiness.Fail: pb.CheckStatus_CHECK_STATUS_FAIL, readiness.NotDue: pb.CheckStatus_CHECK_STATUS_NOT_DUE,
	readiness.NotApplicable: pb.CheckStatus_CHECK_STATUS_NOT_APPLICABLE}

// CheckStatus converts the outcome of a check, requirement or factor.
func CheckStatus(s readiness.Status) pb.CheckStatus { return checkStatuses[s] }

const evidencePrefix = "EVIDENCE_TYPE_"

// EvidenceType converts how a fact was verified.
func EvidenceType(e domain.EvidenceType) pb.EvidenceType {
	return pb.EvidenceType(pb.EvidenceType_value[evidencePrefix+string(e)])
}

// FromEvidenceType converts an API evidence type ("" for none).
func FromEvidenceType(e pb.EvidenceType) domain.EvidenceType {
	if e == pb.EvidenceType_EVIDENCE_TYPE_UNSPECIFIED {
		return ""
	}
	return domain.EvidenceType(e.String()[len(evidencePrefix):])
}

// NewFact makes a fact record from a request, recorded now by the caller; the effective
// date is today unless the request gives one. Validate it with readiness.ValidateFact.
func NewFact(ctx context.Context, ypID, key string, value bool, effective *date.Date, evidence pb.EvidenceType, now time.Time) domain.Fact {
	p, _ := principal.From(ctx)
	f := domain.Fact{ID: uuid.Must(uuid.NewV7()).String(), YoungPersonID: ypID, Key: key, Value: value,
		EffectiveDate: civil.Today(now), EvidenceType: FromEvidenceType(evidence), RecordedBy: principal.Actor(ctx),
		OrganisationID: p.Organisation, RecordTime: now}
	if effective != nil {
		f.EffectiveDate = FromDate(effective)
	}
	return f
}

// Provenance converts where an answer comes from, without the person who recorded it.
func Provenance(p readiness.Provenance) *pb.Provenance {
	out := &pb.Provenance{Source: pb.Provenance_Source(pb.Provenance_Source_value[p.Source]), Ref: p.Ref,
		Date: Date(p.Date), EvidenceType: EvidenceType(p.EvidenceType), EvidenceCount: int32(p.EvidenceCount)}
	if p.Source == "MILESTONE" {
		out.Ref = "milestoneDefinitions/" + p.Ref
	}
	if p.Organisation != "" {
		out.Organisation = "organisations/" + p.Organisation
	}
	return out
}

// Readiness converts a partner's readiness view.
func Readiness(name string, r readiness.PartnerReadiness) *pb.Readiness {
	sources := readiness.FactorSources(r.Purpose)
	out := &pb.Readiness{Name: name, AsOf: Date(r.AsOf), EighteenthBirthday: Date(r.EighteenthBirthday),
		NeedDate: Date(r.NeedDate), PlannedMoveDate: Date(r.PlannedMoveDate), Rating: Rating(r.Rating),
		Rule: r.Rule, Explanation: r.Explanation}
	for _, f := range r.Factors {
		pf := &pb.ReadinessFactor{Factor: f.Key, Title: f.Title, Status: CheckStatus(f.Status), Hard: f.Hard,
			NeededBy: Date(f.NeededBy), Overdue: f.Overdue, Reason: f.Reason, Detail: f.Detail, Source: sources[f.Key]}
		for _, p := range f.Provenance {
			pf.Provenance = append(pf.Provenance, Provenance(p))
		}
		out.Factors = append(out.Factors, pf)
	}
	return out
}
