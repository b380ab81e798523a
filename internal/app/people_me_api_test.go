package app_test

import (
	"net/http"
	"testing"
)

// TestPeopleMe: anyone signed in reads their own record as people/me (how the console
// learns whose pages to show), on both stores and over REST; nobody but an administrator
// reads anyone else's, and "me" cannot be taken as an id.
func TestPeopleMe(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := start(t, b.configure(t))
			for _, who := range []string{s.person, "hana-housing", "tess-manager", "aud-auditor"} {
				r := s.as(tokenFor(t, who)).do(t, "GET", "/v1/people/me", "")
				if r.code != http.StatusOK {
					t.Fatalf("%s: GET /v1/people/me: HTTP %d %s", who, r.code, r.body)
				}
				if got := r.json(t)["name"]; got != "people/"+who {
					t.Errorf("%s: people/me is %v", who, got)
				}
			}
			// Not an administrator: another person's record is refused like a missing one.
			other := s.as(tokenFor(t, "hana-housing")).do(t, "GET", "/v1/people/ada-admin", "")
			wantRESTError(t, other, http.StatusForbidden, "PERMISSION_DENIED", "ACCESS_DENIED")
			missing := s.as(tokenFor(t, "hana-housing")).do(t, "GET", "/v1/people/nobody-at-all", "")
			wantRESTError(t, missing, http.StatusForbidden, "PERMISSION_DENIED", "ACCESS_DENIED")
			// The administrator still reads the people they manage.
			if r := s.as(tokenFor(t, "ada-admin")).do(t, "GET", "/v1/people/"+s.person, ""); r.code != http.StatusOK {
				t.Errorf("administrator: HTTP %d %s", r.code, r.body)
			}
			// "me" is not an id anyone can be given.
			r := s.as(tokenFor(t, "ada-admin")).do(t, "POST", "/v1/people?personId=me",
				`{"displayName": "Me", "organisation": "organisations/nottinghamshire", "roles": ["PERSONAL_ADVISER"]}`)
			wantRESTError(t, r, http.StatusBadRequest, "INVALID_ARGUMENT", "REQUEST_INVALID", "person_id")
		})
	}
}
