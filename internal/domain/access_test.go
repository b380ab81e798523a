package domain

import "testing"

func TestRolesProblem(t *testing.T) {
	for _, tc := range []struct {
		org   OrganisationType
		roles []Role
		ok    bool
	}{
		{Council, []Role{PersonalAdviser}, true},
		{Council, []Role{PersonalAdviser, TeamManager}, true},
		{Council, []Role{Administrator}, true},
		{Council, []Role{Auditor}, true},
		{Housing, []Role{PartnerOfficer}, true},
		{Housing, []Role{PartnerAdministrator}, true},
		{Council, nil, false},
		{Council, []Role{PartnerOfficer}, false},
		{Council, []Role{PartnerAdministrator}, false},
		{Housing, []Role{Administrator}, false},
		{Housing, []Role{PersonalAdviser}, false},
		{Council, []Role{TeamManager, TeamManager}, false},
		// Separation of duties: who administers or audits sees no young people.
		{Council, []Role{Administrator, TeamManager}, false},
		{Council, []Role{PersonalAdviser, Auditor}, false},
		{Council, []Role{Administrator, Auditor}, false},
		{Housing, []Role{PartnerAdministrator, PartnerOfficer}, false},
		// A young person's own account is in a council, and theirs alone.
		{Council, []Role{YoungPersonRole}, true},
		{Housing, []Role{YoungPersonRole}, false},
		{Council, []Role{YoungPersonRole, PersonalAdviser}, false},
		{Council, []Role{TeamManager, YoungPersonRole}, false},
	} {
		if got := RolesProblem(tc.org, tc.roles); (got == "") != tc.ok {
			t.Errorf("RolesProblem(%s, %v) = %q, want ok=%v", tc.org, tc.roles, got, tc.ok)
		}
	}
}
