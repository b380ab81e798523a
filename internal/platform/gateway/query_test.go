package gateway

import "testing"

func TestSnakePaths(t *testing.T) {
	for in, want := range map[string]string{
		"endDate":                       "end_date",
		"end_date":                      "end_date",
		"preferredName,dateOfBirth":     "preferred_name,date_of_birth",
		"youngPerson.givenName,council": "young_person.given_name,council",
		"*":                             "*",
	} {
		if got := snakePaths(in); got != want {
			t.Errorf("snakePaths(%q) = %q, want %q", in, got, want)
		}
	}
}
