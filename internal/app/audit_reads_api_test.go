package app_test

import (
	"context"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// notAboutYoungPeople are the reads that return nothing derived from young people, so need
// no audit record; every other read must leave one.
var notAboutYoungPeople = map[string]string{
	"/carepath.v1.AccessService/GetOrganisation":             "organisations",
	"/carepath.v1.AccessService/ListOrganisations":           "organisations",
	"/carepath.v1.AccessService/GetPerson":                   "staff, not young people",
	"/carepath.v1.AccessService/ListPeople":                  "staff, not young people",
	"/carepath.v1.CatalogueService/GetMilestoneDefinition":   "the national catalogue",
	"/carepath.v1.CatalogueService/ListMilestoneDefinitions": "the national catalogue",
	"/carepath.v1.CatalogueService/GetPathwaySettings":       "a council's settings",
	"/carepath.v1.SharingService/GetSharingAgreement":        "agreements between organisations",
	"/carepath.v1.SharingService/ListSharingAgreements":      "agreements between organisations",
	"/carepath.v1.ReminderService/GetWebhookEndpoint":        "an organisation's endpoints",
	"/carepath.v1.ReminderService/ListWebhookEndpoints":      "an organisation's endpoints",
	"/carepath.v1.ReminderService/ListWebhookDeliveries":     "delivery attempts, naming reminders by id only",
	"/carepath.v1.AuditService/GetAuditStatus":               "counts of the trail's records",
	"/carepath.v1.BoardService/ListMeasureDefinitions":       "the national measure catalogue",
	"/carepath.v1.DeliveryPlanService/GetDeliveryPlan":       "the board's plan, naming no young person",
	"/carepath.v1.DeliveryPlanService/ListDeliveryPlans":     "the board's plan, naming no young person",
	"/carepath.v1.DeliveryPlanService/GetPlanAction":         "the board's plan, naming no young person",
	"/carepath.v1.DeliveryPlanService/ListPlanActions":       "the board's plan, naming no young person",
	"/carepath.v1.DeliveryPlanService/ListPlanActionChanges": "the board's plan, naming no young person",
	"/carepath.v1.VoiceService/ListLocalOfferEntries":        "what a council publishes to all its care leavers",
}

// TestEveryReadOfYoungPeoplesDataIsAudited walks every read the API serves (each GET route,
// and the reminder stream) and calls it as a caller its policy admits, about young people
// that caller may see; each must leave an audit record of that call, unless it is listed in
// notAboutYoungPeople. A new read fails here until it is audited or listed, with a reason.
func TestEveryReadOfYoungPeoplesDataIsAudited(t *testing.T) {
	t.Parallel() // slow (servers, databases, waiting for the sealer): run after the sequential tests
	ctx := context.Background()
	s := start(t, memoryBackend().configure(t))

	// An 18-year-old on the test adviser's caseload (reminders are due), shared with both
	// partners, with a care episode; and a 17-year-old turning 18 within the year.
	r := s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 18}, 3, "READS-1", s.person))
	if r.code != 200 {
		t.Fatalf("create: HTTP %d %s", r.code, r.body)
	}
	adult := r.json(t)["name"].(string)
	if _, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("READS-2")}); err != nil {
		t.Fatal(err)
	}
	for partner, purpose := range map[string]pb.SharingAgreement_Purpose{"framework-housing": pb.SharingAgreement_HOUSING,
		"notts-futures": pb.SharingAgreement_EMPLOYMENT} {
		if _, err := pb.NewSharingServiceClient(s.conn).CreateShare(ctx, &pb.CreateShareRequest{Parent: adult,
			Share: &pb.Share{Partner: "organisations/" + partner, Purpose: purpose, Basis: pb.Share_CONSENT,
				ExpiryDate: pbDate(today().AddDays(180))}}); err != nil {
			t.Fatal(err)
		}
	}
	r = s.do(t, "POST", "/v1/"+adult+"/careEpisodes", `{"startDate": {"year": 2020, "month": 1, "day": 1}, "legalStatus": "C2", "placementType": "U1"}`)
	if r.code != 200 {
		t.Fatalf("create episode: HTTP %d %s", r.code, r.body)
	}
	episode := r.json(t)["name"].(string)
	pathway, err := pb.NewPathwaysServiceClient(s.conn).GetPathway(ctx, &pb.GetPathwayRequest{Name: adult + "/pathway"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pathway.GetTimeline()) == 0 {
		t.Fatal("the pathway has no milestone")
	}
	milestone := pathway.GetTimeline()[0].GetName()
	id := func(name string) string { return name[strings.LastIndex(name, "/")+1:] }
	// An operation of the council: the import of a return of one child.
	operation := decodeOperation(t, s.as(tokenFor(t, "ada-admin")).do(t, "POST",
		"/v1/organisations/nottinghamshire/ssda903Returns:import", `{"files": [{"name": "header.csv", "content": "`+
			base64.StdEncoding.EncodeToString([]byte("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nAR1,1,01/05/2010,WBRI,,,\n"))+`"}]}`)).Name
	// Done before the reads below: the import's own audit records, written as it ends, are
	// the administrator's too, and would otherwise race with theirs.
	awaitOperation(t, s.as(tokenFor(t, "ada-admin")), operation)

	callers := map[string]struct{ token, person, org string }{
		access.PA:      {s.token, s.person, "nottinghamshire"},
		access.Partner: {tokenFor(t, "hana-housing"), "hana-housing", "framework-housing"},
		access.Auditor: {tokenFor(t, "aud-auditor"), "aud-auditor", "nottinghamshire"},
		access.Admin:   {tokenFor(t, "ada-admin"), "ada-admin", "nottinghamshire"},
	}
	employment := struct{ token, person, org string }{tokenFor(t, "eli-employment"), "eli-employment", "notts-futures"}
	queries := map[string]string{
		"/carepath.v1.ReadinessService/ListCliffEdgeAssessments": "?view.withinDays=365",
	}
	variable := regexp.MustCompile(`\{(\w+)=([^}]+)\}`)
	walked := 0
	for method, policy := range access.Policies {
		name := strings.TrimPrefix(method, "/")
		svc, rpc, _ := strings.Cut(strings.TrimPrefix(name, "carepath.v1."), "/")
		md := methodDescriptor(t, name)
		rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
		path := rule.GetGet()
		isRead := path != "" || rpc == "WatchReminders"
		if _, exempt := notAboutYoungPeople[method]; exempt || !isRead {
			if exempt && !isRead {
				t.Errorf("%s is listed as a read about no young person but is not a read", method)
			}
			continue
		}
		var caller struct{ token, person, org string }
		switch {
		case rpc == "GetEmploymentReadiness":
			caller = employment
		case slices.Contains(policy.Roles, access.PA):
			caller = callers[access.PA]
		case slices.Contains(policy.Roles, access.Partner):
			caller = callers[access.Partner]
		case slices.Contains(policy.Roles, access.Auditor):
			caller = callers[access.Auditor]
		case slices.Contains(policy.Roles, access.Admin): // counts for the council
			caller = callers[access.Admin]
		default:
			t.Errorf("%s reads, names no role that reads young people's data, and is not in notAboutYoungPeople", method)
			continue
		}
		fixtures := map[string]string{"youngPeople": id(adult), "sharedYoungPeople": id(adult), "careEpisodes": id(episode),
			"milestones": id(milestone), "organisations": caller.org, "people": caller.person, "operations": id(operation)}
		if rpc == "WatchReminders" {
			watchOne(t, s, caller.token)
		} else {
			path = variable.ReplaceAllStringFunc(path, func(v string) string {
				segs := strings.Split(variable.FindStringSubmatch(v)[2], "/")
				for i, seg := range segs {
					if seg == "*" {
						segs[i] = fixtures[segs[i-1]]
					}
				}
				return strings.Join(segs, "/")
			})
			if r := s.as(caller.token).do(t, "GET", path+queries[method], ""); r.code != 200 {
				t.Errorf("%s (GET %s) as %s: HTTP %d %s", method, path, caller.person, r.code, r.body)
				continue
			}
		}
		walked++
		latest := auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "people/" + caller.person})
		if len(latest) == 0 || latest[0].GetAction() != name || latest[0].GetOutcome() != "OK" {
			got := "nothing"
			if len(latest) > 0 {
				got = latest[0].GetAction()
			}
			t.Errorf("%s.%s read as %s left no audit record (the latest is %s)", svc, rpc, caller.person, got)
		}
	}
	if walked < 21 { // the reads of young people's data served today
		t.Errorf("only %d reads walked", walked)
	}
}

// methodDescriptor finds a method by its full name, pkg.Service/Method.
func methodDescriptor(t *testing.T, name string) protoreflect.MethodDescriptor {
	t.Helper()
	svc, method, _ := strings.Cut(name, "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
	if m == nil {
		t.Fatalf("no method %s", name)
	}
	return m
}

// watchOne opens the reminder stream as the caller and takes one reminder.
func watchOne(t *testing.T, s *server, token string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := pb.NewReminderServiceClient(s.dial(t, token)).WatchReminders(ctx, &pb.WatchRemindersRequest{Parent: "people/me",
		StartAfter: "reminders/00000000-0000-7000-8000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("WatchReminders: %v", err)
	}
}
