package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/ssda903return"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// returnFiles is a generated return of n children, bad of them with a bad row, as the
// JSON of ImportSsda903Return's files, and the children with a bad row.
func returnFiles(t *testing.T, n, bad int) (string, map[string]string) {
	t.Helper()
	today := civil.Today(testclock.Now())
	year := ssda903return.CollectionYear{Ending: today.Year}
	if !year.Last().Before(today) {
		year.Ending--
	}
	g := ssda903return.Generate(n, 11, bad, year)
	var files []map[string]string
	for _, table := range []ssda903.Table{ssda903.Header, ssda903.Episodes, ssda903.UASC} {
		var b bytes.Buffer
		if err := ssda903return.Write(&b, table, g.Tables[table]); err != nil {
			t.Fatal(err)
		}
		files = append(files, map[string]string{"name": ssda903return.FileNames[table],
			"content": base64.StdEncoding.EncodeToString(b.Bytes())})
	}
	out, _ := json.Marshal(files)
	return string(out), g.Bad
}

// importOperation is the JSON of a google.longrunning.Operation of an import.
type importOperation struct {
	Name     string `json:"name"`
	Done     bool   `json:"done"`
	Metadata struct {
		Stage         string `json:"stage"`
		ChildrenDone  int    `json:"childrenDone"`
		ChildrenTotal int    `json:"childrenTotal"`
		Requester     string `json:"requester"`
	} `json:"metadata"`
	Response *struct {
		Type         string `json:"@type"`
		Created      int    `json:"created"`
		Updated      int    `json:"updated"`
		Unchanged    int    `json:"unchanged"`
		Rejected     int    `json:"rejected"`
		ProblemCount int    `json:"problemCount"`
		Problems     []struct {
			File, Column, Value, Rule, Reason, Child string
			Line                                     int
		} `json:"problems"`
	} `json:"response"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeOperation(t *testing.T, r restResponse) importOperation {
	t.Helper()
	if r.code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", r.code, r.body)
	}
	var op importOperation
	if err := json.Unmarshal(r.body, &op); err != nil {
		t.Fatalf("not an operation: %v\n%s", err, r.body)
	}
	return op
}

// awaitOperation polls an operation over REST until it is done.
func awaitOperation(t *testing.T, s *server, name string) importOperation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // elapsed time, not a date
	defer cancel()
	for {
		op := decodeOperation(t, s.do(t, "GET", "/v1/"+name, ""))
		if op.Done {
			return op
		}
		select {
		case <-ctx.Done():
			t.Fatalf("operation %s not done after two minutes: %+v", name, op.Metadata)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestImportReturnOverTheAPI uploads a generated return of 200 children, 6 with a bad row,
// as the council's administrator over REST; polls the operation until it is done; finds
// the summary, every bad row, the young people and an audit record for each; retries with
// the same request id (the same operation); uploads again (everyone unchanged); and is
// refused to another council's administrator and to other roles.
func TestImportReturnOverTheAPI(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := startWithoutPerson(t, b.configure(t))
			admin := s.as(tokenFor(t, "ada-admin"))
			files, bad := returnFiles(t, 200, 6)
			requestID := uuid.NewString()
			body := fmt.Sprintf(`{"files": %s, "requestId": %q}`, files, requestID)
			started := decodeOperation(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/ssda903Returns:import", body))
			if !strings.HasPrefix(started.Name, "organisations/nottinghamshire/operations/") ||
				started.Metadata.Requester != "people/ada-admin" {
				t.Fatalf("started operation: %+v", started)
			}
			done := awaitOperation(t, admin, started.Name)
			r := done.Response
			if done.Error != nil || r == nil || r.Type != "type.googleapis.com/carepath.v1.ImportSsda903ReturnResponse" {
				t.Fatalf("finished operation: %+v, error %+v", done, done.Error)
			}
			if r.Created != 200-len(bad) || r.Updated+r.Unchanged != 0 || r.Rejected != len(bad) ||
				r.ProblemCount != len(r.Problems) || len(r.Problems) < len(bad) {
				t.Fatalf("summary: %+v", r)
			}
			if done.Metadata.Stage != "FINISHED" || done.Metadata.ChildrenDone != 200-len(bad) {
				t.Fatalf("metadata of a finished import: %+v", done.Metadata)
			}
			for _, p := range r.Problems {
				if _, isBad := bad[p.Child]; !isBad || p.File == "" || p.Line < 2 || p.Reason == "" {
					t.Fatalf("problem row %+v is not one of the bad children's with its place and reason", p)
				}
			}

			// The same request again is the same operation; no second import.
			again := decodeOperation(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/ssda903Returns:import", body))
			if again.Name != started.Name {
				t.Fatalf("a retry with the request id started %s, not %s", again.Name, started.Name)
			}

			// The young people are there, unallocated, for the council's managers.
			manager := s.as(s.manager(t))
			list := mustREST(t, manager.do(t, "GET", "/v1/youngPeople?pageSize=500", "")).json(t)
			imported := 0
			for _, yp := range list["youngPeople"].([]any) {
				if ref := yp.(map[string]any)["caseReference"].(string); ref != "" {
					if _, isBad := bad[ref]; !isBad && strings.HasPrefix(yp.(map[string]any)["givenName"].(string), "Child") {
						imported++
					}
				}
			}
			if imported != 200-len(bad) {
				t.Fatalf("%d young people imported are listed, want %d", imported, 200-len(bad))
			}

			// Each one created is in the audit trail as the administrator's.
			records := auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "people/ada-admin"})
			writes := 0
			for _, rec := range records {
				if rec.GetAction() == "carepath.v1.Ssda903Service/ImportSsda903Return" && len(rec.GetYoungPeople()) == 1 {
					writes++
				}
			}
			if writes != 200-len(bad) {
				t.Fatalf("%d audit records of young people imported, want %d", writes, 200-len(bad))
			}

			// A second upload changes nothing.
			second := decodeOperation(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/ssda903Returns:import",
				fmt.Sprintf(`{"files": %s}`, files)))
			if r := awaitOperation(t, admin, second.Name).Response; r == nil || r.Unchanged != 200-len(bad) ||
				r.Created+r.Updated != 0 || r.Rejected != len(bad) {
				t.Fatalf("second import: %+v", r)
			}
			ops := mustREST(t, admin.do(t, "GET", "/v1/organisations/nottinghamshire/operations?pageSize=1", "")).json(t)
			if got := ops["operations"].([]any); len(got) != 1 || got[0].(map[string]any)["name"] != second.Name ||
				ops["nextPageToken"] == "" {
				t.Fatalf("the newest operation first, a page at a time: %v", ops)
			}

			// Another council's administrator, and other roles, are refused.
			dara := s.as(tokenFor(t, "dara-admin"))
			wantRESTError(t, dara.do(t, "POST", "/v1/organisations/nottinghamshire/ssda903Returns:import", body),
				http.StatusForbidden, "PERMISSION_DENIED", "ACCESS_DENIED")
			wantRESTError(t, dara.do(t, "GET", "/v1/"+started.Name, ""), http.StatusForbidden, "PERMISSION_DENIED", "ACCESS_DENIED")
			wantRESTError(t, dara.do(t, "GET", "/v1/organisations/nottinghamshire/operations", ""),
				http.StatusForbidden, "PERMISSION_DENIED", "ACCESS_DENIED")
			for _, who := range []string{"sam-okoro", "tess-manager", "hana-housing", "aud-auditor"} {
				if r := s.as(tokenFor(t, who)).do(t, "GET", "/v1/"+started.Name, ""); r.code != http.StatusForbidden {
					t.Errorf("%s read the operation: HTTP %d", who, r.code)
				}
			}
			if r := admin.do(t, "GET", "/v1/organisations/nottinghamshire/operations/"+uuid.NewString(), ""); r.code != http.StatusNotFound {
				t.Errorf("an operation that does not exist: HTTP %d %s", r.code, r.body)
			}
		})
	}
}

// TestImportTooLarge refuses an upload above --import-max-bytes over REST (413) and gRPC
// (RESOURCE_EXHAUSTED), starting nothing, while other routes keep their own 1 MiB cap.
func TestImportTooLarge(t *testing.T) {
	cfg := testConfig()
	cfg.ImportMaxBytes = 64 << 10
	s := startWithoutPerson(t, cfg)
	admin := s.as(tokenFor(t, "ada-admin"))
	header := "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
	upload := func(size int) string {
		content := header + strings.Repeat("A1,1,01/01/2010,WBRI,,,\n", size/24)
		return fmt.Sprintf(`{"files": [{"name": "header.csv", "content": %q}]}`, base64.StdEncoding.EncodeToString([]byte(content)))
	}
	const path = "/v1/organisations/nottinghamshire/ssda903Returns:import"
	// Within the route's body cap, over the CSV limit: the service refuses it.
	wantRESTError(t, admin.do(t, "POST", path, upload(100<<10)), http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED", "REQUEST_TOO_LARGE")
	// Over the route's body cap: the gateway refuses it before reading it all.
	wantRESTError(t, admin.do(t, "POST", path, upload(300<<10)), http.StatusRequestEntityTooLarge, "INVALID_ARGUMENT", "REQUEST_TOO_LARGE")
	client := pb.NewSsda903ServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
	big := []byte(header + strings.Repeat("A1,1,01/01/2010,WBRI,,,\n", (100<<10)/24))
	_, err := client.ImportSsda903Return(context.Background(), &pb.ImportSsda903ReturnRequest{Parent: "organisations/nottinghamshire",
		Files: []*pb.Ssda903File{{Name: "header.csv", Content: big}}})
	wantGRPCError(t, err, codes.ResourceExhausted, "REQUEST_TOO_LARGE")
	bigger := bytes.Repeat(big, 2) // over the method's gRPC limit too
	_, err = client.ImportSsda903Return(context.Background(), &pb.ImportSsda903ReturnRequest{Parent: "organisations/nottinghamshire",
		Files: []*pb.Ssda903File{{Name: "header.csv", Content: bigger}}})
	wantGRPCError(t, err, codes.ResourceExhausted, "REQUEST_TOO_LARGE")
	if ops, _ := mustREST(t, admin.do(t, "GET", "/v1/organisations/nottinghamshire/operations", "")).json(t)["operations"].([]any); len(ops) != 0 {
		t.Fatalf("a refused upload started an operation: %v", ops)
	}
	// Another method keeps the 1 MiB limit, however large the import's (64 MiB by default).
	wide := startWithoutPerson(t, testConfig())
	_, err = pb.NewYoungPeopleServiceClient(wide.dial(t, tokenFor(t, "sam-okoro"))).CreateYoungPerson(context.Background(),
		&pb.CreateYoungPersonRequest{YoungPerson: &pb.YoungPerson{GivenName: strings.Repeat("x", 2<<20)}})
	wantGRPCError(t, err, codes.ResourceExhausted, "REQUEST_TOO_LARGE")
	// A file that is no table of a return is refused at once.
	wantRESTError(t, admin.do(t, "POST", path, `{"files": [{"name": "notes.csv", "content": "bm90ZXMK"}]}`),
		http.StatusBadRequest, "INVALID_ARGUMENT", "REQUEST_INVALID", "files[0].content", "files")
}
