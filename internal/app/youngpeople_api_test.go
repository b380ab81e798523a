package app_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Fixture names and dates of birth: TestLogsHaveNoPersonalData looks for them in the logs.
const (
	fixtureGiven  = "Zebedee"
	fixtureFamily = "Quarrington"
)

// The fixture young person is 17 and 230 days old on the suite's today: a child, old enough
// for every plan and share, whatever day the suite runs as of.
var (
	fixtureBirth = civil.Today(testclock.Now()).AddDays(-230).Sub(civil.Period{Years: 17}, civil.MarchFirst)
	fixtureDOB   = fmt.Sprintf(`{"year": %d, "month": %d, "day": %d}`, fixtureBirth.Year, fixtureBirth.Month, fixtureBirth.Day)
)

func youngPersonJSON(caseRef string) string {
	return fmt.Sprintf(`{"givenName": %q, "familyName": %q, "dateOfBirth": %s,
		"council": "organisations/nottinghamshire", "caseReference": %q}`, fixtureGiven, fixtureFamily, fixtureDOB, caseRef)
}

func newYoungPerson(caseRef string) *pb.YoungPerson {
	return &pb.YoungPerson{
		GivenName: fixtureGiven, FamilyName: fixtureFamily,
		DateOfBirth: pbDate(fixtureBirth),
		Council:     "organisations/nottinghamshire", CaseReference: caseRef,
	}
}

// count returns how many young people the server holds, paging through them all.
func count(t *testing.T, s *server) int {
	t.Helper()
	n, token := 0, ""
	for {
		resp, err := s.yp.ListYoungPeople(context.Background(), &pb.ListYoungPeopleRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(resp.GetYoungPeople())
		if token = resp.GetNextPageToken(); token == "" {
			return n
		}
	}
}

func TestYoungPeopleAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			t.Run("LifecycleAcrossProtocols", func(t *testing.T) { testLifecycle(t, s) })
			t.Run("BadInputStoresNothing", func(t *testing.T) { testBadInput(t, s) })
			t.Run("StaleEtag", func(t *testing.T) { testStaleEtag(t, s) })
			t.Run("IdempotentCreate", func(t *testing.T) { testIdempotentCreate(t, s) })
			t.Run("Filter", func(t *testing.T) { testFilter(t, s) })
		})
	}
}

func testLifecycle(t *testing.T, s *server) {
	ctx := context.Background()
	// Create over REST, read over gRPC.
	r := s.do(t, "POST", "/v1/youngPeople", youngPersonJSON("LIFE-1"))
	if r.code != 200 {
		t.Fatalf("create: HTTP %d %s", r.code, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
	}
	// A large answer has a length, not chunks: a client sees how much is coming, and it goes
	// out in fewer writes. (net/http gives small answers a length of its own accord.)
	if page := s.do(t, "GET", "/v1/milestoneDefinitions?page_size=500", ""); len(page.body) < 16<<10 ||
		page.header.Get("Content-Length") != strconv.Itoa(len(page.body)) {
		t.Errorf("Content-Length = %q for an answer of %d bytes", page.header.Get("Content-Length"), len(page.body))
	}
	created := r.json(t)
	name := created["name"].(string)
	if !strings.HasPrefix(name, "youngPeople/") || created["etag"] != "1" || created["caseReference"] != "LIFE-1" {
		t.Fatalf("create returned %v", created)
	}
	got, err := s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetGivenName() != fixtureGiven || fromPB(got.GetDateOfBirth()) != fixtureBirth || got.GetCouncil() != "organisations/nottinghamshire" {
		t.Fatalf("gRPC get returned %v", got)
	}

	// Update over gRPC with the etag and a mask; read the change over REST.
	upd := &pb.YoungPerson{Name: name, PreferredName: "Zeb", EhcPlan: true, Etag: got.GetEtag(), GivenName: "ignored"}
	updated, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"preferred_name", "ehc_plan"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.GetEtag() != "2" || updated.GetGivenName() != fixtureGiven || !updated.GetEhcPlan() {
		t.Fatalf("update returned %v; want etag 2, given name unchanged (not in mask), ehc_plan set", updated)
	}
	rest := s.do(t, "GET", "/v1/"+name, "").json(t)
	if rest["preferredName"] != "Zeb" || rest["ehcPlan"] != true || rest["etag"] != "2" {
		t.Fatalf("REST get after update: %v", rest)
	}

	// PATCH over REST without a mask changes only the fields in the body.
	r = s.do(t, "PATCH", "/v1/"+name, `{"familyName": "Quill", "etag": "2"}`)
	if r.code != 200 {
		t.Fatalf("patch: HTTP %d %s", r.code, r.body)
	}
	if p := r.json(t); p["familyName"] != "Quill" || p["preferredName"] != "Zeb" || p["etag"] != "3" {
		t.Fatalf("patch returned %v", p)
	}

	// The council cannot move; the stored record is untouched.
	r = s.do(t, "PATCH", "/v1/"+name+"?updateMask=council", `{"council": "organisations/elsewhere"}`)
	wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "young_person.council")

	// Deleting is for managers; afterwards both protocols give the answer they give for a
	// young person one may not see.
	wantRESTError(t, s.do(t, "DELETE", "/v1/"+name+"?etag=3", ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	if r := s.as(s.manager(t)).do(t, "DELETE", "/v1/"+name+"?etag=3", ""); r.code != 200 {
		t.Fatalf("delete: HTTP %d %s", r.code, r.body)
	}
	wantRESTError(t, s.do(t, "GET", "/v1/"+name, ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
	_, err = s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: name})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
}

func testBadInput(t *testing.T, s *server) {
	ctx := context.Background()
	before := count(t, s)
	body := func(replace, with string) string { return strings.Replace(youngPersonJSON("BAD-1"), replace, with, 1) }
	for _, tc := range []struct {
		name, body, reason string
		fields             []string
	}{
		{"missing given name", body(`"givenName": "`+fixtureGiven+`",`, ""), "REQUEST_INVALID", []string{"young_person.given_name"}},
		{"blank family name", body(`"familyName": "`+fixtureFamily+`"`, `"familyName": "   "`), "REQUEST_INVALID", []string{"young_person.family_name"}},
		{"30 February", body(fixtureDOB, `{"year": 2010, "month": 2, "day": 30}`), "REQUEST_INVALID", []string{"young_person.date_of_birth"}},
		{"month 13", body(fixtureDOB, `{"year": 2010, "month": 13, "day": 1}`), "REQUEST_INVALID", []string{"young_person.date_of_birth"}},
		{"born in the future", body(fixtureDOB, fmt.Sprintf(`{"year": %d, "month": 1, "day": 1}`, testclock.Now().Year()+1)), "REQUEST_INVALID", []string{"young_person.date_of_birth"}},
		{"no date of birth", body(`"dateOfBirth": `+fixtureDOB+`,`, ""), "REQUEST_INVALID", []string{"young_person.date_of_birth"}},
		{"bad council", body("organisations/nottinghamshire", "Nottinghamshire"), "REQUEST_INVALID", []string{"young_person.council"}},
		{"unknown field", body(`"caseReference"`, `"favouriteColour": "blue", "caseReference"`), "REQUEST_MALFORMED", []string{"favouriteColour"}},
		{"not JSON", `{"givenName": `, "REQUEST_MALFORMED", nil},
		{"wrong type", body(`"givenName": "`+fixtureGiven+`"`, `"givenName": 7`), "REQUEST_MALFORMED", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRESTError(t, s.do(t, "POST", "/v1/youngPeople", tc.body), 400, "INVALID_ARGUMENT", tc.reason, tc.fields...)
		})
	}

	t.Run("gRPC missing name and impossible date", func(t *testing.T) {
		yp := newYoungPerson("BAD-2")
		yp.GivenName = ""
		yp.DateOfBirth = &date.Date{Year: 2011, Month: 2, Day: 29}
		_, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: yp})
		wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "young_person.given_name", "young_person.date_of_birth")
	})
	t.Run("page_size=-1", func(t *testing.T) {
		wantRESTError(t, s.do(t, "GET", "/v1/youngPeople?page_size=-1", ""), 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "page_size")
		_, err := s.yp.ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{PageSize: -1})
		wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "page_size")
	})
	t.Run("unknown query parameter", func(t *testing.T) {
		wantRESTError(t, s.do(t, "GET", "/v1/youngPeople?pagesize=5", ""), 400, "INVALID_ARGUMENT", "REQUEST_MALFORMED", "pagesize")
	})
	t.Run("malformed name", func(t *testing.T) {
		wantRESTError(t, s.do(t, "GET", "/v1/youngPeople/not-a-uuid", ""), 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "name")
	})
	t.Run("body too large", func(t *testing.T) {
		huge := `{"givenName": "` + strings.Repeat("x", int(s.config.MaxBodyBytes)) + `"}`
		wantRESTError(t, s.do(t, "POST", "/v1/youngPeople", huge), 413, "INVALID_ARGUMENT", "REQUEST_TOO_LARGE")
	})
	t.Run("unknown route", func(t *testing.T) {
		wantRESTError(t, s.do(t, "GET", "/v1/nothingHere", ""), 404, "NOT_FOUND", "ROUTE_NOT_FOUND")
		wantRESTError(t, s.do(t, "PUT", "/v1/youngPeople", "{}"), 405, "UNIMPLEMENTED", "METHOD_NOT_SUPPORTED")
	})
	if after := count(t, s); after != before {
		t.Fatalf("refused requests changed the store: %d young people before, %d after", before, after)
	}
}

func testStaleEtag(t *testing.T, s *server) {
	ctx := context.Background()
	yp, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("ETAG-1")})
	if err != nil {
		t.Fatal(err)
	}
	// Someone else changes the record first.
	if _, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: &pb.YoungPerson{Name: yp.GetName(), PreferredName: "First"},
	}); err != nil {
		t.Fatal(err)
	}
	r := s.do(t, "PATCH", "/v1/"+yp.GetName(), `{"preferredName": "Second", "etag": "1"}`)
	wantRESTError(t, r, 409, "ABORTED", "ETAG_MISMATCH")
	_, err = s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
		YoungPerson: &pb.YoungPerson{Name: yp.GetName(), PreferredName: "Second", Etag: "1"},
	})
	wantGRPCError(t, err, codes.Aborted, "ETAG_MISMATCH")
	wantRESTError(t, s.as(s.manager(t)).do(t, "DELETE", "/v1/"+yp.GetName()+"?etag=1", ""), 409, "ABORTED", "ETAG_MISMATCH")
	got, _ := s.yp.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: yp.GetName()})
	if got.GetPreferredName() != "First" || got.GetEtag() != "2" {
		t.Fatalf("after refused updates the record is %v; want the first change only", got)
	}
}

func testIdempotentCreate(t *testing.T, s *server) {
	ctx := context.Background()
	before := count(t, s)
	const requestID = "9a3f1c2e-4b5d-4e6f-8a7b-1c2d3e4f5a6b"
	path := "/v1/youngPeople?requestId=" + requestID
	first := s.do(t, "POST", path, youngPersonJSON("IDEM-1"))
	second := s.do(t, "POST", path, youngPersonJSON("IDEM-1"))
	if first.code != 200 || second.code != 200 {
		t.Fatalf("creates: HTTP %d, %d", first.code, second.code)
	}
	if a, b := first.json(t)["name"], second.json(t)["name"]; a != b {
		t.Fatalf("retried create made %v and %v; want the same young person", a, b)
	}
	// The same id over gRPC is the same request.
	again, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("IDEM-1"), RequestId: requestID})
	if err != nil || again.GetName() != first.json(t)["name"] {
		t.Fatalf("gRPC retry: %v, %v", again, err)
	}
	// Reusing the id for another young person is refused.
	r := s.do(t, "POST", path, youngPersonJSON("IDEM-2"))
	wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_ID_REUSED", "request_id")
	// Concurrent retries create one.
	const concurrentID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
	var wg sync.WaitGroup
	names := make([]string, 10)
	for i := range names {
		wg.Go(func() {
			yp, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson("IDEM-3"), RequestId: concurrentID})
			if err != nil {
				t.Errorf("concurrent create: %v", err)
				return
			}
			names[i] = yp.GetName()
		})
	}
	wg.Wait()
	for _, n := range names[1:] {
		if n != names[0] {
			t.Fatalf("concurrent retries returned different young people: %v", names)
		}
	}
	if after := count(t, s); after != before+2 {
		t.Fatalf("store holds %d new young people, want 2", after-before)
	}
	wantRESTError(t, s.do(t, "POST", "/v1/youngPeople?requestId=not-a-uuid", youngPersonJSON("IDEM-4")),
		400, "INVALID_ARGUMENT", "REQUEST_INVALID", "request_id")
}

func testFilter(t *testing.T, s *server) {
	ctx := context.Background()
	mk := func(ref string, y, m, d int32, uasc bool) {
		yp := newYoungPerson(ref)
		yp.DateOfBirth, yp.UnaccompaniedAsylumSeekingChild = &date.Date{Year: y, Month: m, Day: d}, uasc
		if _, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: yp}); err != nil {
			t.Fatal(err)
		}
	}
	mk("FILT-1", 2008, 2, 29, true)
	mk("FILT-2", 2008, 3, 1, false)
	mk("FILT-3", 2008, 3, 2, true)
	filter := url.QueryEscape(`date_of_birth >= "2008-02-29" AND date_of_birth <= "2008-03-02" AND unaccompanied_asylum_seeking_child = true`)
	r := s.do(t, "GET", "/v1/youngPeople?filter="+filter, "")
	if r.code != 200 {
		t.Fatalf("HTTP %d %s", r.code, r.body)
	}
	var refs []string
	for _, yp := range r.json(t)["youngPeople"].([]any) {
		refs = append(refs, yp.(map[string]any)["caseReference"].(string))
	}
	if !sameSet(refs, []string{"FILT-1", "FILT-3"}) {
		t.Fatalf("filter matched %v, want FILT-1 and FILT-3", refs)
	}
	wantRESTError(t, s.do(t, "GET", "/v1/youngPeople?filter="+url.QueryEscape(`given_name = "x"`), ""),
		400, "INVALID_ARGUMENT", "FILTER_INVALID", "filter")
}

func TestPagingReturnsEachOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx := context.Background()
			for i := range 250 {
				if _, err := s.yp.CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: newYoungPerson(fmt.Sprintf("PAGE-%03d", i))}); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[string]int{}
			token, pages := "", 0
			for {
				r := s.do(t, "GET", "/v1/youngPeople?page_size=100&page_token="+url.QueryEscape(token), "")
				if r.code != 200 {
					t.Fatalf("page %d: HTTP %d %s", pages, r.code, r.body)
				}
				body := r.json(t)
				pages++
				for _, yp := range body["youngPeople"].([]any) {
					seen[yp.(map[string]any)["name"].(string)]++
				}
				token, _ = body["nextPageToken"].(string)
				if token == "" {
					break
				}
				// A token is tied to its query.
				if pages == 1 {
					wantRESTError(t, s.do(t, "GET", "/v1/youngPeople?page_size=100&filter=ehc_plan&page_token="+url.QueryEscape(token), ""),
						400, "INVALID_ARGUMENT", "PAGE_TOKEN_INVALID", "page_token")
					wantRESTError(t, s.do(t, "GET", "/v1/youngPeople?page_token=AAAA"+url.QueryEscape(token), ""),
						400, "INVALID_ARGUMENT", "PAGE_TOKEN_INVALID", "page_token")
				}
			}
			if pages != 3 || len(seen) != 250 {
				t.Fatalf("%d pages with %d distinct young people; want 3 pages and 250", pages, len(seen))
			}
			for name, n := range seen {
				if n != 1 {
					t.Fatalf("%s returned %d times", name, n)
				}
			}
		})
	}
}
