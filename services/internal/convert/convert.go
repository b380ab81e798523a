// Package convert turns values shared by several services between their proto and domain
// forms.
package convert

import (
	"github.com/carepath/carepath/internal/platform/principal"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/type/date"

	"github.com/carepath/carepath/internal/domain/carestatus"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Date returns d as a google.type.Date, or nil for the zero Date.
func Date(d civil.Date) *date.Date {
	if d.IsZero() {
		return nil
	}
	v := DateValue(d)
	return &v
}

// DateValue is d as a google.type.Date value, for callers that allocate many together.
func DateValue(d civil.Date) date.Date {
	return date.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// FromDate returns the civil date of d; the zero Date for nil. Validity is checked by the
// domain, so that an impossible date gets a field violation.
func FromDate(d *date.Date) civil.Date {
	if d == nil {
		return civil.Date{}
	}
	return civil.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
}

// AsOf returns the day a request asks about: d, which must be a real calendar date (field
// names the request field for the violation), or today when d is unset.
func AsOf(field string, d *date.Date, today civil.Date) (civil.Date, error) {
	if d == nil {
		return today, nil
	}
	asOf := FromDate(d)
	if !asOf.Valid() {
		return civil.Date{}, errs.Invalid(errs.Violation{Field: field, Description: "is not a real calendar date"})
	}
	return asOf, nil
}

// Etag exposes a revision as an etag.
func Etag(revision int64) string {
	if revision == 0 {
		return ""
	}
	return strconv.FormatInt(revision, 10)
}

// ParseEtag reads an etag sent back by a caller; "" means no condition. An etag that is not
// one of ours can never match, so it is a mismatch (ABORTED), not a malformed request.
func ParseEtag(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	rev, err := strconv.ParseInt(s, 10, 64)
	if err != nil || rev <= 0 {
		return 0, store.ErrRevisionMismatch
	}
	return rev, nil
}

// uuidCollections hold resources whose ids are UUIDs the server assigned.
var uuidCollections = map[string]bool{"youngPeople": true, "careEpisodes": true, "milestones": true,
	"shares": true, "sharingAgreements": true, "sharedYoungPeople": true, "reminders": true, "webhookEndpoints": true,
	"actions": true, "goals": true, "localOfferEntries": true}

// IsUUID reports whether s is a UUID in the canonical form the server assigns (lower case,
// hyphenated): any other id cannot name a resource, and is refused as bad input before it
// reaches a store.
func IsUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Parse splits a resource name against a pattern of collections, such as
// ["youngPeople", "milestones"], and returns the ids. field names the request field, for
// the violation when it does not fit.
func Parse(field, name string, collections ...string) ([]string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 2*len(collections) {
		return nil, badName(field, collections)
	}
	ids := make([]string, len(collections))
	for i, c := range collections {
		if parts[2*i] != c || parts[2*i+1] == "" || uuidCollections[c] && !IsUUID(parts[2*i+1]) {
			return nil, badName(field, collections)
		}
		ids[i] = parts[2*i+1]
	}
	return ids, nil
}

// ParseSingleton is Parse for the name of a singleton resource such as
// youngPeople/{id}/pathway.
func ParseSingleton(field, name, singleton string, collections ...string) ([]string, error) {
	parent, ok := strings.CutSuffix(name, "/"+singleton)
	if !ok {
		return nil, badName(field, append(collections, singleton))
	}
	return Parse(field, parent, collections...)
}

func badName(field string, collections []string) error {
	pattern := make([]string, len(collections))
	for i, c := range collections {
		pattern[i] = c + "/{id}"
	}
	return errs.Invalid(errs.Violation{Field: field, Description: "must be a name like " + strings.Join(pattern, "/")})
}

// KeyDates returns the dates a young person attains the ages that matter.
//
// Every young person's answer holds these, so the messages are allocated together and the
// ages' labels made once: a page of 50 young people would otherwise make 1,350 allocations
// for them alone.
func KeyDates(dob civil.Date, rule civil.LeaplingRule) []*pb.KeyDate {
	n := len(civil.KeyAges)
	out, keyDates, dates := make([]*pb.KeyDate, n), make([]pb.KeyDate, n), make([]date.Date, n)
	for i, age := range civil.KeyAges {
		kd := &keyDates[i]
		kd.Age = keyAgeLabels[i]
		if d := civil.Attains(dob, age, rule); !d.IsZero() {
			dates[i] = DateValue(d)
			kd.Date = &dates[i]
		}
		out[i] = kd
	}
	return out
}

var keyAgeLabels = func() []string {
	labels := make([]string, len(civil.KeyAges))
	for i, age := range civil.KeyAges {
		labels[i] = age.String()
	}
	return labels
}()

// Age returns someone's age on a day.
func Age(dob, on civil.Date, rule civil.LeaplingRule) *pb.Age {
	y, m := civil.AgeOn(dob, on, rule)
	return &pb.Age{Years: int32(y), Months: int32(m)}
}

// LeaplingRule converts the council setting.
func LeaplingRule(r civil.LeaplingRule) pb.LeaplingRule {
	if r == civil.FebruaryTwentyEighth {
		return pb.LeaplingRule_LEAPLING_RULE_FEBRUARY_28
	}
	return pb.LeaplingRule_LEAPLING_RULE_MARCH_1
}

// FromLeaplingRule converts the API value; unspecified means the default.
func FromLeaplingRule(r pb.LeaplingRule) civil.LeaplingRule {
	if r == pb.LeaplingRule_LEAPLING_RULE_FEBRUARY_28 {
		return civil.FebruaryTwentyEighth
	}
	return civil.MarchFirst
}

var categories = map[carestatus.Category]pb.CareLeaverStatus_Category{
	carestatus.None:           pb.CareLeaverStatus_NONE,
	carestatus.NotYetEligible: pb.CareLeaverStatus_NOT_YET_ELIGIBLE,
	carestatus.Eligible:       pb.CareLeaverStatus_ELIGIBLE,
	carestatus.Relevant:       pb.CareLeaverStatus_RELEVANT,
	carestatus.FormerRelevant: pb.CareLeaverStatus_FORMER_RELEVANT,
	carestatus.Qualifying:     pb.CareLeaverStatus_QUALIFYING,
}

// Category converts a care-leaver category.
func Category(c carestatus.Category) pb.CareLeaverStatus_Category { return categories[c] }

// ActorName is how an actor is shown: a person as `people/{id}`; a partner system
// (`system:{organisation}`) and work with no caller (`anonymous`, or "") as they are.
func ActorName(actor string) string {
	if actor == "" || actor == principal.Anonymous || strings.HasPrefix(actor, "system:") {
		return actor
	}
	return "people/" + actor
}
