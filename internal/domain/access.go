package domain

import (
	"slices"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
)

// OrganisationType is the kind of an organisation.
type OrganisationType string

const (
	Council               OrganisationType = "COUNCIL"
	Housing               OrganisationType = "HOUSING"
	EmploymentAndTraining OrganisationType = "EMPLOYMENT_AND_TRAINING"
	HealthBody            OrganisationType = "HEALTH"
	School                OrganisationType = "SCHOOL"
)

// Organisation is a council or a partner.
type Organisation struct {
	ID          string
	DisplayName string
	Type        OrganisationType
	// CertificateSubjects are the URI SANs of client certificates of its systems.
	CertificateSubjects []string
	// Steward is, for a partner, the council that registered it: its administrators
	// manage the partner while the partner works with that council alone. Set at creation;
	// "" for councils.
	Steward    string
	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// Role is what a person may do.
type Role string

const (
	PersonalAdviser Role = "PERSONAL_ADVISER"
	TeamManager     Role = "TEAM_MANAGER"
	PartnerOfficer  Role = "PARTNER_OFFICER"
	Administrator   Role = "ADMINISTRATOR"
	Auditor         Role = "AUDITOR"
	// PartnerAdministrator manages a partner organisation's own people, certificates and
	// webhook endpoints.
	PartnerAdministrator Role = "PARTNER_ADMINISTRATOR"
	// YoungPersonRole is a young person's own account, in their council, linked to their
	// record (Person.YoungPersonID): they see themself and no one else. (YoungPerson is
	// their record's type.)
	YoungPersonRole Role = "YOUNG_PERSON"
)

// ForPartners reports whether the role is held in partner organisations (the others are
// held in councils).
func (r Role) ForPartners() bool { return r == PartnerOfficer || r == PartnerAdministrator }

// heldAlone are the roles a person holds with no other: whoever manages who may see young
// people's records, or audits that, does not see the records (separation of duties).
var heldAlone = []Role{Administrator, PartnerAdministrator, Auditor}

// RolesProblem says what is wrong with giving these roles to a person of an organisation
// of type t, or "" when nothing is.
func RolesProblem(t OrganisationType, roles []Role) string {
	if len(roles) == 0 {
		return "must have at least one role"
	}
	for i, r := range roles {
		if r.ForPartners() == (t == Council) {
			return "role " + string(r) + " does not fit a " + string(t) + " organisation"
		}
		if slices.Contains(roles[:i], r) {
			return "lists a role twice"
		}
		if len(roles) > 1 && r == YoungPersonRole {
			return "role " + string(r) + " is held alone: a young person's own account is theirs only"
		}
		if len(roles) > 1 && slices.Contains(heldAlone, r) {
			return "role " + string(r) + " is held alone: who administers or audits does not also see young people's records"
		}
	}
	return ""
}

// Person is someone who uses carepath; the id is their tokens' subject.
type Person struct {
	ID             string
	DisplayName    string
	OrganisationID string
	Team           string
	Roles          []Role
	Disabled       bool
	// YoungPersonID is, for a young person's own account (role YoungPerson), who they are;
	// "" for everyone else. It is set when the account is made and never changes.
	YoungPersonID string
	// OwnReminders is, for a young person's own account, whether they have asked to be
	// reminded in carepath of their own steps coming due. Only they change it.
	OwnReminders bool
	CreateTime   time.Time
	UpdateTime   time.Time
	Revision     int64
}

// Has reports whether the person has the role.
func (p Person) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Purpose is why information is shared with a partner.
type Purpose string

const (
	PurposeHousing    Purpose = "HOUSING"
	PurposeEmployment Purpose = "EMPLOYMENT"
)

// PurposeOf is the purpose that goes with a partner's type, or "".
func PurposeOf(t OrganisationType) Purpose {
	switch t {
	case Housing:
		return PurposeHousing
	case EmploymentAndTraining:
		return PurposeEmployment
	}
	return ""
}

// SharingAgreement is a council's information-sharing agreement with a partner.
type SharingAgreement struct {
	ID         string
	CouncilID  string
	PartnerID  string
	Purpose    Purpose
	Start      civil.Date
	End        civil.Date // zero: no end
	Reference  string
	CreateTime time.Time
	UpdateTime time.Time
	Revision   int64
}

// InForce reports whether the agreement holds on day.
func (a SharingAgreement) InForce(day civil.Date) bool {
	return !day.Before(a.Start) && (a.End.IsZero() || day.Before(a.End))
}

// Basis is the lawful basis recorded for sharing a young person.
type Basis string

const (
	BasisReferral Basis = "REFERRAL"
	BasisConsent  Basis = "CONSENT"
)

// Share is the sharing of one young person with a partner for a purpose.
type Share struct {
	ID             string
	YoungPersonID  string
	PartnerID      string
	Purpose        Purpose
	Basis          Basis
	Start          civil.Date
	Expiry         civil.Date // the day sharing stops
	WithdrawTime   time.Time  // zero unless withdrawn
	WithdrawReason string
	RecordedBy     string
	CreateTime     time.Time
	Revision       int64
}

// InForce reports whether the share holds on day.
func (s Share) InForce(day civil.Date) bool {
	return s.WithdrawTime.IsZero() && !day.Before(s.Start) && day.Before(s.Expiry)
}
