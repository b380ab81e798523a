package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The administration matrix: two councils that share one housing partner (which has an
// administrator of its own), an employment partner one council registered and works with
// alone, and every kind of principal, trying every administrative method on every
// organisation over gRPC and REST. Who manages what:
//
//   - a council administrator: their council, and a partner their council registered
//     while it works with that council alone;
//   - a partner administrator: their own organisation;
//   - everyone else: nothing (the method's policy refuses them).
func TestAdministrationMatrix(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate = true // endpoints on loopback
			testAdministrationMatrix(t, startWithoutPerson(t, cfg))
		})
	}
}

// adminOp is one administrative call on an organisation.
type adminOp struct {
	name string
	rest func(t *testing.T, as *server, org string) restResponse
	grpc func(ctx context.Context, conn *grpc.ClientConn, org string) error
	// councils: the method is about a council (its agreements, its settings).
	councils bool
	// allowed is the model when it is not "the caller manages the organisation".
	allowed func(p adminPrincipal, org string) bool
}

// adminPrincipal is one principal of the administration matrix.
type adminPrincipal struct {
	name, token, org string
	manages          []string // organisations
	admin            bool     // may call the administrative methods at all
	council          bool     // a council administrator
	staff            bool     // a council's personal adviser or team manager
}

// orgPeople are a person of each organisation, whom the matrix reads and renames.
var orgPeople = map[string]string{"nottinghamshire": "sam-okoro", "derbyshire": "mx-derby-pa",
	"framework-housing": "hana-housing", "notts-futures": "eli-employment"}

func roleFor(org string) string {
	if org == "nottinghamshire" || org == "derbyshire" {
		return "PERSONAL_ADVISER"
	}
	return "PARTNER_OFFICER"
}

// adminOps are the calls of the matrix, on its fixtures: an endpoint of each organisation
// (orgEndpoints) and an agreement of each council (orgAgreements).
func adminOps(orgEndpoints, orgAgreements map[string]string) []adminOp {
	next := func() int64 { return personSeq.Add(1) }
	access := func(conn *grpc.ClientConn) pb.AccessServiceClient { return pb.NewAccessServiceClient(conn) }
	reminders := func(conn *grpc.ClientConn) pb.ReminderServiceClient { return pb.NewReminderServiceClient(conn) }
	return []adminOp{
		{name: "UpdateOrganisation",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "PATCH", "/v1/organisations/"+org+"?updateMask=displayName", fmt.Sprintf(`{"displayName": "Renamed %d"}`, next()))
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := access(conn).UpdateOrganisation(ctx, &pb.UpdateOrganisationRequest{
					Organisation: &pb.Organisation{Name: "organisations/" + org, DisplayName: fmt.Sprintf("Renamed %d", next())},
					UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
				return err
			}},
		{name: "CreatePerson",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "POST", fmt.Sprintf("/v1/people?personId=mx-new-%d", next()), fmt.Sprintf(
					`{"displayName": "New", "organisation": "organisations/%s", "roles": [%q]}`, org, roleFor(org)))
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := access(conn).CreatePerson(ctx, &pb.CreatePersonRequest{PersonId: fmt.Sprintf("mx-new-%d", next()),
					Person: &pb.Person{DisplayName: "New", Organisation: "organisations/" + org,
						Roles: []pb.Person_Role{pb.Person_Role(pb.Person_Role_value[roleFor(org)])}}})
				return err
			}},
		{name: "GetPerson",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "GET", "/v1/people/"+orgPeople[org], "")
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := access(conn).GetPerson(ctx, &pb.GetPersonRequest{Name: "people/" + orgPeople[org]})
				return err
			}},
		{name: "UpdatePerson",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "PATCH", "/v1/people/"+orgPeople[org]+"?updateMask=displayName", fmt.Sprintf(`{"displayName": "Renamed %d"}`, next()))
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := access(conn).UpdatePerson(ctx, &pb.UpdatePersonRequest{
					Person:     &pb.Person{Name: "people/" + orgPeople[org], DisplayName: fmt.Sprintf("Renamed %d", next())},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}})
				return err
			}},
		{name: "CreateWebhookEndpoint",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "POST", "/v1/organisations/"+org+"/webhookEndpoints", `{"url": "http://127.0.0.1:9/hook"}`)
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := reminders(conn).CreateWebhookEndpoint(ctx, &pb.CreateWebhookEndpointRequest{Parent: "organisations/" + org,
					WebhookEndpoint: &pb.WebhookEndpoint{Url: "http://127.0.0.1:9/hook", Disabled: true}})
				return err
			}},
		{name: "ListWebhookEndpoints",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "GET", "/v1/organisations/"+org+"/webhookEndpoints", "")
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := reminders(conn).ListWebhookEndpoints(ctx, &pb.ListWebhookEndpointsRequest{Parent: "organisations/" + org})
				return err
			}},
		{name: "GetWebhookEndpoint",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "GET", "/v1/"+orgEndpoints[org], "")
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := reminders(conn).GetWebhookEndpoint(ctx, &pb.GetWebhookEndpointRequest{Name: orgEndpoints[org]})
				return err
			}},
		{name: "UpdateWebhookEndpoint",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "PATCH", "/v1/"+orgEndpoints[org]+"?updateMask=description", fmt.Sprintf(`{"description": "d%d"}`, next()))
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := reminders(conn).UpdateWebhookEndpoint(ctx, &pb.UpdateWebhookEndpointRequest{
					WebhookEndpoint: &pb.WebhookEndpoint{Name: orgEndpoints[org], Description: fmt.Sprintf("d%d", next())},
					UpdateMask:      &fieldmaskpb.FieldMask{Paths: []string{"description"}}})
				return err
			}},
		{name: "RotateWebhookEndpointSecret",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "POST", "/v1/"+orgEndpoints[org]+":rotateSecret", `{}`)
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := reminders(conn).RotateWebhookEndpointSecret(ctx, &pb.RotateWebhookEndpointSecretRequest{Name: orgEndpoints[org]})
				return err
			}},
		{name: "GetSharingAgreement", councils: true,
			allowed: func(p adminPrincipal, org string) bool { return p.org == org && (p.council || p.staff) },
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "GET", "/v1/"+orgAgreements[org], "")
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := pb.NewSharingServiceClient(conn).GetSharingAgreement(ctx, &pb.GetSharingAgreementRequest{Name: orgAgreements[org]})
				return err
			}},
		{name: "UpdateSharingAgreement", councils: true,
			allowed: func(p adminPrincipal, org string) bool { return p.org == org && p.council },
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "PATCH", "/v1/"+orgAgreements[org]+"?updateMask=reference", fmt.Sprintf(`{"reference": "ISA-%d"}`, next()))
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := pb.NewSharingServiceClient(conn).UpdateSharingAgreement(ctx, &pb.UpdateSharingAgreementRequest{
					SharingAgreement: &pb.SharingAgreement{Name: orgAgreements[org], Reference: fmt.Sprintf("ISA-%d", next())},
					UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"reference"}}})
				return err
			}},
		{name: "GetPathwaySettings", councils: true,
			allowed: func(p adminPrincipal, org string) bool { return p.org == org && (p.council || p.staff) },
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "GET", "/v1/organisations/"+org+"/pathwaySettings", "")
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := pb.NewCatalogueServiceClient(conn).GetPathwaySettings(ctx, &pb.GetPathwaySettingsRequest{
					Name: "organisations/" + org + "/pathwaySettings"})
				return err
			}},
		{name: "UpdatePathwaySettings", councils: true,
			allowed: func(p adminPrincipal, org string) bool { return p.org == org && p.council },
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "PATCH", "/v1/organisations/"+org+"/pathwaySettings?updateMask=leaplingRule", `{"leaplingRule": "LEAPLING_RULE_MARCH_1"}`)
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := pb.NewCatalogueServiceClient(conn).UpdatePathwaySettings(ctx, &pb.UpdatePathwaySettingsRequest{
					PathwaySettings: &pb.PathwaySettings{Name: "organisations/" + org + "/pathwaySettings",
						LeaplingRule: pb.LeaplingRule_LEAPLING_RULE_MARCH_1},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"leapling_rule"}}})
				return err
			}},
		{name: "ListWebhookDeliveries",
			rest: func(t *testing.T, as *server, org string) restResponse {
				return as.do(t, "GET", "/v1/organisations/"+org+"/webhookEndpoints/-/deliveries", "")
			},
			grpc: func(ctx context.Context, conn *grpc.ClientConn, org string) error {
				_, err := reminders(conn).ListWebhookDeliveries(ctx, &pb.ListWebhookDeliveriesRequest{
					Parent: "organisations/" + org + "/webhookEndpoints/-"})
				return err
			}},
	}
}

func testAdministrationMatrix(t *testing.T, s *server) {
	ctx := context.Background()
	s.newPersonBy(t, "dara-admin", "mx-derby-pa", "derbyshire", "peak", "PERSONAL_ADVISER")
	// The employment partner, which the council registered and works with alone, gets an
	// administrator of its own; the council still manages it.
	nfAdmin := s.newPerson(t, "mx-nf-admin", "notts-futures", "", "PARTNER_ADMINISTRATOR")

	orgEndpoints, orgAgreements := map[string]string{}, map[string]string{}
	principals := []adminPrincipal{
		{name: "council administrator", token: tokenFor(t, "ada-admin"), org: "nottinghamshire",
			manages: []string{"nottinghamshire", "notts-futures"}, admin: true, council: true},
		{name: "second council's administrator", token: tokenFor(t, "dara-admin"), org: "derbyshire",
			manages: []string{"derbyshire"}, admin: true, council: true},
		{name: "shared partner's administrator", token: tokenFor(t, "hal-housing-admin"), org: "framework-housing",
			manages: []string{"framework-housing"}, admin: true},
		{name: "employment partner's administrator", token: nfAdmin, org: "notts-futures", manages: []string{"notts-futures"}, admin: true},
		{name: "personal adviser", token: tokenFor(t, "sam-okoro"), org: "nottinghamshire", staff: true},
		{name: "team manager", token: tokenFor(t, "tess-manager"), org: "nottinghamshire", staff: true},
		{name: "partner officer", token: tokenFor(t, "hana-housing"), org: "framework-housing"},
		{name: "auditor", token: tokenFor(t, "aud-auditor"), org: "nottinghamshire"},
	}
	for org, manager := range map[string]string{"nottinghamshire": "ada-admin", "derbyshire": "dara-admin",
		"framework-housing": "hal-housing-admin", "notts-futures": "ada-admin"} {
		orgEndpoints[org] = mustREST(t, s.as(tokenFor(t, manager)).do(t, "POST", "/v1/organisations/"+org+"/webhookEndpoints",
			`{"url": "http://127.0.0.1:9/fixture", "disabled": true}`)).json(t)["name"].(string)
	}
	for council, admin := range map[string]string{"nottinghamshire": "ada-admin", "derbyshire": "dara-admin"} {
		agreements := listOf(t, s.as(tokenFor(t, admin)).do(t, "GET", "/v1/sharingAgreements", ""), "sharingAgreements")
		orgAgreements[council] = agreements[0]["name"].(string)
	}
	orgs := []string{"nottinghamshire", "derbyshire", "framework-housing", "notts-futures"}
	for _, p := range principals {
		conn := s.dial(t, p.token)
		as := s.as(p.token)
		for _, op := range adminOps(orgEndpoints, orgAgreements) {
			for _, org := range orgs {
				if op.councils && roleFor(org) != "PERSONAL_ADVISER" {
					continue
				}
				allowed := slices.Contains(p.manages, org)
				if op.allowed != nil {
					allowed = op.allowed(p, org)
				}
				what := fmt.Sprintf("%s: %s on %s", p.name, op.name, org)
				r := op.rest(t, as, org)
				if allowed != (r.code == 200) || !allowed && r.code != http.StatusForbidden {
					t.Errorf("%s over REST: HTTP %d %s; want allowed=%v (403 when refused)", what, r.code, r.body, allowed)
				}
				err := op.grpc(ctx, conn, org)
				if allowed != (err == nil) || !allowed && status.Code(err) != codes.PermissionDenied {
					t.Errorf("%s over gRPC: %v; want allowed=%v (PERMISSION_DENIED when refused)", what, err, allowed)
				}
			}
		}
		// The directory: every administrator may read it, no one else; only councils
		// register partners.
		wantAllowed := func(what string, code int, allowed bool) {
			t.Helper()
			if allowed != (code == 200) || !allowed && code != http.StatusForbidden {
				t.Errorf("%s: %s: HTTP %d, want allowed=%v", p.name, what, code, allowed)
			}
		}
		wantAllowed("ListOrganisations", as.do(t, "GET", "/v1/organisations", "").code, p.admin)
		wantAllowed("GetOrganisation", as.do(t, "GET", "/v1/organisations/derbyshire", "").code, p.admin)
		_, err := pb.NewAccessServiceClient(conn).GetOrganisation(ctx, &pb.GetOrganisationRequest{Name: "organisations/derbyshire"})
		if p.admin != (err == nil) {
			t.Errorf("%s: GetOrganisation over gRPC: %v, want allowed=%v", p.name, err, p.admin)
		}
		wantAllowed("CreateOrganisation", as.do(t, "POST", "/v1/organisations?organisationId=mx-org-"+strings.ReplaceAll(uuid.NewString()[:8], "-", ""),
			`{"displayName": "A partner", "type": "HOUSING"}`).code, p.council)
		// ListPeople shows exactly the people of the organisations the caller manages.
		if p.admin {
			var people []map[string]any
			r := as.do(t, "GET", "/v1/people?pageSize=500", "")
			if r.code != 200 {
				t.Fatalf("%s: ListPeople: HTTP %d %s", p.name, r.code, r.body)
			}
			if ps, ok := r.json(t)["people"].([]any); ok {
				for _, x := range ps {
					people = append(people, x.(map[string]any))
				}
			}
			for _, person := range people {
				org := strings.TrimPrefix(person["organisation"].(string), "organisations/")
				if !slices.Contains(p.manages, org) {
					t.Errorf("%s lists %s of %s", p.name, person["name"], org)
				}
			}
			for _, org := range p.manages {
				if !slices.ContainsFunc(people, func(x map[string]any) bool { return x["name"] == "people/"+orgPeople[org] }) {
					t.Errorf("%s does not list %s of %s", p.name, orgPeople[org], org)
				}
			}
		} else {
			wantAllowed("ListPeople", as.do(t, "GET", "/v1/people", "").code, false)
		}
		// Sharing agreements are a council administrator's, for their own council.
		for _, council := range []string{"nottinghamshire", "derbyshire"} {
			own := p.council && slices.Contains(p.manages, council)
			r := as.do(t, "POST", "/v1/sharingAgreements", fmt.Sprintf(`{"council": "organisations/%s",
				"partner": "organisations/framework-housing", "purpose": "HOUSING", "startDate": %s}`, council, jsonDate(today())))
			wantAllowed("CreateSharingAgreement for "+council, r.code, own)
		}
	}
}

// The hole a black-box attack found: a second council's administrator added an officer to
// a partner that works with the first council only, and through them read its children.
func TestAnotherCouncilCannotStaffYourPartner(t *testing.T) {
	s := startWithoutPerson(t, memoryBackend().configure(t))
	dara := s.as(tokenFor(t, "dara-admin"))
	wantRESTError(t, dara.do(t, "POST", "/v1/people?personId=mx-spy", `{"displayName": "Spy",
		"organisation": "organisations/notts-futures", "roles": ["PARTNER_OFFICER"]}`), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	wantRESTError(t, dara.do(t, "PATCH", "/v1/organisations/notts-futures?updateMask=clientCertificateSubjects",
		`{"clientCertificateSubjects": ["spiffe://evil/spy"]}`), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	_, err := pb.NewAccessServiceClient(s.dial(t, tokenFor(t, "dara-admin"))).CreatePerson(context.Background(), &pb.CreatePersonRequest{
		PersonId: "mx-spy", Person: &pb.Person{DisplayName: "Spy", Organisation: "organisations/notts-futures",
			Roles: []pb.Person_Role{pb.Person_PARTNER_OFFICER}}})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("over gRPC: %v, want PERMISSION_DENIED", err)
	}
}

// A partner the council registered is the council's to manage until a second council shares
// with it; the second may do so only once the partner has an administrator of its own, who
// manages it from then on.
func TestStewardshipEndsWhenASecondCouncilShares(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := startWithoutPerson(t, b.configure(t))
			ada, dara := s.as(tokenFor(t, "ada-admin")), s.as(tokenFor(t, "dara-admin"))
			org := mustREST(t, ada.do(t, "POST", "/v1/organisations?organisationId=trent-homes",
				`{"displayName": "Trent Homes", "type": "HOUSING"}`)).json(t)
			if org["steward"] != "organisations/nottinghamshire" {
				t.Fatalf("a registered partner's steward is %v", org["steward"])
			}
			mustREST(t, ada.do(t, "POST", "/v1/sharingAgreements", `{"council": "organisations/nottinghamshire",
				"partner": "organisations/trent-homes", "purpose": "HOUSING", "startDate": `+jsonDate(today())+`}`))
			officer := func(as *server, id string) restResponse {
				return as.do(t, "POST", "/v1/people?personId="+id,
					`{"displayName": "Officer", "organisation": "organisations/trent-homes", "roles": ["PARTNER_OFFICER"]}`)
			}
			mustREST(t, officer(ada, "mx-trent-1"))
			agreement := `{"council": "organisations/derbyshire", "partner": "organisations/trent-homes", "purpose": "HOUSING",
				"startDate": ` + jsonDate(today()) + `}`
			wantRESTError(t, dara.do(t, "POST", "/v1/sharingAgreements", agreement), 400, "FAILED_PRECONDITION", "PARTNER_HAS_NO_ADMINISTRATOR")
			mustREST(t, ada.do(t, "POST", "/v1/people?personId=mx-trent-admin",
				`{"displayName": "Trent admin", "organisation": "organisations/trent-homes", "roles": ["PARTNER_ADMINISTRATOR"]}`))
			mustREST(t, dara.do(t, "POST", "/v1/sharingAgreements", agreement))
			// From now on only the partner's own administrator adds its staff.
			wantRESTError(t, officer(ada, "mx-trent-2"), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			wantRESTError(t, officer(dara, "mx-trent-3"), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			mustREST(t, officer(s.as(tokenFor(t, "mx-trent-admin")), "mx-trent-4"))
		})
	}
}

// No one grants themselves access to children's records: an administrator cannot change
// their own roles or disable themselves, and administrators and auditors hold no other role.
func TestNoOneGrantsThemselvesAccess(t *testing.T) {
	s := startWithoutPerson(t, memoryBackend().configure(t))
	ada := s.as(tokenFor(t, "ada-admin"))
	conn := pb.NewAccessServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
	ctx := context.Background()
	wantRESTError(t, ada.do(t, "PATCH", "/v1/people/ada-admin?updateMask=roles", `{"roles": ["TEAM_MANAGER"]}`),
		403, "PERMISSION_DENIED", "ACCESS_DENIED")
	_, err := conn.UpdatePerson(ctx, &pb.UpdatePersonRequest{Person: &pb.Person{Name: "people/ada-admin",
		Roles: []pb.Person_Role{pb.Person_ADMINISTRATOR, pb.Person_TEAM_MANAGER}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"roles"}}})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("an administrator adding a role to themselves over gRPC: %v, want PERMISSION_DENIED", err)
	}
	wantRESTError(t, ada.do(t, "PATCH", "/v1/people/ada-admin?updateMask=disabled", `{"disabled": true}`),
		403, "PERMISSION_DENIED", "ACCESS_DENIED")
	mustREST(t, ada.do(t, "PATCH", "/v1/people/ada-admin?updateMask=displayName", `{"displayName": "Ada A. Admin"}`))
	for _, roles := range []string{`["ADMINISTRATOR", "TEAM_MANAGER"]`, `["AUDITOR", "PERSONAL_ADVISER"]`, `["ADMINISTRATOR", "AUDITOR"]`} {
		wantRESTError(t, ada.do(t, "POST", "/v1/people?personId=mx-two-hats", `{"displayName": "Two hats",
			"organisation": "organisations/nottinghamshire", "roles": `+roles+`}`), 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "person.roles")
	}
	wantRESTError(t, ada.do(t, "PATCH", "/v1/people/tess-manager?updateMask=roles", `{"roles": ["TEAM_MANAGER", "ADMINISTRATOR"]}`),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "person.roles")
}

// Immutable fields (AIP-203) may be sent with the value they have; a change is refused, not
// silently ignored.
func TestImmutableFieldsAreRefused(t *testing.T) {
	s := startWithoutPerson(t, memoryBackend().configure(t))
	ada := s.as(tokenFor(t, "ada-admin"))
	ctx := context.Background()
	wantRESTError(t, ada.do(t, "PATCH", "/v1/people/sam-okoro", `{"organisation": "organisations/derbyshire"}`),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "person.organisation")
	mustREST(t, ada.do(t, "PATCH", "/v1/people/sam-okoro", `{"organisation": "organisations/nottinghamshire", "team": "north"}`))
	_, err := pb.NewAccessServiceClient(s.dial(t, tokenFor(t, "ada-admin"))).UpdatePerson(ctx, &pb.UpdatePersonRequest{
		Person:     &pb.Person{Name: "people/sam-okoro", Organisation: "organisations/derbyshire"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"organisation"}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("moving a person to another organisation over gRPC: %v, want INVALID_ARGUMENT", err)
	}
	wantRESTError(t, ada.do(t, "PATCH", "/v1/organisations/notts-futures", `{"type": "HOUSING"}`),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "organisation.type")
	agreements := mustREST(t, ada.do(t, "GET", "/v1/sharingAgreements", "")).json(t)["sharingAgreements"].([]any)
	name := agreements[0].(map[string]any)["name"].(string)
	wantRESTError(t, ada.do(t, "PATCH", "/v1/"+name+"?updateMask=council", `{"council": "organisations/derbyshire"}`),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "sharing_agreement.council")
	_, err = pb.NewSharingServiceClient(s.dial(t, tokenFor(t, "ada-admin"))).UpdateSharingAgreement(ctx, &pb.UpdateSharingAgreementRequest{
		SharingAgreement: &pb.SharingAgreement{Name: name, Purpose: pb.SharingAgreement_EMPLOYMENT},
		UpdateMask:       &fieldmaskpb.FieldMask{Paths: []string{"purpose"}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("changing an agreement's purpose over gRPC: %v, want INVALID_ARGUMENT", err)
	}
}

// Every create takes a request_id: retried, even at the same moment, it makes one record
// and answers each retry with it; reused for a different request, it is refused.
func TestEveryCreateIsIdempotent(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate = true
			s := start(t, cfg)
			ada := s.as(tokenFor(t, "ada-admin"))
			yp := youngPersonInCare(t, s, "IDEM-ALL", agedToday(16, 0), civil.Period{Years: 12}, "U4")
			for _, c := range []struct {
				name       string
				as         *server
				path       string // without the request id
				body, diff string
				count      func() int // how many such resources exist, where a second could
			}{
				{"CreateYoungPerson", s, "/v1/youngPeople?", youngPersonJSON("IDEM-Y1"), youngPersonJSON("IDEM-Y2"), nil},
				{"CreateCareEpisode", s, "/v1/" + yp.GetName() + "/careEpisodes?",
					`{"startDate": {"year": 2020, "month": 1, "day": 1}, "endDate": {"year": 2020, "month": 1, "day": 2}, "legalStatus": "V2", "placementType": "U1", "reasonEnded": "X1"}`,
					`{"startDate": {"year": 2020, "month": 1, "day": 3}, "endDate": {"year": 2020, "month": 1, "day": 4}, "legalStatus": "V2", "placementType": "U1", "reasonEnded": "X1"}`, nil},
				{"CreateMilestone", s, "/v1/" + yp.GetName() + "/milestones?",
					`{"title": "Meet the housing officer", "area": "ACCOMMODATION", "ownerAgencyType": "HOUSING", "dueDate": {"year": 2027, "month": 1, "day": 5}}`,
					`{"title": "Something else", "area": "ACCOMMODATION", "ownerAgencyType": "HOUSING", "dueDate": {"year": 2027, "month": 1, "day": 5}}`, nil},
				{"CreateOrganisation", ada, "/v1/organisations?organisationId=idem-homes&",
					`{"displayName": "Idem Homes", "type": "HOUSING"}`, `{"displayName": "Other Homes", "type": "HOUSING"}`, nil},
				{"CreatePerson", ada, "/v1/people?personId=idem-pa&",
					`{"displayName": "Idem", "organisation": "organisations/nottinghamshire", "team": "east", "roles": ["PERSONAL_ADVISER"]}`,
					`{"displayName": "Other", "organisation": "organisations/nottinghamshire", "team": "east", "roles": ["PERSONAL_ADVISER"]}`, nil},
				{"CreateSharingAgreement", ada, "/v1/sharingAgreements?",
					`{"council": "organisations/nottinghamshire", "partner": "organisations/framework-housing", "purpose": "HOUSING", "startDate": ` + jsonDate(today()) + `, "reference": "IDEM-1"}`,
					`{"council": "organisations/nottinghamshire", "partner": "organisations/framework-housing", "purpose": "HOUSING", "startDate": ` + jsonDate(today()) + `, "reference": "IDEM-2"}`,
					func() int {
						return len(listOf(t, ada.do(t, "GET", "/v1/sharingAgreements?pageSize=500", ""), "sharingAgreements"))
					}},
				{"CreateShare", s, "/v1/" + yp.GetName() + "/shares?",
					`{"partner": "organisations/framework-housing", "purpose": "HOUSING", "basis": "REFERRAL", "expiryDate": ` + jsonDate(today().AddDays(90)) + `}`,
					`{"partner": "organisations/framework-housing", "purpose": "HOUSING", "basis": "REFERRAL", "expiryDate": ` + jsonDate(today().AddDays(91)) + `}`,
					func() int { return len(listOf(t, s.do(t, "GET", "/v1/"+yp.GetName()+"/shares", ""), "shares")) }},
				{"CreateWebhookEndpoint", ada, "/v1/organisations/nottinghamshire/webhookEndpoints?",
					`{"url": "http://127.0.0.1:9/idem", "disabled": true}`, `{"url": "http://127.0.0.1:9/other", "disabled": true}`,
					func() int {
						return len(listOf(t, ada.do(t, "GET", "/v1/organisations/nottinghamshire/webhookEndpoints", ""), "webhookEndpoints"))
					}},
			} {
				before := 0
				if c.count != nil {
					before = c.count()
				}
				path := c.path + "requestId=" + uuid.NewString()
				const n = 6
				answers := make([]restResponse, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { answers[i] = c.as.do(t, "POST", path, c.body) })
				}
				wg.Wait()
				answers = append(answers, c.as.do(t, "POST", path, c.body)) // and once more, after
				first := answers[0]
				for _, a := range answers {
					if a.code != 200 || a.json(t)["name"] != first.json(t)["name"] {
						t.Fatalf("%s: retries answered %d %s and %d %s; want one resource", c.name, first.code, first.body, a.code, a.body)
					}
				}
				if c.name == "CreateWebhookEndpoint" {
					for _, a := range answers {
						if a.json(t)["secret"] != first.json(t)["secret"] || first.json(t)["secret"] == nil {
							t.Errorf("a retried endpoint create answered another secret")
						}
					}
				}
				if c.count != nil {
					if after := c.count(); after != before+1 {
						t.Errorf("%s: %d retries made %d records", c.name, len(answers), after-before)
					}
				}
				wantRESTError(t, c.as.do(t, "POST", path, c.diff), 400, "INVALID_ARGUMENT", "REQUEST_ID_REUSED", "request_id")
			}
		})
	}
}

// A housing partner's administrator registers its case system's endpoint; it receives
// signed deliveries about young people shared with the partner, including reminders raised
// before it was registered, and nothing once the share ends.
func TestPartnerCaseSystemReceivesItsReminders(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate = true
			s := start(t, cfg)
			ctx := context.Background()
			yp := youngPersonInCare(t, s, "PARTNER-HOOK", agedToday(17, 0), civil.Period{Years: 12}, "U4")
			share := mustREST(t, s.do(t, "POST", "/v1/"+yp.GetName()+"/shares", `{"partner": "organisations/framework-housing",
				"purpose": "HOUSING", "basis": "REFERRAL", "expiryDate": `+jsonDate(today().AddDays(90))+`}`)).json(t)
			// A milestone given to the partner, due two days ago: its reminder is raised at
			// once, before the partner has an endpoint.
			pathways := pb.NewPathwaysServiceClient(s.conn)
			m, err := pathways.CreateMilestone(ctx, &pb.CreateMilestoneRequest{Parent: yp.GetName(), Milestone: &pb.Milestone{
				Title: "Housing referral", Area: pb.MilestoneDefinition_ACCOMMODATION, OwnerAgencyType: pb.MilestoneDefinition_HOUSING,
				DueDate: pbDate(today().AddDays(-2))}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pathways.ScheduleMilestone(ctx, &pb.ScheduleMilestoneRequest{Name: m.GetName(), Etag: m.GetEtag(),
				ScheduledDate: pbDate(today().AddDays(-2)), OwnerOrganisation: "organisations/framework-housing", Reason: "referred"}); err != nil {
				t.Fatal(err)
			}
			hal := s.as(tokenFor(t, "hal-housing-admin"))
			hook := newReceiver(t, http.StatusNoContent)
			ep := mustREST(t, hal.do(t, "POST", "/v1/organisations/framework-housing/webhookEndpoints",
				fmt.Sprintf(`{"url": %q, "description": "Framework case system"}`, hook.URL))).json(t)
			wh, err := standardwebhooks.NewWebhook(ep["secret"].(string))
			if err != nil {
				t.Fatal(err)
			}
			aboutYP := func() []attempt {
				var out []attempt
				for _, a := range hook.got() {
					if strings.Contains(string(a.body), yp.GetName()) && strings.Contains(string(a.body), m.GetName()) {
						out = append(out, a)
					}
				}
				return out
			}
			eventually(t, "the partner's delivery", func() bool { return len(aboutYP()) > 0 })
			for _, a := range aboutYP() {
				if err := wh.Verify(a.body, a.header); err != nil {
					t.Errorf("the partner's delivery does not verify: %v", err)
				}
			}
			inbox := listOf(t, s.as(tokenFor(t, "hana-housing")).do(t, "GET", "/v1/organisations/framework-housing/reminders", ""), "reminders")
			if !slices.ContainsFunc(inbox, func(r map[string]any) bool { return r["youngPerson"] == yp.GetName() }) {
				t.Errorf("the partner's inbox lacks the reminder: %v", inbox)
			}
			// The share ends: the reminder is cancelled, and nothing more is sent.
			mustREST(t, s.do(t, "POST", "/v1/"+share["name"].(string)+":withdraw",
				fmt.Sprintf(`{"reason": "no longer needed", "etag": %q}`, share["etag"])))
			inbox = listOf(t, s.as(tokenFor(t, "hana-housing")).do(t, "GET", "/v1/organisations/framework-housing/reminders", ""), "reminders")
			if slices.ContainsFunc(inbox, func(r map[string]any) bool { return r["youngPerson"] == yp.GetName() }) {
				t.Errorf("after the share ended the partner's inbox still has the reminder")
			}
		})
	}
}
