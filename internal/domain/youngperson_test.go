package domain

import (
	"testing"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
)

func TestValidateYoungPerson(t *testing.T) {
	today := civil.New(2026, 11, 22)
	ok := YoungPerson{GivenName: "A", FamilyName: "B", CouncilID: "c", CaseReference: "R1", DateOfBirth: civil.New(2010, 1, 1)}
	if err := ok.Validate(today); err != nil {
		t.Fatalf("valid young person refused: %v", err)
	}
	born := func(d civil.Date) YoungPerson { yp := ok; yp.DateOfBirth = d; return yp }
	for name, tc := range map[string]struct {
		yp    YoungPerson
		field string
	}{
		"no given name":    {YoungPerson{FamilyName: "B", CouncilID: "c", CaseReference: "R", DateOfBirth: ok.DateOfBirth}, "given_name"},
		"no date of birth": {born(civil.Date{}), "date_of_birth"},
		"30 February":      {born(civil.New(2010, 2, 30)), "date_of_birth"},
		"born tomorrow":    {born(today.AddDays(1)), "date_of_birth"},
	} {
		var e *errs.Error
		err := tc.yp.Validate(today)
		if !asError(err, &e) || len(e.Violations) == 0 || e.Violations[0].Field != tc.field {
			t.Errorf("%s: Validate = %v, want a violation on %s", name, err, tc.field)
		}
	}
	if born(today).Validate(today) != nil {
		t.Error("born today must be accepted")
	}
}

func asError(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}
