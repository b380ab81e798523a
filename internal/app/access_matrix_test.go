package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The access matrix: two councils, two housing partners and an employment partner, staff
// of every role, a disabled adviser, two young people with accounts of their own, and shares that are in force, withdrawn, not yet
// started, expired, or under an agreement that has ended. Every principal tries every young
// person through gets, lists (at page sizes 1, 2 and 50), a write and a nested read, over
// gRPC and REST; each answer must match the model below, and every refusal must look the
// same as the refusal for a young person who does not exist.

// actor is one principal of the matrix.
type actor struct {
	name  string
	token string
	org   string
	conn  *grpc.ClientConn
	// staffRole and partnerRole say which APIs the actor's roles may call; a disabled
	// actor may call none.
	staffRole, partnerRole, disabled bool
	// manager may allocate (the young people of staff).
	manager bool
	// youngPerson is a young person's own account: it reads its one young person (in
	// staff) through the staff APIs and changes nothing.
	youngPerson bool
	// staff and partner are the young people (matrix keys) the model says the actor may see
	// through the staff APIs and through the partner API.
	staff, partner []string
}

func TestAccessMatrix(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testAccessMatrix(t, b) })
	}
}

func testAccessMatrix(t *testing.T, b backend) {
	ctx := context.Background()
	s := startWithoutPerson(t, b.configure(t))
	admin := s.as(tokenFor(t, "ada-admin"))

	// People of both councils, and a second housing partner with an agreement of its own.
	paEast := s.newPerson(t, "mx-pa-east", "nottinghamshire", "east", "PERSONAL_ADVISER")
	paWest := s.newPerson(t, "mx-pa-west", "nottinghamshire", "west", "PERSONAL_ADVISER")
	paGone := s.newPerson(t, "mx-pa-gone", "nottinghamshire", "east", "PERSONAL_ADVISER")
	tmEast := s.newPerson(t, "mx-tm-east", "nottinghamshire", "east", "TEAM_MANAGER")
	paDerby := s.newPersonBy(t, "dara-admin", "mx-pa-derby", "derbyshire", "peak", "PERSONAL_ADVISER")
	mustREST(t, admin.do(t, "POST", "/v1/organisations?organisationId=trent-homes",
		`{"displayName": "Trent Homes", "type": "HOUSING"}`))
	trent := s.newPerson(t, "mx-trent", "trent-homes", "", "PARTNER_OFFICER")
	trentISA := mustREST(t, admin.do(t, "POST", "/v1/sharingAgreements", fmt.Sprintf(
		`{"council": "organisations/nottinghamshire", "partner": "organisations/trent-homes", "purpose": "HOUSING",
		  "startDate": %s}`, jsonDate(today().AddDays(-30))))).json(t)["name"].(string)

	conn := func(token string) *grpc.ClientConn { return s.dial(t, token) }
	create := func(token, council, ref string, dob civil.Date) string {
		t.Helper()
		yp := newYoungPerson(ref)
		yp.Council, yp.DateOfBirth = "organisations/"+council, pbDate(dob)
		got, err := pb.NewYoungPeopleServiceClient(conn(token)).CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: yp})
		if err != nil {
			t.Fatalf("create %s: %v", ref, err)
		}
		return got.GetName()
	}
	share := func(token, yp, partner string, purpose pb.SharingAgreement_Purpose, basis pb.Share_Basis, start civil.Date) *pb.Share {
		t.Helper()
		sh, err := pb.NewSharingServiceClient(conn(token)).CreateShare(ctx, &pb.CreateShareRequest{Parent: yp, Share: &pb.Share{
			Partner: "organisations/" + partner, Purpose: purpose, Basis: basis,
			StartDate: pbDate(start), ExpiryDate: pbDate(start.AddDays(200))}})
		if err != nil {
			t.Fatalf("share %s with %s: %v", yp, partner, err)
		}
		return sh
	}
	const housing, employment = pb.SharingAgreement_HOUSING, pb.SharingAgreement_EMPLOYMENT
	const referral, consent = pb.Share_REFERRAL, pb.Share_CONSENT

	// The young people, by matrix key.
	ids := map[string]string{
		"east17":  create(paEast, "nottinghamshire", "MX-1", agedToday(17, 100)),
		"west19":  create(paWest, "nottinghamshire", "MX-2", agedToday(19, 10)),
		"unalloc": create(tmEast, "nottinghamshire", "MX-3", agedToday(16, 40)),
		"gone15":  create(paGone, "nottinghamshire", "MX-4", agedToday(15, 200)),
		"derby18": create(paDerby, "derbyshire", "MX-1", agedToday(18, 5)),
	}
	share(paEast, ids["east17"], "framework-housing", housing, referral, today())
	share(paEast, ids["east17"], "notts-futures", employment, referral, today())
	withdrawn := share(paWest, ids["west19"], "framework-housing", housing, consent, today())
	share(paWest, ids["west19"], "trent-homes", housing, consent, today())
	share(tmEast, ids["unalloc"], "framework-housing", housing, referral, today().AddDays(1)) // not yet started
	share(paGone, ids["gone15"], "notts-futures", employment, referral, today())
	share(paDerby, ids["derby18"], "framework-housing", housing, consent, today())

	hana := &actor{name: "housing partner", token: tokenFor(t, "hana-housing"), org: "framework-housing",
		partnerRole: true, partner: []string{"east17", "derby18"}}
	trentOfficer := &actor{name: "second housing partner", token: trent, org: "trent-homes", partnerRole: true}
	// Controls: what is about to be withdrawn or ended is visible now.
	for _, c := range []struct {
		who *actor
		yp  string
	}{{hana, ids["west19"]}, {trentOfficer, ids["west19"]}} {
		if _, err := pb.NewPartnerServiceClient(conn(c.who.token)).GetSharedYoungPerson(ctx, sharedRequest(c.who.org, c.yp)); err != nil {
			t.Fatalf("%s cannot see %s before the change: %v", c.who.name, c.yp, err)
		}
	}
	if _, err := pb.NewSharingServiceClient(conn(paWest)).WithdrawShare(ctx, &pb.WithdrawShareRequest{
		Name: withdrawn.GetName(), Reason: "consent withdrawn", Etag: withdrawn.GetEtag()}); err != nil {
		t.Fatal(err)
	}
	mustREST(t, admin.do(t, "PATCH", "/v1/"+trentISA+"?updateMask=endDate", `{"endDate": `+jsonDate(today())+`}`))
	mustREST(t, admin.do(t, "PATCH", "/v1/people/mx-pa-gone?updateMask=disabled", `{"disabled": true}`))

	east := []string{"east17"}
	if b.name == "postgres" {
		// An expired share cannot be made through the API (shares start today or later), so
		// age one in the database.
		ids["expired20"] = create(paEast, "nottinghamshire", "MX-5", agedToday(20, 3))
		sh := share(paEast, ids["expired20"], "framework-housing", housing, consent, today())
		ageShare(t, s.config.DatabaseURL, sh.GetName(), today())
		east = append(east, "expired20")
	}
	ids["nobody"] = "youngPeople/" + uuid.NewString() // never existed

	// Two young people with accounts of their own, invited by their advisers.
	invite := func(token, yp, person string) string {
		t.Helper()
		if _, err := pb.NewYoungPeopleServiceClient(conn(token)).InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{
			Name: yp, PersonId: person, DisplayName: "Young " + person}); err != nil {
			t.Fatalf("invite %s: %v", person, err)
		}
		return tokenFor(t, person)
	}
	ypEast := invite(paEast, ids["east17"], "mx-yp-east")
	ypWest := invite(paWest, ids["west19"], "mx-yp-west")

	actors := []*actor{
		{name: "personal adviser (east)", token: paEast, org: "nottinghamshire", staffRole: true, staff: east},
		{name: "personal adviser (west)", token: paWest, org: "nottinghamshire", staffRole: true, staff: []string{"west19"}},
		{name: "team manager (east)", token: tmEast, org: "nottinghamshire", staffRole: true, manager: true,
			staff: append([]string{"unalloc", "gone15"}, east...)},
		{name: "personal adviser (other council)", token: paDerby, org: "derbyshire", staffRole: true, staff: []string{"derby18"}},
		{name: "disabled personal adviser", token: paGone, org: "nottinghamshire", disabled: true},
		{name: "administrator", token: tokenFor(t, "ada-admin"), org: "nottinghamshire"},
		{name: "auditor", token: tokenFor(t, "aud-auditor"), org: "nottinghamshire"},
		{name: "other council's administrator", token: tokenFor(t, "dara-admin"), org: "derbyshire"},
		hana, trentOfficer,
		{name: "employment partner", token: tokenFor(t, "eli-employment"), org: "notts-futures",
			partnerRole: true, partner: []string{"east17", "gone15"}},
		{name: "young person (17)", token: ypEast, org: "nottinghamshire", youngPerson: true, staff: []string{"east17"}},
		{name: "young person (19)", token: ypWest, org: "nottinghamshire", youngPerson: true, staff: []string{"west19"}},
	}

	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, a := range actors {
		a.conn = conn(a.token)
		t.Run(a.name, func(t *testing.T) {
			m := matrix{t: t, s: s.as(a.token), a: a, ids: ids, keys: keys}
			m.staffAPIs()
			m.partnerAPIs()
			if a.youngPerson {
				m.selfAPIs()
			}
		})
	}
	boardMatrix(t, s, actors)
	operationsMatrix(t, s, actors)
}

// operationsMatrix holds the import of a return and its operations to the model: the
// council's administrators alone import its return and read its operations; the other
// council's administrator, its staff, auditors, partners and young people are refused with
// PERMISSION_DENIED, over gRPC and REST, alike for an operation that does not exist.
func operationsMatrix(t *testing.T, s *server, actors []*actor) {
	ctx := context.Background()
	header := []byte("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nOM1,2,01/05/2010,WBRI,,,\n")
	importReq := &pb.ImportSsda903ReturnRequest{Parent: "organisations/nottinghamshire",
		Files: []*pb.Ssda903File{{Name: "header.csv", Content: header}}}
	op, err := pb.NewSsda903ServiceClient(s.dial(t, tokenFor(t, "ada-admin"))).ImportSsda903Return(ctx, importReq)
	if err != nil {
		t.Fatal(err)
	}
	nobody := "organisations/nottinghamshire/operations/" + uuid.NewString()
	for _, a := range actors {
		t.Run("operations/"+a.name, func(t *testing.T) {
			may := a.name == "administrator"
			check := func(what string, err error) {
				t.Helper()
				if may && err != nil {
					t.Errorf("%s: %v", what, err)
				} else if !may && status.Code(err) != codes.PermissionDenied {
					t.Errorf("%s: %v, want PERMISSION_DENIED", what, err)
				}
			}
			_, err := pb.NewSsda903ServiceClient(a.conn).ImportSsda903Return(ctx, importReq)
			check("ImportSsda903Return", err)
			ops := pb.NewOperationsServiceClient(a.conn)
			_, err = ops.GetOperation(ctx, &pb.GetOperationRequest{Name: op.GetName()})
			check("GetOperation", err)
			_, err = ops.ListOperations(ctx, &pb.ListOperationsRequest{Parent: "organisations/nottinghamshire"})
			check("ListOperations", err)
			_, err = ops.GetOperation(ctx, &pb.GetOperationRequest{Name: nobody})
			if may {
				wantGRPCError(t, err, codes.NotFound, "RESOURCE_NOT_FOUND")
			} else if status.Code(err) != codes.PermissionDenied {
				t.Errorf("GetOperation of none: %v, want PERMISSION_DENIED", err)
			}
			r := s.as(a.token).do(t, "GET", "/v1/"+op.GetName(), "")
			if (r.code == 200) != may || !may && r.code != 403 {
				t.Errorf("GET the operation over REST: HTTP %d", r.code)
			}
		})
	}
}

// boardMatrix holds the delivery plan's methods to the model: the board's members are the
// council's managers and administrators and the people of partners with an agreement in
// force (Trent Homes' ended today); an action is changed by its lead organisation's people
// and the council's administrators. Every refusal is PERMISSION_DENIED, alike for an action
// that does not exist.
func boardMatrix(t *testing.T, s *server, actors []*actor) {
	ctx := context.Background()
	admin := pb.NewDeliveryPlanServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
	plan, err := admin.CreateDeliveryPlan(ctx, &pb.CreateDeliveryPlanRequest{Parent: "organisations/nottinghamshire",
		DeliveryPlanId: "2026-27", DeliveryPlan: &pb.DeliveryPlan{Title: "Delivery plan 2026-27", Year: 2026}})
	if err != nil {
		t.Fatal(err)
	}
	action := func(lead string) *pb.PlanAction {
		a, err := admin.CreatePlanAction(ctx, &pb.CreatePlanActionRequest{Parent: plan.GetName(), Action: &pb.PlanAction{
			Title: "Led by " + lead, LeadOrganisation: "organisations/" + lead, DueDate: pbDate(today().AddDays(200)), Ambitions: []string{"A6"}}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	actions := map[string]*pb.PlanAction{"framework-housing": action("framework-housing"), "notts-futures": action("notts-futures")}
	members := map[string]bool{"team manager (east)": true, "administrator": true, "housing partner": true, "employment partner": true}
	nobody := plan.GetName() + "/actions/" + uuid.NewString()
	for _, a := range actors {
		t.Run("delivery plan/"+a.name, func(t *testing.T) {
			c := pb.NewDeliveryPlanServiceClient(a.conn)
			member := members[a.name] && !a.disabled
			denied := func(what string, err error, allowed bool) {
				t.Helper()
				if allowed && err != nil {
					t.Errorf("%s: %v", what, err)
				} else if !allowed && status.Code(err) != codes.PermissionDenied {
					t.Errorf("%s: %v, want PERMISSION_DENIED", what, err)
				}
			}
			_, err := c.ListPlanActions(ctx, &pb.ListPlanActionsRequest{Parent: plan.GetName()})
			denied("ListPlanActions", err, member)
			_, err = c.GetPlanAction(ctx, &pb.GetPlanActionRequest{Name: nobody})
			if member {
				wantGRPCError(t, err, codes.NotFound, "RESOURCE_NOT_FOUND")
			} else {
				denied("GetPlanAction of none", err, false)
			}
			r := s.as(a.token).do(t, "GET", "/v1/"+plan.GetName(), "")
			if (r.code == 200) != member || !member && r.code != 403 {
				t.Errorf("GET plan over REST: HTTP %d", r.code)
			}
			for lead, act := range actions {
				may := a.name == "administrator" || member && a.org == lead
				_, err := c.GetPlanAction(ctx, &pb.GetPlanActionRequest{Name: act.GetName()})
				denied("GetPlanAction", err, member)
				_, err = c.AddPlanActionProgress(ctx, &pb.AddPlanActionProgressRequest{Name: act.GetName(),
					Note: "progress by " + a.name, Rating: pb.Rating_RATING_AMBER})
				denied("AddPlanActionProgress of "+lead, err, may)
				_, err = c.UpdatePlanAction(ctx, &pb.UpdatePlanActionRequest{Action: &pb.PlanAction{Name: act.GetName(),
					RatingReason: "by " + a.name}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"rating_reason"}}, Reason: "matrix"})
				denied("UpdatePlanAction of "+lead, err, may)
			}
			_, err = c.CreatePlanAction(ctx, &pb.CreatePlanActionRequest{Parent: plan.GetName(), Action: &pb.PlanAction{
				Title: "x", LeadOrganisation: "organisations/nottinghamshire", DueDate: pbDate(today())}})
			denied("CreatePlanAction", err, a.name == "administrator")
		})
	}
}

// matrix checks one actor against every young person.
type matrix struct {
	t    *testing.T
	s    *server
	a    *actor
	ids  map[string]string
	keys []string
}

func (m matrix) staffAPIs() {
	t, ctx := m.t, context.Background()
	yps := pb.NewYoungPeopleServiceClient(m.a.conn)
	pathways := pb.NewPathwaysServiceClient(m.a.conn)
	nobody := m.ids["nobody"]
	_, refusedGRPC := yps.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: nobody})
	refusedREST := m.s.do(t, "GET", "/v1/"+nobody, "")
	_, refusedWrite := yps.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: &pb.YoungPerson{Name: nobody, PreferredName: "Zeb"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"preferred_name"}}})
	_, refusedPathway := pathways.GetPathway(ctx, &pb.GetPathwayRequest{Name: nobody + "/pathway"})
	refusedShares := m.s.do(t, "GET", "/v1/"+nobody+"/shares", "")
	// Allocation is checked without changing anything (validate_only), to the east team's adviser.
	allocate := func(name string) error {
		_, err := yps.BatchAllocatePersonalAdviser(ctx, &pb.BatchAllocatePersonalAdviserRequest{
			YoungPeople: []string{name}, PersonalAdviser: "people/mx-pa-east", ValidateOnly: true})
		return err
	}
	refusedAllocate := allocate(nobody)
	for _, err := range []error{refusedGRPC, refusedWrite, refusedPathway, refusedAllocate} {
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("a young person who does not exist: %v, want %s", err, codes.PermissionDenied)
		}
	}

	for _, key := range m.keys {
		name, allowed := m.ids[key], slices.Contains(m.a.staff, key)
		_, err := yps.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
		m.same(key, "gRPC GetYoungPerson", allowed, err, refusedGRPC)
		m.sameREST(key, "REST GET", allowed, m.s.do(t, "GET", "/v1/"+name, ""), refusedREST)
		_, err = yps.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
			YoungPerson: &pb.YoungPerson{Name: name, PreferredName: "Zeb"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"preferred_name"}}})
		m.same(key, "gRPC UpdateYoungPerson", allowed && !m.a.youngPerson, err, refusedWrite)
		_, err = pathways.GetPathway(ctx, &pb.GetPathwayRequest{Name: name + "/pathway"})
		m.same(key, "gRPC GetPathway", allowed, err, refusedPathway)
		m.sameREST(key, "REST list shares", allowed, m.s.do(t, "GET", "/v1/"+name+"/shares", ""), refusedShares)
		m.same(key, "gRPC BatchAllocatePersonalAdviser", allowed && m.a.manager, allocate(name), refusedAllocate)
	}

	for _, size := range []int{1, 2, 50} {
		got, err := m.listGRPC(func(token string) ([]string, string, error) {
			r, err := yps.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{PageSize: int32(size), PageToken: token})
			return names(r.GetYoungPeople()), r.GetNextPageToken(), err
		})
		m.listMatches(fmt.Sprintf("gRPC ListYoungPeople page size %d", size), m.a.staffRole, m.a.staff, got, err, func(name string) bool {
			_, err := yps.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
			return err == nil
		})
		got, err = m.listREST(fmt.Sprintf("/v1/youngPeople?pageSize=%d", size), "youngPeople")
		m.listMatches(fmt.Sprintf("REST list young people page size %d", size), m.a.staffRole, m.a.staff, got, err, func(name string) bool {
			return m.s.do(t, "GET", "/v1/"+name, "").code == 200
		})
	}
}

func (m matrix) partnerAPIs() {
	t, ctx := m.t, context.Background()
	partner := pb.NewPartnerServiceClient(m.a.conn)
	shared := func(name string) string {
		return "organisations/" + m.a.org + "/sharedYoungPeople/" + strings.TrimPrefix(name, "youngPeople/")
	}
	nobody := m.ids["nobody"]
	_, refusedGRPC := partner.GetSharedYoungPerson(ctx, &pb.GetSharedYoungPersonRequest{Name: shared(nobody)})
	refusedREST := m.s.do(t, "GET", "/v1/"+shared(nobody), "")
	if status.Code(refusedGRPC) != codes.PermissionDenied {
		t.Fatalf("a young person who does not exist, partner view: %v, want %s", refusedGRPC, codes.PermissionDenied)
	}
	for _, key := range m.keys {
		name, allowed := m.ids[key], slices.Contains(m.a.partner, key)
		got, err := partner.GetSharedYoungPerson(ctx, &pb.GetSharedYoungPersonRequest{Name: shared(name)})
		m.same(key, "gRPC GetSharedYoungPerson", allowed, err, refusedGRPC)
		if allowed && got.GetYoungPerson() != name {
			t.Errorf("%s: partner view of %s names %s", key, name, got.GetYoungPerson())
		}
		m.sameREST(key, "REST GET shared", allowed, m.s.do(t, "GET", "/v1/"+shared(name), ""), refusedREST)
	}
	for _, size := range []int{1, 2, 50} {
		got, err := m.listGRPC(func(token string) ([]string, string, error) {
			r, err := partner.ListSharedYoungPeople(ctx, &pb.ListSharedYoungPeopleRequest{
				Parent: "organisations/" + m.a.org, PageSize: int32(size), PageToken: token})
			var out []string
			for _, v := range r.GetSharedYoungPeople() {
				out = append(out, v.GetYoungPerson())
			}
			return out, r.GetNextPageToken(), err
		})
		m.listMatches(fmt.Sprintf("gRPC ListSharedYoungPeople page size %d", size), m.a.partnerRole, m.a.partner, got, err, func(name string) bool {
			_, err := partner.GetSharedYoungPerson(ctx, &pb.GetSharedYoungPersonRequest{Name: shared(name)})
			return err == nil
		})
		got, err = m.listREST(fmt.Sprintf("/v1/organisations/%s/sharedYoungPeople?pageSize=%d", m.a.org, size), "sharedYoungPeople")
		m.listMatches(fmt.Sprintf("REST list shared young people page size %d", size), m.a.partnerRole, m.a.partner, got, err, func(name string) bool {
			return m.s.do(t, "GET", "/v1/"+shared(name), "").code == 200
		})
	}
	if m.a.partnerRole {
		// A partner cannot look through another partner's window.
		_, err := partner.ListSharedYoungPeople(ctx, &pb.ListSharedYoungPeopleRequest{Parent: "organisations/trent-homes"})
		if m.a.org != "trent-homes" && status.Code(err) != codes.PermissionDenied {
			t.Errorf("listing another partner's young people: %v, want PERMISSION_DENIED", err)
		}
	}
}

// same checks one gRPC answer: allowed, or refused exactly as for a young person who does
// not exist.
func (m matrix) same(key, what string, allowed bool, err, refused error) {
	m.t.Helper()
	switch {
	case allowed && err != nil:
		m.t.Errorf("%s %s: unexpected deny: %v", what, key, err)
	case !allowed && err == nil:
		m.t.Errorf("%s %s: unexpected allow", what, key)
	case !allowed && !proto.Equal(status.Convert(err).Proto(), status.Convert(refused).Proto()):
		m.t.Errorf("%s %s: refusal %v differs from the refusal for no such young person %v", what, key, err, refused)
	}
}

// sameREST is same for an HTTP answer.
func (m matrix) sameREST(key, what string, allowed bool, r, refused restResponse) {
	m.t.Helper()
	switch {
	case allowed && r.code != 200:
		m.t.Errorf("%s %s: unexpected deny: HTTP %d %s", what, key, r.code, r.body)
	case !allowed && r.code == 200:
		m.t.Errorf("%s %s: unexpected allow", what, key)
	case !allowed && (r.code != refused.code || string(r.body) != string(refused.body)):
		m.t.Errorf("%s %s: refusal HTTP %d %s differs from the refusal for no such young person HTTP %d %s",
			what, key, r.code, r.body, refused.code, refused.body)
	}
}

// listGRPC pages through a list.
func (m matrix) listGRPC(page func(token string) ([]string, string, error)) ([]string, error) {
	var all []string
	token := ""
	for range 1000 {
		names, next, err := page(token)
		if err != nil {
			return nil, err
		}
		all = append(all, names...)
		if token = next; token == "" {
			return all, nil
		}
	}
	m.t.Fatal("list never ended")
	return nil, nil
}

// listREST pages through a REST list, collecting each item's young person.
func (m matrix) listREST(path, field string) ([]string, error) {
	var all []string
	token := ""
	for range 1000 {
		p := path
		if token != "" {
			p += "&pageToken=" + token
		}
		r := m.s.do(m.t, "GET", p, "")
		if r.code != 200 {
			return nil, fmt.Errorf("HTTP %d %s", r.code, r.body)
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &body); err != nil {
			m.t.Fatal(err)
		}
		var items []struct{ Name, YoungPerson string }
		if err := json.Unmarshal(body[field], &items); err != nil {
			m.t.Fatal(err)
		}
		for _, it := range items {
			if it.YoungPerson != "" {
				it.Name = it.YoungPerson
			}
			all = append(all, it.Name)
		}
		if err := json.Unmarshal(body["nextPageToken"], &token); err != nil || token == "" {
			return all, nil
		}
	}
	m.t.Fatal("list never ended")
	return nil, nil
}

// listMatches checks a listing: refused unless the role may list (with the refusal's code);
// if not, among the matrix's young people exactly the model's, each once; any other (the
// memory store's demo young people) must be one the get allows.
func (m matrix) listMatches(what string, role bool, want, got []string, err error, gettable func(string) bool) {
	m.t.Helper()
	if !role || m.a.disabled {
		if status.Code(err) != codes.PermissionDenied && (err == nil || !strings.Contains(err.Error(), "HTTP 403")) {
			m.t.Errorf("%s: %v, want %s", what, err, codes.PermissionDenied)
		}
		return
	}
	if err != nil {
		m.t.Errorf("%s: %v", what, err)
		return
	}
	var inMatrix []string
	seen := map[string]bool{}
	for _, name := range got {
		if seen[name] {
			m.t.Errorf("%s: %s listed twice", what, name)
		}
		seen[name] = true
		if key := m.key(name); key != "" {
			inMatrix = append(inMatrix, key)
		} else if !gettable(name) {
			m.t.Errorf("%s: lists %s, which the get refuses", what, name)
		}
	}
	slices.Sort(inMatrix)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(inMatrix, w) {
		m.t.Errorf("%s: lists %v, want %v", what, inMatrix, w)
	}
}

func (m matrix) key(name string) string {
	for k, v := range m.ids {
		if v == name {
			return k
		}
	}
	return ""
}

func names(yps []*pb.YoungPerson) []string {
	out := make([]string, len(yps))
	for i, yp := range yps {
		out[i] = yp.GetName()
	}
	return out
}

func sharedRequest(org, yp string) *pb.GetSharedYoungPersonRequest {
	return &pb.GetSharedYoungPersonRequest{Name: "organisations/" + org + "/sharedYoungPeople/" + strings.TrimPrefix(yp, "youngPeople/")}
}

func jsonDate(d civil.Date) string {
	return fmt.Sprintf(`{"year": %d, "month": %d, "day": %d}`, d.Year, d.Month, d.Day)
}

// mustREST fails the test unless the call succeeded.
func mustREST(t *testing.T, r restResponse) restResponse {
	t.Helper()
	if r.code != 200 {
		t.Fatalf("HTTP %d %s", r.code, r.body)
	}
	return r
}

// ageShare makes a share run from 100 days ago until (not including) day, in the database.
func ageShare(t *testing.T, url, share string, day civil.Date) {
	t.Helper()
	ctx := context.Background()
	c := dbConn(t, url)
	id := share[strings.LastIndex(share, "/")+1:]
	tag, err := c.Exec(ctx, `UPDATE shares SET start_date = $2::date - 100, expiry_date = $2::date WHERE id = $1`,
		id, day.String())
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("ageing share: %v (%d rows)", err, tag.RowsAffected())
	}
}

// selfAPIs holds a young person's own account to the model: the reads open to it answer for
// their one young person and, for every other, exactly as for a young person who does not
// exist, over gRPC and REST; the methods for staff, partners, auditors and administrators
// refuse them even about themself.
func (m matrix) selfAPIs() {
	t, ctx := m.t, context.Background()
	episodes := pb.NewCareEpisodesServiceClient(m.a.conn)
	pathways := pb.NewPathwaysServiceClient(m.a.conn)
	readiness := pb.NewReadinessServiceClient(m.a.conn)
	sharing := pb.NewSharingServiceClient(m.a.conn)
	voice := pb.NewVoiceServiceClient(m.a.conn)
	reads := []struct {
		name string
		grpc func(yp string) error
		rest string // path after the young person's name
	}{
		{"GetCareLeaverStatus", func(yp string) error {
			_, err := episodes.GetCareLeaverStatus(ctx, &pb.GetCareLeaverStatusRequest{Name: yp + "/careLeaverStatus"})
			return err
		}, "/careLeaverStatus"},
		{"ListCareEpisodes", func(yp string) error {
			_, err := episodes.ListCareEpisodes(ctx, &pb.ListCareEpisodesRequest{Parent: yp})
			return err
		}, "/careEpisodes"},
		{"ListMilestones", func(yp string) error {
			_, err := pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: yp})
			return err
		}, "/milestones"},
		{"GetCliffEdgeAssessment", func(yp string) error {
			_, err := readiness.GetCliffEdgeAssessment(ctx, &pb.GetCliffEdgeAssessmentRequest{Name: yp + "/cliffEdgeAssessment"})
			return err
		}, "/cliffEdgeAssessment"},
		{"ListShares", func(yp string) error {
			_, err := sharing.ListShares(ctx, &pb.ListSharesRequest{Parent: yp})
			return err
		}, "/shares"},
		{"GetPathway", func(yp string) error {
			_, err := pathways.GetPathway(ctx, &pb.GetPathwayRequest{Name: yp + "/pathway"})
			return err
		}, "/pathway"},
		{"GetReminderSettings", func(yp string) error {
			_, err := voice.GetReminderSettings(ctx, &pb.GetReminderSettingsRequest{Name: yp + "/reminderSettings"})
			return err
		}, "/reminderSettings"},
	}
	nobody := m.ids["nobody"]
	for _, r := range reads {
		refusedGRPC, refusedREST := r.grpc(nobody), m.s.do(t, "GET", "/v1/"+nobody+r.rest, "")
		for _, key := range m.keys {
			name, allowed := m.ids[key], slices.Contains(m.a.staff, key)
			m.same(key, "gRPC "+r.name, allowed, r.grpc(name), refusedGRPC)
			m.sameREST(key, "REST GET "+r.rest, allowed, m.s.do(t, "GET", "/v1/"+name+r.rest, ""), refusedREST)
		}
	}

	own := m.ids[m.a.staff[0]]
	// Milestones across young people are their own only (the matrix's young people have no
	// care episodes, so none: TestYoungPersonOwnPathway has some).
	ms, err := pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: "youngPeople/-", PageSize: 500})
	if err != nil {
		t.Fatalf("milestones across young people: %v", err)
	}
	for _, mm := range ms.GetMilestones() {
		if !strings.HasPrefix(mm.GetName(), own+"/") {
			t.Errorf("milestones across young people list %s", mm.GetName())
		}
	}
	// Their own account, and the catalogue.
	me, err := pb.NewAccessServiceClient(m.a.conn).GetPerson(ctx, &pb.GetPersonRequest{Name: "people/me"})
	if err != nil || me.GetYoungPerson() != own || !slices.Equal(me.GetRoles(), []pb.Person_Role{pb.Person_YOUNG_PERSON}) {
		t.Errorf("people/me: %v, %v; want a YOUNG_PERSON account of %s", me, err, own)
	}
	if _, err := pb.NewCatalogueServiceClient(m.a.conn).ListMilestoneDefinitions(ctx, &pb.ListMilestoneDefinitionsRequest{}); err != nil {
		t.Errorf("ListMilestoneDefinitions: %v", err)
	}

	// Nothing else, even about themself.
	staffOnly := map[string]func() error{
		"ListFacts": func() error { _, err := readiness.ListFacts(ctx, &pb.ListFactsRequest{Parent: own}); return err },
		"ListCliffEdgeAssessments": func() error {
			_, err := readiness.ListCliffEdgeAssessments(ctx, &pb.ListCliffEdgeAssessmentsRequest{Parent: "organisations/" + m.a.org})
			return err
		},
		"InviteYoungPerson": func() error {
			_, err := pb.NewYoungPeopleServiceClient(m.a.conn).InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{
				Name: own, PersonId: "mx-yp-again", DisplayName: "Again"})
			return err
		},
		"ListAuditRecords": func() error {
			_, err := pb.NewAuditServiceClient(m.a.conn).ListAuditRecords(ctx, &pb.ListAuditRecordsRequest{YoungPerson: own})
			return err
		},
		"GetPathwaySettings": func() error {
			_, err := pb.NewCatalogueServiceClient(m.a.conn).GetPathwaySettings(ctx, &pb.GetPathwaySettingsRequest{
				Name: "organisations/" + m.a.org + "/pathwaySettings"})
			return err
		},
		"ListPeople": func() error {
			_, err := pb.NewAccessServiceClient(m.a.conn).ListPeople(ctx, &pb.ListPeopleRequest{})
			return err
		},
	}
	for name, call := range staffOnly {
		if err := call(); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s: %v, want PERMISSION_DENIED", name, err)
		}
	}
	if r := m.s.do(t, "GET", "/v1/"+own+"/facts", ""); r.code != 403 {
		t.Errorf("REST facts: HTTP %d, want 403", r.code)
	}
}
