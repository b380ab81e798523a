package console_test

import (
	"testing"

	bt "github.com/carepath/carepath/internal/browsertest"
)

// TestConsoleRoles signs in as each demo role: each sees its own pages, passing the
// accessibility check, and gets "Page not found" for what its role may not see, exactly
// as for a page that does not exist.
func TestConsoleRoles(t *testing.T) {
	s := demoSite(t)
	amani, maya := s.youngPerson(t, "Amani"), s.youngPerson(t, "Maya")
	type visit struct {
		path, heading string // heading "" means "Page not found"
	}
	for _, tc := range []struct {
		subject string
		nav     []string
		visits  []visit
	}{
		{"tess-manager", []string{"Cliff edge"}, []visit{
			{"/app/cliff-edge", "Cliff edge"},
			{"/app/cliff-edge?population=adults&rating=red", "Cliff edge"},
			{"/app/young-people/" + amani, "Amani Tesfaye"},
		}},
		{"sam-okoro", []string{"My caseload", "My reminders", "Cliff edge"}, []visit{
			{"/app/young-people/" + amani, "Amani Tesfaye"},
			{"/app/young-people/" + maya, "Maya Thornton"},
		}},
		{"lee-hart", []string{"My caseload", "My reminders", "Cliff edge"}, []visit{
			{"/app/young-people/" + amani, ""}, // another team's young person
		}},
		{"hana-housing", []string{"Shared with us"}, []visit{
			{"/app/cliff-edge", ""},
			{"/app/young-people/" + maya, ""},
		}},
		{"ada-admin", []string{"Administration"}, []visit{
			{"/app/cliff-edge", ""},
		}},
	} {
		t.Run(tc.subject, func(t *testing.T) {
			ctx := s.signIn(t, tc.subject)
			for i, label := range tc.nav {
				if got := bt.Text(t, ctx, ".govuk-service-navigation__item:nth-child("+itoa(i+1)+") a"); got != label {
					t.Errorf("menu item %d is %q, want %q", i+1, got, label)
				}
			}
			if n := bt.Count(t, ctx, ".govuk-service-navigation__item"); n != len(tc.nav) {
				t.Errorf("the menu has %d items, want %d (%q)", n, len(tc.nav), tc.nav)
			}
			bt.NoSeriousViolations(t, ctx, tc.subject+" home")
			for _, v := range tc.visits {
				bt.Navigate(t, ctx, s.base+v.path)
				got := bt.Text(t, ctx, "h1")
				want := v.heading
				if want == "" {
					want = "Page not found"
				}
				if got != want {
					t.Errorf("%s: the page's heading is %q, want %q", v.path, got, want)
				}
				bt.NoSeriousViolations(t, ctx, v.path)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
