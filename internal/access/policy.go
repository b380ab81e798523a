// Package access is carepath's access model in force: it turns credentials into a
// principal (who, from which organisation, with which roles), decides which roles may call
// each RPC, which young people a caller may see, and writes the audit record of every
// access to personal data.
//
// Decisions are made in two places. An interceptor checks the method: every RPC must have
// a policy here, and one without is refused. The services then check the object: they
// load a young person through YoungPerson (or scope a list with Scope) and record the
// access with Audit, in the same transaction as the read or write.
package access

import (
	"strings"

	"github.com/carepath/carepath/internal/domain"
)

// Roles, as strings, as principals carry them.
const (
	PA      = string(domain.PersonalAdviser)
	Manager = string(domain.TeamManager)
	Partner = string(domain.PartnerOfficer)
	Admin   = string(domain.Administrator)
	Auditor = string(domain.Auditor)
	// PartnerAdmin manages a partner organisation's own people, certificates and endpoints.
	PartnerAdmin = string(domain.PartnerAdministrator)
	// YoungPersonRole is a young person's own account: the methods open to it see the young
	// person alone, through Scope (store.SelfScope).
	YoungPersonRole = string(domain.YoungPersonRole)
)

// Policy is who may call a method.
type Policy struct {
	// Public methods need no credentials (health checks, reflection).
	Public bool
	// Roles may call it (any one of them suffices).
	Roles []string
}

var (
	staff = Policy{Roles: []string{PA, Manager}}
	admin = Policy{Roles: []string{Admin}}
	// administrators of councils and of partners; the services decide which organisation.
	orgAdmins = Policy{Roles: []string{Admin, PartnerAdmin}}
	anyone    = Policy{Roles: []string{PA, Manager, Partner, Admin, Auditor, PartnerAdmin}}
	partners  = Policy{Roles: []string{Partner}}
	// recipients of reminders: young people have an inbox of their own too.
	recipients = Policy{Roles: []string{PA, Manager, Partner, YoungPersonRole}}
	// boardMembers may sit on a council's partnership board: which board is the service's.
	boardMembers = Policy{Roles: []string{Manager, Admin, Partner, PartnerAdmin}}

	// A young person reads their own record, care status, episodes, pathway, milestones,
	// cliff-edge assessment and shares, and from 18 gives and withdraws their own consent
	// (the sharing service decides which shares: CONSENT ones, from 18). Nothing else: no
	// audit trail, no changes to their pathway, no facts (ListFacts carries the council's
	// staff-only notes), no lists of young people, no administration.
	//
	// None of the responses open to them carries anything labelled for staff only: a
	// milestone's state_reason and evidence say what was done and why, which is theirs to
	// know, so they are kept; Fact.note, the one staff-only note, is in ListFacts alone.
	// A field labelled for staff that is later added to these responses must be blanked for
	// young people in its service.
	// The young person's voice (views, goals, checklists, reminder settings) is open the
	// same way: their advisers and managers, and the young person themself.
	staffAndSelf = Policy{Roles: []string{PA, Manager, YoungPersonRole}}
	// everyone is anyone and young people: their own account, the milestone catalogue.
	everyone = Policy{Roles: []string{PA, Manager, Partner, Admin, Auditor, PartnerAdmin, YoungPersonRole}}
)

// Policies gives the policy of every RPC by its full name. A test walks every registered
// service and fails on a method missing here; at run time such a method is refused.
var Policies = map[string]Policy{
	"/carepath.v1.YoungPeopleService/GetYoungPerson":    staffAndSelf,
	"/carepath.v1.YoungPeopleService/ListYoungPeople":   staff,
	"/carepath.v1.YoungPeopleService/CreateYoungPerson": staff,
	"/carepath.v1.YoungPeopleService/UpdateYoungPerson": staff,
	// Deleting a record entered in error is for managers.
	"/carepath.v1.YoungPeopleService/DeleteYoungPerson": {Roles: []string{Manager}},
	// Allocation is a team manager's decision (a single one goes through UpdateYoungPerson).
	"/carepath.v1.YoungPeopleService/BatchAllocatePersonalAdviser": {Roles: []string{Manager}},
	// Staff who may see a young person invite them to an account of their own.
	"/carepath.v1.YoungPeopleService/InviteYoungPerson": staff,

	"/carepath.v1.CareEpisodesService/GetCareEpisode":      staff,
	"/carepath.v1.CareEpisodesService/ListCareEpisodes":    staffAndSelf,
	"/carepath.v1.CareEpisodesService/CreateCareEpisode":   staff,
	"/carepath.v1.CareEpisodesService/UpdateCareEpisode":   staff,
	"/carepath.v1.CareEpisodesService/DeleteCareEpisode":   staff,
	"/carepath.v1.CareEpisodesService/GetCareLeaverStatus": staffAndSelf,

	"/carepath.v1.PathwaysService/GetPathway":                 staffAndSelf,
	"/carepath.v1.PathwaysService/GetMilestone":               staffAndSelf,
	"/carepath.v1.PathwaysService/ListMilestones":             staffAndSelf,
	"/carepath.v1.PathwaysService/CreateMilestone":            staff,
	"/carepath.v1.PathwaysService/ScheduleMilestone":          staff,
	"/carepath.v1.PathwaysService/StartMilestone":             staff,
	"/carepath.v1.PathwaysService/CompleteMilestone":          staff,
	"/carepath.v1.PathwaysService/WaiveMilestone":             staff,
	"/carepath.v1.PathwaysService/MarkMilestoneNotApplicable": staff,
	"/carepath.v1.PathwaysService/ReopenMilestone":            staff,
	"/carepath.v1.PathwaysService/ListMilestoneChanges":       staff,

	"/carepath.v1.CatalogueService/GetMilestoneDefinition":   everyone,
	"/carepath.v1.CatalogueService/ListMilestoneDefinitions": everyone,
	"/carepath.v1.CatalogueService/GetPathwaySettings":       {Roles: []string{PA, Manager, Admin}},
	"/carepath.v1.CatalogueService/UpdatePathwaySettings":    admin,

	// The organisation directory is open to administrators of councils and partners; what
	// each may change is decided by access.ManagesOrganisation. Only councils register
	// partners.
	"/carepath.v1.AccessService/GetOrganisation":    orgAdmins,
	"/carepath.v1.AccessService/ListOrganisations":  orgAdmins,
	"/carepath.v1.AccessService/CreateOrganisation": admin,
	"/carepath.v1.AccessService/UpdateOrganisation": orgAdmins,
	"/carepath.v1.AccessService/GetPerson":          everyone, // people/me for all; others: the service checks management
	"/carepath.v1.AccessService/ListPeople":         orgAdmins,
	"/carepath.v1.AccessService/CreatePerson":       orgAdmins,
	"/carepath.v1.AccessService/UpdatePerson":       orgAdmins,

	"/carepath.v1.SharingService/GetSharingAgreement":    {Roles: []string{Admin, PA, Manager}},
	"/carepath.v1.SharingService/ListSharingAgreements":  {Roles: []string{Admin, PA, Manager}},
	"/carepath.v1.SharingService/CreateSharingAgreement": admin,
	"/carepath.v1.SharingService/UpdateSharingAgreement": admin,
	"/carepath.v1.SharingService/ListShares":             staffAndSelf,
	"/carepath.v1.SharingService/CreateShare":            staffAndSelf,
	"/carepath.v1.SharingService/WithdrawShare":          staffAndSelf,

	"/carepath.v1.PartnerService/ListSharedYoungPeople":  partners,
	"/carepath.v1.PartnerService/GetSharedYoungPerson":   partners,
	"/carepath.v1.PartnerService/GetHousingReadiness":    partners,
	"/carepath.v1.PartnerService/GetEmploymentReadiness": partners,
	"/carepath.v1.PartnerService/RecordSharedFact":       partners,

	"/carepath.v1.ReadinessService/ListFacts":                staff,
	"/carepath.v1.ReadinessService/RecordFact":               staff,
	"/carepath.v1.ReadinessService/GetCliffEdgeAssessment":   staffAndSelf,
	"/carepath.v1.ReadinessService/ListCliffEdgeAssessments": staff,
	// Counts name no one: administrators count the whole council for the partnership board.
	"/carepath.v1.ReadinessService/SummarizeCliffEdge": {Roles: []string{PA, Manager, Admin}},

	// The board report is counts of the whole council, every one from 1 to 4 withheld and no
	// young person named: for its team managers and administrators, who sit on or serve the
	// partnership board (the same people SummarizeCliffEdge counts for).
	"/carepath.v1.BoardService/ListMeasureDefinitions": anyone,
	"/carepath.v1.BoardService/GetBoardReport":         {Roles: []string{Manager, Admin}},

	// Delivery plans: the board's members (the council's managers and administrators, the
	// people of its partners) read them; administrators make them; an action's lead
	// organisation changes it. The service decides which council and which action.
	// A council's return is imported, and its operations read, by its administrators (the
	// service refuses another council's).
	"/carepath.v1.Ssda903Service/ImportSsda903Return":        admin,
	"/carepath.v1.OperationsService/GetOperation":            admin,
	"/carepath.v1.OperationsService/ListOperations":          admin,
	"/carepath.v1.DeliveryPlanService/CreateDeliveryPlan":    admin,
	"/carepath.v1.DeliveryPlanService/GetDeliveryPlan":       boardMembers,
	"/carepath.v1.DeliveryPlanService/ListDeliveryPlans":     boardMembers,
	"/carepath.v1.DeliveryPlanService/UpdateDeliveryPlan":    admin,
	"/carepath.v1.DeliveryPlanService/CreatePlanAction":      admin,
	"/carepath.v1.DeliveryPlanService/GetPlanAction":         boardMembers,
	"/carepath.v1.DeliveryPlanService/ListPlanActions":       boardMembers,
	"/carepath.v1.DeliveryPlanService/UpdatePlanAction":      boardMembers,
	"/carepath.v1.DeliveryPlanService/AddPlanActionProgress": boardMembers,
	"/carepath.v1.DeliveryPlanService/ListPlanActionChanges": boardMembers,

	// The young person's voice: views, goals, checklists and asking for help after 21. The
	// local offer is published by the council's administrators and read by its staff and
	// young people; the service decides which council.
	"/carepath.v1.VoiceService/ListViews":             staffAndSelf,
	"/carepath.v1.VoiceService/UpdateView":            staffAndSelf,
	"/carepath.v1.VoiceService/CreateGoal":            staffAndSelf,
	"/carepath.v1.VoiceService/ListGoals":             staffAndSelf,
	"/carepath.v1.VoiceService/UpdateGoal":            staffAndSelf,
	"/carepath.v1.VoiceService/DeleteGoal":            staffAndSelf,
	"/carepath.v1.VoiceService/ListSkillChecklists":   staffAndSelf,
	"/carepath.v1.VoiceService/UpdateSkillChecklist":  staffAndSelf,
	"/carepath.v1.VoiceService/RequestAdviserSupport": staffAndSelf,
	// Reminders of their own steps are the young person's choice: their adviser and team
	// manager may see whether they are on; only the young person turns them on or off.
	"/carepath.v1.VoiceService/GetReminderSettings":    staffAndSelf,
	"/carepath.v1.VoiceService/UpdateReminderSettings": {Roles: []string{YoungPersonRole}},
	"/carepath.v1.VoiceService/CreateLocalOfferEntry":  admin,
	"/carepath.v1.VoiceService/UpdateLocalOfferEntry":  admin,
	"/carepath.v1.VoiceService/DeleteLocalOfferEntry":  admin,
	"/carepath.v1.VoiceService/ListLocalOfferEntries":  {Roles: []string{PA, Manager, Admin, YoungPersonRole}},

	"/carepath.v1.AuditService/ListAuditRecords": {Roles: []string{Auditor}},
	"/carepath.v1.AuditService/GetAuditStatus":   {Roles: []string{Auditor}},

	// Reminders go to people and organisations; the service lets each see only its own. A
	// young person's inbox (people/me) holds only the reminders of their own steps they
	// asked for: nothing else is ever addressed to their account.
	"/carepath.v1.ReminderService/ListReminders":       recipients,
	"/carepath.v1.ReminderService/AcknowledgeReminder": recipients,
	"/carepath.v1.ReminderService/SnoozeReminder":      recipients,
	"/carepath.v1.ReminderService/WatchReminders":      recipients,
	// Whoever manages an organisation (access.ManagesOrganisation) manages its webhook
	// endpoints and sees its deliveries.
	"/carepath.v1.ReminderService/CreateWebhookEndpoint":       orgAdmins,
	"/carepath.v1.ReminderService/GetWebhookEndpoint":          orgAdmins,
	"/carepath.v1.ReminderService/ListWebhookEndpoints":        orgAdmins,
	"/carepath.v1.ReminderService/UpdateWebhookEndpoint":       orgAdmins,
	"/carepath.v1.ReminderService/RotateWebhookEndpointSecret": orgAdmins,
	"/carepath.v1.ReminderService/ListWebhookDeliveries":       orgAdmins,
	"/carepath.v1.ReminderService/RedeliverWebhookDelivery":    orgAdmins,
	"/carepath.v1.ReminderService/ReplayWebhookDeliveries":     orgAdmins,
	// Where the council's reminders fall back for want of a team manager: people, and
	// counts that name no young person.
	"/carepath.v1.ReminderService/ListReminderRoutingGaps": admin,
}

// PolicyFor returns the policy of a method; ok is false for a method with none.
func PolicyFor(fullMethod string) (Policy, bool) {
	if strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") || strings.HasPrefix(fullMethod, "/grpc.reflection.") {
		return Policy{Public: true}, true
	}
	p, ok := Policies[fullMethod]
	return p, ok
}
