package app_test

import (
	"strings"
	"testing"
)

// Query parameters a method does not take are refused, naming the parameter, on methods
// whose request has no query fields too (issue 17, items 7 and 9); a date may be given whole
// in ISO form where the API takes one. The gateway does this alone, whatever the store, so
// the in-memory store suffices.
func TestQueryParameters(t *testing.T) {
	s := start(t, memoryBackend().configure(t))
	r := mustREST(t, s.do(t, "POST", "/v1/youngPeople", youngPersonJSON("QP-1")))
	yp := r.json(t)["name"].(string)

	// GetPathway takes no as_of: answering with today's pathway would let a user believe
	// they saw 2028.
	wantRESTError(t, s.do(t, "GET", "/v1/"+yp+"/pathway?as_of.year=2028", ""), 400, "INVALID_ARGUMENT",
		"REQUEST_MALFORMED", "as_of.year")
	wantRESTError(t, s.do(t, "GET", "/v1/"+yp+"/pathway?as_of.year=2028&as_of.month=6&as_of.day=1", ""), 400,
		"INVALID_ARGUMENT", "REQUEST_MALFORMED", "as_of.day")
	wantRESTError(t, s.do(t, "GET", "/v1/"+yp+"?view=FULL", ""), 400, "INVALID_ARGUMENT", "REQUEST_MALFORMED", "view")
	// A field of the request that the path or body sets is no query parameter either.
	wantRESTError(t, s.do(t, "GET", "/v1/"+yp+"?name="+yp, ""), 400, "INVALID_ARGUMENT", "REQUEST_MALFORMED", "name")
	wantRESTError(t, s.do(t, "POST", "/v1/youngPeople:batchAllocatePersonalAdviser?validateOnly=true",
		`{"youngPeople": ["`+yp+`"], "personalAdviser": "people/`+s.person+`"}`), 400, "INVALID_ARGUMENT",
		"REQUEST_MALFORMED", "validateOnly")
	mustREST(t, s.do(t, "GET", "/v1/"+yp+"/pathway", ""))

	// Where the API takes a date, it may be given whole; a malformed one is named, with the
	// forms accepted.
	status := s.do(t, "GET", "/v1/"+yp+"/careLeaverStatus?as_of=2029-08-01", "")
	if got := mustREST(t, status).json(t)["asOf"]; got == nil || got.(map[string]any)["year"] != float64(2029) {
		t.Errorf("as_of=2029-08-01 answered as of %v", got)
	}
	bad := s.do(t, "GET", "/v1/"+yp+"/careLeaverStatus?as_of=1%20August%202029", "")
	wantRESTError(t, bad, 400, "INVALID_ARGUMENT", "REQUEST_MALFORMED", "as_of")
	if body := string(bad.body); !containsAll(body, "YYYY-MM-DD", "as_of.year") || containsAll(body, "August") {
		t.Errorf("the refusal should give the accepted forms and not echo the value: %s", body)
	}
	wantRESTError(t, s.do(t, "GET", "/v1/"+yp+"/careLeaverStatus?as_of.year=soon", ""), 400, "INVALID_ARGUMENT",
		"REQUEST_MALFORMED", "as_of")
	wantRESTError(t, s.do(t, "GET", "/v1/youngPeople?pageSize=many", ""), 400, "INVALID_ARGUMENT",
		"REQUEST_MALFORMED", "pageSize")
	// The parts still work, by proto or JSON names.
	mustREST(t, s.do(t, "GET", "/v1/"+yp+"/careLeaverStatus?asOf.year=2029&asOf.month=8&asOf.day=1", ""))
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
