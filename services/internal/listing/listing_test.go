package listing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/pagetoken"
)

var testFields = map[string]Field{
	"date_of_birth": {Type: query.Date},
	"ehc_plan":      {Type: query.Bool},
	"council": {Type: query.String, Value: func(s string) (string, bool) {
		id, ok := strings.CutPrefix(s, "organisations/")
		return id, ok
	}},
}

func TestFilter(t *testing.T) {
	dob := func(op query.Op, y, m, d int) query.Expr {
		return query.Compare{Field: "date_of_birth", Op: op, Value: civil.New(y, time.Month(m), d)}
	}
	ehcp := query.Compare{Field: "ehc_plan", Op: query.Eq, Value: true}
	for _, tc := range []struct {
		filter string
		want   query.Expr
	}{
		{``, nil},
		{`date_of_birth >= "2008-02-29"`, dob(query.Ge, 2008, 2, 29)},
		{`date_of_birth < "2010-01-01" AND ehc_plan = true`, query.And{Left: dob(query.Lt, 2010, 1, 1), Right: ehcp}},
		{`ehc_plan = false OR date_of_birth = "2009-12-31"`, query.Or{
			Left: query.Compare{Field: "ehc_plan", Op: query.Eq, Value: false}, Right: dob(query.Eq, 2009, 12, 31)}},
		{`NOT ehc_plan = true`, query.Not{X: ehcp}},
		{`ehc_plan`, ehcp},
		{`council = "organisations/notts"`, query.Compare{Field: "council", Op: query.Eq, Value: "notts"}},
		{`(ehc_plan = true) date_of_birth != "2008-01-01"`, query.And{Left: ehcp, Right: dob(query.Ne, 2008, 1, 1)}},
	} {
		got, err := Filter(tc.filter, testFields)
		if err != nil {
			t.Errorf("Filter(%q) error: %v", tc.filter, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Filter(%q) (-want +got):\n%s", tc.filter, diff)
		}
	}
}

func TestFilterRefuses(t *testing.T) {
	for _, filter := range []string{
		`name = "x"`,                   // not a filter field
		`date_of_birth > "2008-02-30"`, // not a real date
		`date_of_birth > "29/02/2008"`, // not ISO
		`ehc_plan > true`,              // booleans take = and != only
		`council < "organisations/a"`,  // strings too
		`council = "notts"`,            // not a resource name
		`date_of_birth >= `,            // syntax
		`date_of_birth:"2008"`,         // has operator
		strings.Repeat(`ehc_plan = true AND `, 20) + `ehc_plan = true`, // too many comparisons
	} {
		_, err := Filter(filter, testFields)
		if errs.ReasonOf(err) != errs.ReasonFilterInvalid {
			t.Errorf("Filter(%q) error = %v, want FILTER_INVALID", filter, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	for in, want := range map[int32]int{0: DefaultPageSize, 1: 1, 100: 100, MaxPageSize: MaxPageSize, MaxPageSize + 1: MaxPageSize, 1 << 30: MaxPageSize} {
		if got := PageSize(in); got != want {
			t.Errorf("PageSize(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestPagingThroughAWholeList(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e"}
	key := func(s string) string { return s }
	for size := 1; size <= 6; size++ {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(all) {
				t.Fatalf("size %d: paging never ends", size)
			}
			page, next := PageOf(all, after, size, key, "query")
			if len(page) > size {
				t.Fatalf("size %d: a page of %d", size, len(page))
			}
			got = append(got, page...)
			if next == "" {
				break
			}
			var err error
			if after, err = pagetoken.Decode(next, "query"); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(got, "") != "abcde" {
			t.Errorf("size %d: pages hold %v", size, got)
		}
	}
	// A full last page has no next token.
	if _, next := Next([]string{"a", "b"}, 2, key); next != "" {
		t.Errorf("Next on a page of exactly size gave token %q", next)
	}
}

func TestAfterIDRefusesCraftedCursors(t *testing.T) {
	id := "0195d2c4-6b1e-7c3a-9f00-1234567890ab"
	if after, err := AfterID(pagetoken.Encode(id, "q"), "q"); err != nil || after != id {
		t.Fatalf("AfterID(a real cursor) = %q, %v", after, err)
	}
	for _, bad := range []string{"zzz", strings.ToUpper(id), id + "x", "' OR 1=1 --"} {
		if _, err := AfterID(pagetoken.Encode(bad, "q"), "q"); errs.ReasonOf(err) != errs.ReasonPageTokenInvalid {
			t.Errorf("AfterID(%q) = %v, want PAGE_TOKEN_INVALID", bad, err)
		}
	}
}

// description returns the one field violation of a FILTER_INVALID error.
func description(t *testing.T, filter string, err error) string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Reason != errs.ReasonFilterInvalid || len(e.Violations) != 1 || e.Violations[0].Field != "filter" {
		t.Fatalf("Filter(%q) error = %v, want FILTER_INVALID on the field filter", filter, err)
	}
	return e.Violations[0].Description
}

// A filter may carry personal data: an invalid one is described by where and what, in the
// filter language, and no part of it comes back, not even a name written without quotes.
func TestFilterErrorsNeverRepeatTheFilter(t *testing.T) {
	fields := map[string]Field{
		"family_name":   {Type: query.String},
		"date_of_birth": {Type: query.Date},
		"ehc_plan":      {Type: query.Bool},
		"council":       {Type: query.String, Value: NameValue("organisations/")},
	}
	const name = "Zebedee"
	for filter, want := range map[string]string{
		`family_name = "Zebedee`:                          `at character 15: a quoted value is not closed`,
		`family_name = "Zebedee" AND`:                     `at character 24: the filter does not continue as expected`,
		`family_name = "Zebedee" OR`:                      `at character 25: unexpected OR`,
		`family_name = "Zebedee" )`:                       `at character 25: unexpected ")"`,
		`family_name == "Zebedee"`:                        `at character 14: unexpected "="`,
		`family_name = "Zeb\edee"`:                        `at character 15: a quoted value holds an escape sequence that is not valid`,
		`family_name = Zebedee`:                           `at character 15: family_name must be compared with a value in double quotes`,
		`Zebedee = "x" AND ehc_plan`:                      `at character 1: not a field you can filter on; the fields are council, date_of_birth, ehc_plan, family_name`,
		`Zebedee = "x"`:                                   `at character 1: not a field you can filter on`,
		`family_name : "Zebedee"`:                         `at character 1: the ":" (has) operator is not supported`,
		`family_name = 42`:                                `at character 15: family_name must be compared with a value in double quotes`,
		`family_name < "Zebedee"`:                         `at character 15: family_name can only be compared with = and !=`,
		`family_name = "Zebedee" AND date_of_birth`:       `at character 29: date_of_birth on its own is not a condition`,
		`family_name = "x" AND date_of_birth = "Zebedee"`: `at character 39: date_of_birth must be compared with a date written as "YYYY-MM-DD"`,
		`family_name = "x" ehc_plan = "Zebedee"`:          `at character 30: ehc_plan must be compared with true or false`,
		`council = "Zebedee"`:                             `at character 11: council is not compared with a valid value`,
		`Zebedee.family_name = "x"`:                       `fields have no parts to select with "."`,
		`Zebedee("x")`:                                    `at character 1: functions are not supported`,
		`"Zebedee"`:                                       `at character 1: a value on its own is not a condition`,
		`  "Zebedee" = family_name`:                       `at character 3: a comparison needs a field on the left`,
		`NOT "Zebedee"`:                                   `a value on its own is not a condition`,
	} {
		_, err := Filter(filter, fields)
		d := description(t, filter, err)
		if !strings.HasPrefix(d, want) && !strings.Contains(d, want) {
			t.Errorf("Filter(%q) = %q, want %q", filter, d, want)
		}
		all := err.Error() + " " + d
		for _, leak := range []string{name, "Zeb", "edee", "^", "expr", "overload", "primitive", "undeclared", "identifier", "token"} {
			if strings.Contains(all, leak) {
				t.Errorf("Filter(%q) error %q contains %q", filter, all, leak)
			}
		}
	}
}
