package app_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/readiness"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

func shareWith(t *testing.T, s *server, yp, partner string, purpose pb.SharingAgreement_Purpose) {
	t.Helper()
	if _, err := pb.NewSharingServiceClient(s.conn).CreateShare(context.Background(), &pb.CreateShareRequest{Parent: yp,
		Share: &pb.Share{Partner: "organisations/" + partner, Purpose: purpose, Basis: pb.Share_REFERRAL,
			ExpiryDate: pbDate(today().AddDays(180))}}); err != nil {
		t.Fatal(err)
	}
}

func sharedName(org, yp string) string {
	return "organisations/" + org + "/sharedYoungPeople/" + strings.TrimPrefix(yp, "youngPeople/")
}

func factorStatus(r *pb.Readiness, key string) *pb.ReadinessFactor {
	for _, f := range r.GetFactors() {
		if f.GetFactor() == key {
			return f
		}
	}
	return nil
}

// TestPartnerReadiness: partners see readiness for the purpose a young person is shared with
// them for, record the facts of their purpose, and filter their lists by readiness; never
// anything of health, care history or immigration.
func TestPartnerReadiness(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testPartnerReadiness(t, start(t, b.configure(t)))
		})
	}
}

func testPartnerReadiness(t *testing.T, s *server) {
	ctx := context.Background()
	ready := youngPersonInCare(t, s, "PR-READY", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	prepare(t, s, ready)
	gappy := youngPersonInCare(t, s, "PR-GAPPY", bornAged(age17y10m), civil.Period{Years: 14}, "K2")
	shareWith(t, s, ready.GetName(), "framework-housing", pb.SharingAgreement_HOUSING)
	shareWith(t, s, ready.GetName(), "notts-futures", pb.SharingAgreement_EMPLOYMENT)
	shareWith(t, s, gappy.GetName(), "notts-futures", pb.SharingAgreement_EMPLOYMENT)

	housing := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "hana-housing")))
	employment := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "eli-employment")))
	hana := s.as(tokenFor(t, "hana-housing"))

	name := sharedName("framework-housing", ready.GetName()) + "/housingReadiness"
	r, err := housing.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: name})
	eighteenth := civil.Attains(fromPB(ready.GetDateOfBirth()), civil.Period{Years: 18}, civil.MarchFirst)
	if err != nil || r.GetRating() != pb.Rating_RATING_GREEN || fromPB(r.GetNeedDate()) != eighteenth || len(r.GetFactors()) == 0 {
		t.Fatalf("housing readiness of the ready young person: %v %v", r, err)
	}
	rest := hana.do(t, "GET", "/v1/"+name, "")
	var viaREST pb.Readiness
	if rest.code != 200 || unmarshalJSON(rest.body, &viaREST) != nil || !proto.Equal(&viaREST, r) {
		t.Errorf("REST differs: HTTP %d %s", rest.code, rest.body)
	}
	for _, word := range []string{"dateOfBirth", "unaccompanied", "camhs", "legalStatus", "placement", "immigration", "disability", "ehcPlan"} {
		if strings.Contains(strings.ToLower(string(rest.body)), strings.ToLower(word)) {
			t.Errorf("the housing readiness response mentions %q:\n%s", word, rest.body)
		}
	}
	if f := factorStatus(r, "income"); f == nil || f.GetStatus() != pb.CheckStatus_CHECK_STATUS_PASS || len(f.GetProvenance()) != 2 ||
		f.GetProvenance()[0].GetOrganisation() != "organisations/nottinghamshire" || f.GetSource() == "" {
		t.Errorf("income factor %v", f)
	}

	// Not shared for housing, or not at all: the same refusal as for no one.
	_, refusal := housing.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{
		Name: sharedName("framework-housing", "youngPeople/0195d2c4-6b1e-7c3a-9f00-1234567890ab") + "/housingReadiness"})
	wantGRPCError(t, refusal, codes.PermissionDenied, "ACCESS_DENIED")
	_, err = housing.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: sharedName("framework-housing", gappy.GetName()) + "/housingReadiness"})
	if !proto.Equal(statusProto(err), statusProto(refusal)) {
		t.Errorf("a young person not shared for housing: %v, want %v", err, refusal)
	}
	_, err = employment.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: sharedName("notts-futures", ready.GetName()) + "/housingReadiness"})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
	_, err = housing.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: sharedName("notts-futures", ready.GetName()) + "/housingReadiness"})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

	// Employment readiness of the young person with gaps: red, with what is missing.
	e, err := employment.GetEmploymentReadiness(ctx, &pb.GetEmploymentReadinessRequest{Name: sharedName("notts-futures", gappy.GetName()) + "/employmentReadiness"})
	if err != nil || e.GetRating() != pb.Rating_RATING_RED || factorStatus(e, "bank_account").GetStatus() != pb.CheckStatus_CHECK_STATUS_FAIL ||
		!factorStatus(e, "bank_account").GetOverdue() {
		t.Fatalf("employment readiness with gaps: %v %v", e, err)
	}

	// The housing partner records tenancy training; it shows at once, with its provenance.
	factName := sharedName("framework-housing", ready.GetName()) + "/facts/" + readiness.FactTenancyTraining
	rec := hana.do(t, "POST", "/v1/"+factName+":record", `{"value": true, "evidenceType": "EVIDENCE_TYPE_CONFIRMED_BY_AGENCY"}`)
	if rec.code != 200 || !strings.Contains(string(rec.body), `"organisation":"organisations/framework-housing"`) {
		t.Fatalf("record tenancy training: HTTP %d %s", rec.code, rec.body)
	}
	r, err = housing.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: name})
	if f := factorStatus(r, "tenancy_training"); err != nil || len(f.GetProvenance()) != 1 ||
		f.GetProvenance()[0].GetOrganisation() != "organisations/framework-housing" ||
		f.GetProvenance()[0].GetEvidenceType() != pb.EvidenceType_EVIDENCE_TYPE_CONFIRMED_BY_AGENCY {
		t.Errorf("tenancy training after the partner recorded it: %v %v", f, err)
	}
	var facts pb.ListFactsResponse
	if r := s.do(t, "GET", "/v1/"+ready.GetName()+"/facts", ""); r.code != 200 || unmarshalJSON(r.body, &facts) != nil {
		t.Fatalf("staff list facts: HTTP %d", r.code)
	}
	for _, f := range facts.GetFacts() {
		if strings.HasSuffix(f.GetName(), readiness.FactTenancyTraining) && (f.GetRecordedBy() != "people/hana-housing" ||
			f.GetOrganisation() != "organisations/framework-housing") {
			t.Errorf("staff see the partner's record as %v", f)
		}
	}
	// Facts of another purpose, the council's own, unknown ones, or for someone not shared.
	for fact, code := range map[string]int{
		readiness.FactRightToWork:       403,
		readiness.FactImmigrationStatus: 403,
		"made.up":                       400,
	} {
		r := hana.do(t, "POST", "/v1/"+sharedName("framework-housing", ready.GetName())+"/facts/"+fact+":record",
			`{"value": true, "evidenceType": "EVIDENCE_TYPE_OTHER"}`)
		if r.code != code {
			t.Errorf("housing partner records %s: HTTP %d %s, want %d", fact, r.code, r.body, code)
		}
	}
	if r := hana.do(t, "POST", "/v1/"+sharedName("framework-housing", gappy.GetName())+"/facts/"+readiness.FactTenancyTraining+":record",
		`{"value": true, "evidenceType": "EVIDENCE_TYPE_OTHER"}`); r.code != 403 {
		t.Errorf("recording for someone not shared: HTTP %d", r.code)
	}

	// Lists filtered by readiness, by when they turn 18 and by the planned move.
	list := func(c pb.PartnerServiceClient, req *pb.ListSharedYoungPeopleRequest) []string {
		t.Helper()
		var out []string
		for {
			resp, err := c.ListSharedYoungPeople(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range resp.GetSharedYoungPeople() {
				if v.GetReadinessRating() == pb.Rating_RATING_UNSPECIFIED {
					t.Errorf("%s has no readiness rating", v.GetName())
				}
				out = append(out, v.GetYoungPerson())
			}
			if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
				return out
			}
		}
	}
	has := func(names []string, yp *pb.YoungPerson) bool {
		return strings.Contains(strings.Join(names, " "), yp.GetName())
	}
	parent := "organisations/framework-housing"
	if got := list(housing, &pb.ListSharedYoungPeopleRequest{Parent: parent, Ratings: []pb.Rating{pb.Rating_RATING_GREEN}}); !has(got, ready) {
		t.Errorf("green: %v", got)
	}
	if got := list(housing, &pb.ListSharedYoungPeopleRequest{Parent: parent, Ratings: []pb.Rating{pb.Rating_RATING_RED}}); has(got, ready) {
		t.Errorf("red: %v", got)
	}
	days := today().DaysUntil(eighteenth)
	if got := list(housing, &pb.ListSharedYoungPeopleRequest{Parent: parent, Turning_18To: pbDate(today().AddDays(days - 1))}); has(got, ready) {
		t.Errorf("turning 18 before the day: %v", got)
	}
	if got := list(housing, &pb.ListSharedYoungPeopleRequest{Parent: parent, Turning_18From: pbDate(eighteenth), Turning_18To: pbDate(eighteenth)}); !has(got, ready) {
		t.Errorf("turning 18 on the day: %v", got)
	}
	if got := list(housing, &pb.ListSharedYoungPeopleRequest{Parent: parent, MovingBy: pbDate(eighteenth)}); !has(got, ready) {
		t.Errorf("moving by the 18th birthday: %v", got)
	}
	if got := list(housing, &pb.ListSharedYoungPeopleRequest{Parent: parent, MovingBy: pbDate(today())}); has(got, ready) {
		t.Errorf("moving by today: %v", got)
	}
	all := list(employment, &pb.ListSharedYoungPeopleRequest{Parent: "organisations/notts-futures", PageSize: 50})
	one := list(employment, &pb.ListSharedYoungPeopleRequest{Parent: "organisations/notts-futures", PageSize: 1})
	if strings.Join(all, " ") != strings.Join(one, " ") || !has(all, ready) || !has(all, gappy) {
		t.Errorf("employment partner's list: pages of 50 %v, of 1 %v", all, one)
	}
	red := list(employment, &pb.ListSharedYoungPeopleRequest{Parent: "organisations/notts-futures", PageSize: 1, Ratings: []pb.Rating{pb.Rating_RATING_RED}})
	if !has(red, gappy) || has(red, ready) {
		t.Errorf("employment partner's red list: %v", red)
	}
}

func statusProto(err error) proto.Message { return status.Convert(err).Proto() }
