// Package demo is the small, made-up data set that `carepath serve` loads into the
// in-memory store and `carepath setup --demo` into a database, so that someone trying
// carepath sees something at once: a council with its people, partners and pathway
// settings, and young people aged 13 to 24 with their care episodes, planned pathways and
// some recorded milestones. Dates are relative to the day it is loaded, so the demo is the
// same age whenever it starts. No name or case reference here belongs to a real person.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
)

// CouncilID is the council the demo young people belong to.
const CouncilID = "nottinghamshire"

// NeighbourCouncilID is a second council, with an administrator and an agreement with the
// housing partner but no young people in the demo: partners work with several councils, and
// councils never see each other's young people.
const NeighbourCouncilID = "derbyshire"

// The demo personal advisers and team managers (people ids): one of each for each team, so
// that every demo young person is someone's to see.
const (
	AdviserNorth = "sam-okoro"
	AdviserSouth = "lee-hart"
	ManagerNorth = "tess-manager"
	ManagerSouth = "rob-manager"
)

// The demo partner organisations.
const (
	HousingPartner    = "framework-housing"
	EmploymentPartner = "notts-futures"
)

// DevPrincipals are the demo people `carepath dev-token ROLE` mints tokens for; each has
// something to see in the demo data.
var DevPrincipals = map[string]string{
	"admin":                  "ada-admin",
	"personal-adviser":       AdviserNorth,
	"personal-adviser-south": AdviserSouth,
	"team-manager":           ManagerNorth,
	"team-manager-south":     ManagerSouth,
	"housing-partner":        "hana-housing",
	"housing-admin":          "hal-housing-admin",
	"employment-partner":     "eli-employment",
	"auditor":                "aud-auditor",
	"young-person":           YoungPersonMinor,
	"young-person-adult":     YoungPersonAdult,
}

// The demo young people's own accounts: Amani (17, north team), who sees her pathway but
// may not yet give or withdraw consent herself, and Chloe (19, south team), whose share with
// the housing partner rests on her consent, which she may withdraw.
const (
	YoungPersonMinor = "amani-yp"
	YoungPersonAdult = "chloe-yp"
)

// SignInPeople are the demo people the console's development sign-in page offers, with
// what each can do, in the order a newcomer would try them.
var SignInPeople = []struct{ Subject, Label string }{
	{ManagerNorth, "Tess Manager, team manager, north team"},
	{AdviserNorth, "Sam Okoro, personal adviser, north team"},
	{AdviserSouth, "Lee Hart, personal adviser, south team"},
	{"hana-housing", "Hana Housing, housing officer at Framework Housing Association"},
	{"eli-employment", "Eli Employment, employment officer at Nottinghamshire Futures"},
	{"ada-admin", "Ada Admin, administrator at the council"},
	{"hal-housing-admin", "Hal Housing, administrator at Framework Housing Association"},
	{YoungPersonMinor, "Amani Tesfaye, young person (17)"},
	{YoungPersonAdult, "Chloe Barraclough, young person (19)"},
}

// episode is a care episode from one age to another (a zero end age: still open).
type episode struct {
	from, to          civil.Period
	legal, place, rec string
}

// person is a demo young person aged years and days on the day the demo loads.
type person struct {
	key                    string
	given, family, prefers string
	years, days            int
	uasc, ehcp, disability bool
	camhs                  bool
	adviser                string
	episodes               []episode
}

func yrs(y int) civil.Period   { return civil.Period{Years: y} }
func ym(y, m int) civil.Period { return civil.Period{Years: y, Months: m} }

var people = []person{
	{key: "01", given: "Maya", family: "Thornton", years: 13, days: 40, adviser: AdviserNorth,
		episodes: []episode{{from: ym(11, 2), legal: "C2", place: "U3"}}},
	{key: "02", given: "Jordan", family: "Ellis", prefers: "Jordy", years: 15, days: 120, adviser: AdviserNorth, camhs: true,
		episodes: []episode{{from: ym(12, 5), legal: "C2", place: "U4"}}},
	{key: "03", given: "Kacper", family: "Nowicki", years: 16, days: 30, ehcp: true, adviser: AdviserNorth,
		episodes: []episode{{from: ym(14, 1), legal: "V2", place: "K2"}}},
	{key: "04", given: "Amani", family: "Tesfaye", years: 17, days: 300, uasc: true, adviser: AdviserNorth,
		episodes: []episode{{from: ym(15, 3), legal: "V2", place: "U6"}}},
	{key: "05", given: "Chloe", family: "Barraclough", years: 19, days: 75, disability: true, adviser: AdviserSouth,
		episodes: []episode{{from: yrs(10), to: yrs(18), legal: "C2", place: "U1", rec: "E17"}}},
	{key: "06", given: "Tyrese", family: "Okonjo", prefers: "Ty", years: 21, days: 200, adviser: AdviserSouth,
		episodes: []episode{{from: ym(14, 6), to: ym(16, 2), legal: "C2", place: "U4", rec: "X1"},
			{from: ym(16, 2), to: yrs(18), legal: "C2", place: "H5", rec: "E6"}}},
	{key: "07", given: "Fatima", family: "Rahimi", years: 24, days: 10, adviser: AdviserSouth,
		episodes: []episode{{from: yrs(15), to: yrs(18), legal: "V2", place: "U5", rec: "E5"}}},
}

// YoungPeople returns the ids of the demo young people.
func YoungPeople() []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = ID(p.key)
	}
	return out
}

// ID returns the id of demo person key ("01" to "07"); ids are fixed so the README's
// examples work.
func ID(key string) string { return "d3e10000-0000-4000-8000-0000000000" + key }

// Load adds the demo organisations (LoadAccess) and young people, plans their
// pathways and records some progress: Jordan (aged 15) has achieved, scheduled, overdue and
// future milestones. It returns how many young people it added: none when they are already
// there (it may run again on the same database).
func Load(ctx context.Context, s store.Store, p *planner.Planner, today civil.Date) (int, error) {
	now := today.StartIn(civil.London).Add(9 * time.Hour)
	added := 0
	err := s.InTx(ctx, func(tx store.Tx) error {
		added = 0
		if err := LoadAccess(ctx, tx, today, now); err != nil {
			return err
		}
		if err := loadLocalOffer(ctx, tx, now); err != nil {
			return err
		}
		switch _, err := tx.GetYoungPerson(ctx, ID(people[0].key)); {
		case err == nil:
			// Loaded before, in one transaction with the rest; the young people's own
			// accounts came later, so add them if they are missing.
			return accounts(ctx, tx, now)
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		var ids []string
		for _, pp := range people {
			if err := add(ctx, tx, pp, today, now); err != nil {
				return fmt.Errorf("demo person %s: %w", pp.key, err)
			}
			ids = append(ids, ID(pp.key))
		}
		if err := p.Replan(ctx, tx, ids...); err != nil {
			return err
		}
		if err := recordProgress(ctx, tx, p, today, now); err != nil {
			return err
		}
		added = len(people)
		if err := share(ctx, tx, today, now); err != nil {
			return err
		}
		return accounts(ctx, tx, now)
	})
	return added, err
}

// accounts adds what is missing of the demo young people's own accounts: Amani's and
// Chloe's, as InviteYoungPerson makes them.
func accounts(ctx context.Context, tx store.Tx, now time.Time) error {
	for _, p := range []domain.Person{
		{ID: YoungPersonMinor, DisplayName: "Amani Tesfaye", YoungPersonID: ID("04")},
		{ID: YoungPersonAdult, DisplayName: "Chloe Barraclough", YoungPersonID: ID("05")},
	} {
		p.OrganisationID, p.Roles, p.CreateTime, p.UpdateTime = CouncilID, []domain.Role{domain.YoungPersonRole}, now, now
		if err := ensure(func() error { _, err := tx.GetPerson(ctx, p.ID); return err },
			func() error { _, err := tx.CreatePerson(ctx, p); return err }); err != nil {
			return err
		}
	}
	return nil
}

// ensure creates something unless get finds it, so that the demo may load into a database
// that already has it.
func ensure(get func() error, create func() error) error {
	switch err := get(); {
	case err == nil:
		return nil
	case errs.KindOf(err) != errs.NotFound:
		return err
	}
	return create()
}

// LoadAccess adds what is missing of the demo organisations, people, sharing
// agreements and the council's pathway settings: the council with an administrator, an
// auditor, and a team manager and a personal adviser for each of its two teams; a housing
// and an employment partner, each with an officer and an agreement with the council; and a
// neighbouring council with an administrator and an agreement with the housing partner.
// The employment partner works with the council alone, which registered it and manages it;
// the housing partner works with both councils and has an administrator of its own.
func LoadAccess(ctx context.Context, tx store.Tx, today civil.Date, now time.Time) error {
	for _, o := range []domain.Organisation{
		{ID: CouncilID, DisplayName: "Nottinghamshire County Council", Type: domain.Council},
		{ID: HousingPartner, DisplayName: "Framework Housing Association", Type: domain.Housing,
			CertificateSubjects: []string{"spiffe://carepath.demo/partner/" + HousingPartner}},
		{ID: EmploymentPartner, DisplayName: "Nottinghamshire Futures", Type: domain.EmploymentAndTraining, Steward: CouncilID},
		{ID: NeighbourCouncilID, DisplayName: "Derbyshire County Council", Type: domain.Council},
	} {
		o.CreateTime, o.UpdateTime = now, now
		if err := ensure(func() error { _, err := tx.GetOrganisation(ctx, o.ID); return err },
			func() error { _, err := tx.CreateOrganisation(ctx, o); return err }); err != nil {
			return err
		}
	}
	for _, p := range []domain.Person{
		{ID: "ada-admin", DisplayName: "Ada Admin", OrganisationID: CouncilID, Roles: []domain.Role{domain.Administrator}},
		{ID: "aud-auditor", DisplayName: "Aud Auditor", OrganisationID: CouncilID, Roles: []domain.Role{domain.Auditor}},
		{ID: ManagerNorth, DisplayName: "Tess Manager", OrganisationID: CouncilID, Team: "north", Roles: []domain.Role{domain.TeamManager}},
		{ID: AdviserNorth, DisplayName: "Sam Okoro", OrganisationID: CouncilID, Team: "north", Roles: []domain.Role{domain.PersonalAdviser}},
		{ID: ManagerSouth, DisplayName: "Rob Manager", OrganisationID: CouncilID, Team: "south", Roles: []domain.Role{domain.TeamManager}},
		{ID: AdviserSouth, DisplayName: "Lee Hart", OrganisationID: CouncilID, Team: "south", Roles: []domain.Role{domain.PersonalAdviser}},
		{ID: "hana-housing", DisplayName: "Hana Housing", OrganisationID: HousingPartner, Roles: []domain.Role{domain.PartnerOfficer}},
		{ID: "hal-housing-admin", DisplayName: "Hal Housing", OrganisationID: HousingPartner, Roles: []domain.Role{domain.PartnerAdministrator}},
		{ID: "eli-employment", DisplayName: "Eli Employment", OrganisationID: EmploymentPartner, Roles: []domain.Role{domain.PartnerOfficer}},
		{ID: "dara-admin", DisplayName: "Dara Admin", OrganisationID: NeighbourCouncilID, Roles: []domain.Role{domain.Administrator}},
	} {
		p.CreateTime, p.UpdateTime = now, now
		if err := ensure(func() error { _, err := tx.GetPerson(ctx, p.ID); return err },
			func() error { _, err := tx.CreatePerson(ctx, p); return err }); err != nil {
			return err
		}
	}
	for i, a := range []domain.SharingAgreement{
		{CouncilID: CouncilID, PartnerID: HousingPartner, Purpose: domain.PurposeHousing, Reference: "ISA-NCC-HSG-01"},
		{CouncilID: CouncilID, PartnerID: EmploymentPartner, Purpose: domain.PurposeEmployment, Reference: "ISA-NCC-EET-01"},
		{CouncilID: NeighbourCouncilID, PartnerID: HousingPartner, Purpose: domain.PurposeHousing, Reference: "ISA-DCC-HSG-07"},
	} {
		a.ID, a.Start = fmt.Sprintf("d3e1a000-0000-4000-8000-00000000000%d", i+1), today.AddDays(-365)
		a.CreateTime, a.UpdateTime = now, now
		if err := ensure(func() error { _, err := tx.GetSharingAgreement(ctx, a.ID); return err },
			func() error { _, err := tx.CreateSharingAgreement(ctx, a); return err }); err != nil {
			return err
		}
	}
	// The council's settings, unless it has saved its own.
	switch cur, err := tx.GetPathwaySettings(ctx, CouncilID); {
	case err != nil:
		return err
	case cur.Revision == 0:
		_, err = tx.PutPathwaySettings(ctx, domain.PathwaySettings{CouncilID: CouncilID, Settings: CouncilSettings(), UpdateTime: now}, 0)
		return err
	}
	return nil
}

// share shares Amani (17) and Chloe (19, with consent) with the housing partner, and
// Tyrese (21, with consent) with the employment partner.
func share(ctx context.Context, tx store.Tx, today civil.Date, now time.Time) error {
	for i, s := range []domain.Share{
		{YoungPersonID: ID("04"), PartnerID: HousingPartner, Purpose: domain.PurposeHousing, Basis: domain.BasisReferral},
		{YoungPersonID: ID("05"), PartnerID: HousingPartner, Purpose: domain.PurposeHousing, Basis: domain.BasisConsent},
		{YoungPersonID: ID("06"), PartnerID: EmploymentPartner, Purpose: domain.PurposeEmployment, Basis: domain.BasisConsent},
	} {
		s.ID = fmt.Sprintf("d3e15000-0000-4000-8000-00000000000%d", i+1)
		s.Start, s.Expiry, s.RecordedBy, s.CreateTime = today.AddDays(-30), today.AddDays(335), AdviserNorth, now
		if _, err := tx.CreateShare(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func add(ctx context.Context, tx store.Tx, pp person, today civil.Date, now time.Time) error {
	yp := domain.YoungPerson{
		ID: ID(pp.key), GivenName: pp.given, FamilyName: pp.family, PreferredName: pp.prefers,
		DateOfBirth:                     yearsAgo(today, pp.years).AddDays(-pp.days),
		CouncilID:                       CouncilID,
		CaseReference:                   "NCC-2" + pp.key + "77",
		UnaccompaniedAsylumSeekingChild: pp.uasc, EHCPlan: pp.ehcp, Disability: pp.disability,
		OpenToCAMHS: pp.camhs, PersonalAdviserID: pp.adviser, CreateTime: now, UpdateTime: now,
	}
	if err := yp.Validate(today); err != nil {
		return err
	}
	if _, err := tx.CreateYoungPerson(ctx, yp); err != nil {
		return err
	}
	for i, e := range pp.episodes {
		ep := domain.CareEpisode{
			ID: fmt.Sprintf("d3e1e000-0000-4000-8000-0000000%03d%02d", i, atoi(pp.key)), YoungPersonID: yp.ID,
			Start:       civil.Attains(yp.DateOfBirth, e.from, civil.MarchFirst),
			LegalStatus: e.legal, PlacementType: e.place, ReasonEnded: e.rec, CreateTime: now, UpdateTime: now,
		}
		if !e.to.IsZero() {
			ep.End = civil.Attains(yp.DateOfBirth, e.to, civil.MarchFirst)
		}
		if err := ep.Validate(yp.DateOfBirth, today); err != nil {
			return err
		}
		if _, err := tx.CreateCareEpisode(ctx, ep); err != nil {
			return err
		}
	}
	return nil
}

// recordProgress records what personal advisers have done so far, through the same
// transitions the API uses.
func recordProgress(ctx context.Context, tx store.Tx, p *planner.Planner, today civil.Date, now time.Time) error {
	type step struct {
		person, key string
		occurrence  int
		do          func(m domain.Milestone) (domain.Milestone, error)
	}
	achieve := func(what string) func(m domain.Milestone) (domain.Milestone, error) {
		return func(m domain.Milestone) (domain.Milestone, error) {
			on := m.DueDate
			if on.After(today) {
				on = today
			}
			return m.Complete(on, today, []domain.Evidence{{Description: what, RecordedBy: AdviserNorth, RecordTime: now}})
		}
	}
	schedule := func(m domain.Milestone) (domain.Milestone, error) {
		return m.Schedule(today.AddDays(21), CouncilID, AdviserNorth)
	}
	steps := []step{
		{"02", "local.work_experience.offer", 1, achieve("Work taster week at a garden centre arranged by the virtual school")},
		{"02", "health.review_assessment", 1, achieve("Review health assessment letter on file")},
		{"02", "y9.careers.guidance", 1, achieve("Careers adviser notes from school")},
		{"02", "health.review_assessment", 2, achieve("Review health assessment letter on file")},
		{"02", "age14.voice.participation", 1, achieve("Joined the Children in Care Council")},
		{"02", "age15_9.nino.apply", 1, schedule},
		{"02", "local.work_experience.offer", 3, schedule},
		{"04", "age16.needs_assessment", 1, achieve("Needs assessment on the case record")},
		{"04", "age16.pathway_plan", 1, achieve("Pathway plan signed by the young person")},
		{"04", "age16.pa.introduce", 1, achieve("First meeting with personal adviser")},
		{"04", "uasc.legal_representation", 1, achieve("Solicitor engaged for the leave extension")},
		{"04", "age17_9.accommodation.confirmed", 1, schedule},
	}
	for _, st := range steps {
		ms, err := tx.ListMilestones(ctx, store.MilestoneQuery{YoungPersonID: ID(st.person), Limit: 1000})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Key != st.key || m.Occurrence != st.occurrence {
				continue
			}
			next, err := st.do(m)
			if err != nil {
				return fmt.Errorf("demo step %s %s: %w", st.person, st.key, err)
			}
			next.UpdateTime = now
			saved, err := tx.UpdateMilestone(ctx, next, m.Revision)
			if err != nil {
				return err
			}
			if _, err := tx.AddMilestoneChange(ctx, domain.MilestoneChange{MilestoneID: saved.ID, YoungPersonID: saved.YoungPersonID,
				Action: "demo data", FromState: m.State, ToState: saved.State, Actor: AdviserNorth, Time: now,
				ScheduledDate: saved.ScheduledDate, AchievedDate: saved.AchievedDate,
				OwnerOrganisation: saved.OwnerOrganisation, OwnerPerson: saved.OwnerPerson}); err != nil {
				return err
			}
		}
	}
	// Facts about Amani, who turns 18 soon: some from her adviser, one from the housing
	// partner.
	for i, f := range []domain.Fact{
		{Key: readiness.FactNINumber, Value: true, EvidenceType: domain.DocumentSeen, RecordedBy: AdviserNorth, OrganisationID: CouncilID},
		{Key: readiness.FactImmigrationStatus, Value: true, EvidenceType: domain.ConfirmedByAgency, RecordedBy: AdviserNorth, OrganisationID: CouncilID},
		{Key: readiness.FactTenancyTraining, Value: true, EvidenceType: domain.ConfirmedByAgency, RecordedBy: "hana-housing", OrganisationID: HousingPartner},
	} {
		f.ID, f.YoungPersonID = fmt.Sprintf("d3e1f000-0000-4000-8000-0000000000%02d", i+1), ID("04")
		f.EffectiveDate, f.RecordTime = today.AddDays(-14), now
		if _, err := tx.AddFact(ctx, f); err != nil {
			return err
		}
	}
	// Milestones timed from those just achieved, and readiness.
	return p.Replan(ctx, tx, ID("02"), ID("04"))
}

// yearsAgo is the same day n years before d (28 February for a 29 February).
func yearsAgo(d civil.Date, n int) civil.Date {
	y := civil.New(d.Year-n, d.Month, d.Day)
	if !y.Valid() {
		y.Day = civil.DaysIn(y.Year, y.Month)
	}
	return y
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
