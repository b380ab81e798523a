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
		{"tess-manager", []string{"Cliff edge", "Partnership board"}, []visit{
			{"/app/board", "Partnership board"},
			{"/app/cliff-edge", "Cliff edge"},
			{"/app/cliff-edge?population=adults&rating=red", "Cliff edge"},
			{"/app/young-people/" + amani, "Amani Tesfaye"},
		}},
		{"sam-okoro", []string{"My caseload", "My reminders", "Cliff edge"}, []visit{
			{"/app/caseload", "My caseload"},
			{"/app/reminders", "My reminders"},
			{"/app/young-people/" + amani, "Amani Tesfaye"},
			{"/app/young-people/" + maya, "Maya Thornton"},
			{"/app/shared", ""},
			{"/app/admin", ""},
		}},
		{"lee-hart", []string{"My caseload", "My reminders", "Cliff edge"}, []visit{
			{"/app/young-people/" + amani, ""}, // another team's young person
		}},
		{"hana-housing", []string{"Shared with us"}, []visit{
			{"/app/shared", "Shared with us"},
			{"/app/shared/" + amani, "Amani Tesfaye"},
			{"/app/shared/" + maya, ""}, // not shared with housing
			{"/app/cliff-edge", ""},
			{"/app/young-people/" + amani, ""}, // the staff page, even for someone shared
			{"/app/caseload", ""},
			{"/app/board", ""},
		}},
		{"ada-admin", []string{"Partnership board", "Administration"}, []visit{
			{"/app/board", "Partnership board"},
			{"/app/admin", "Organisations"},
			{"/app/admin/people", "People"},
			{"/app/admin/sharing-agreements", "Sharing agreements"},
			{"/app/admin/webhooks", "Webhooks"},
			{"/app/cliff-edge", ""},
			{"/app/young-people/" + amani, ""},
		}},
		{"hal-housing-admin", []string{"Shared with us", "Administration"}, []visit{
			{"/app/admin/webhooks", "Webhooks"},
			{"/app/admin/sharing-agreements", ""},
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

// TestAdviserWorksReminders: an adviser acknowledges one reminder and snoozes another
// through the forms, and each leaves the open list.
func TestAdviserWorksReminders(t *testing.T) {
	s := demoSite(t)
	ctx := s.signIn(t, "sam-okoro")
	bt.Navigate(t, ctx, s.base+"/app/reminders")
	before := bt.Count(t, ctx, "#reminders tbody tr")
	if before < 2 {
		t.Fatalf("set-up: %d open reminders for the adviser, want two or more", before)
	}
	bt.ClickNavigate(t, ctx, `#reminders tbody tr:first-child button[id^="ack-"]`)
	if got := bt.Text(t, ctx, "#done"); got != "The reminder is acknowledged." {
		t.Fatalf("acknowledging: %q", got)
	}
	bt.NoSeriousViolations(t, ctx, "reminders after acknowledging")
	bt.SetValue(t, ctx, `#reminders tbody tr:first-child select`, "week")
	bt.ClickNavigate(t, ctx, `#reminders tbody tr:first-child button[id^="snooze-"]`)
	if got := bt.Text(t, ctx, "#done"); got != "The reminder is snoozed." {
		t.Fatalf("snoozing: %q", got)
	}
	if after := bt.Count(t, ctx, "#reminders tbody tr"); after != before-2 {
		t.Errorf("%d open reminders after acknowledging one and snoozing one, want %d", after, before-2)
	}
}
