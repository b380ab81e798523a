package console_test

import (
	"fmt"
	"strings"
	"testing"

	bt "github.com/carepath/carepath/internal/browsertest"
	"github.com/carepath/carepath/internal/console"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// TestYoungPersonReadsTheirPathway: a demo young person signs in and sees their own
// pathway in plain words (a reading age the test computes), and nobody else's.
func TestYoungPersonReadsTheirPathway(t *testing.T) {
	s := demoSite(t)
	maya := s.youngPerson(t, "Maya")
	ctx := s.signIn(t, "amani-yp")
	if got := bt.Text(t, ctx, "h1"); got != "Your pathway" {
		t.Fatalf("a young person's home is %q, want their pathway", got)
	}
	bt.WaitVisible(t, ctx, "#timeline svg")
	if n := bt.Count(t, ctx, "#next-steps li"); n == 0 {
		t.Error("no next steps")
	}
	if got := bt.Text(t, ctx, "#health-history"); !strings.Contains(got, "health history") {
		t.Errorf("the health history section says %q", got)
	}
	bt.NoSeriousViolations(t, ctx, "your pathway")
	// The words written for them read easily.
	for _, sel := range []string{"main", "#status", "#next-steps", "#health-history", "#care-history", "#contact"} {
		if g := console.ReadingGradeOf(bt.Text(t, ctx, sel)); g > 6 {
			t.Errorf("%s reads at grade %.1f, want at most 6", sel, g)
		}
	}
	// Nobody else's record, and no staff pages.
	for _, path := range []string{"/app/young-people/" + maya, "/app/cliff-edge"} {
		bt.Navigate(t, ctx, s.base+path)
		if !notFoundPage(t, ctx) {
			t.Errorf("%s: a young person sees %q", path, bt.Text(t, ctx, "h1"))
		}
	}
	bt.Navigate(t, ctx, s.base+"/app/me/sharing")
	if n := bt.Count(t, ctx, "button"); n != 1 { // sign out only: under 18, no consent to give or withdraw
		t.Errorf("at 17 the sharing page has %d buttons, want only sign-out", n)
	}
	bt.NoSeriousViolations(t, ctx, "who sees your information (17)")
}

// TestYoungPersonWithdrawsConsent: from 18 a young person stops a share made with their
// consent, and the partner loses access at once; sharing again restores it.
func TestYoungPersonWithdrawsConsent(t *testing.T) {
	s := demoSite(t)
	chloe := s.youngPerson(t, "Chloe")
	partnerCtx, conn := s.api(t, "hana-housing")
	partner := pb.NewPartnerServiceClient(conn)
	shared := func() bool {
		_, err := partner.GetSharedYoungPerson(partnerCtx, &pb.GetSharedYoungPersonRequest{
			Name: "organisations/framework-housing/sharedYoungPeople/" + chloe})
		return err == nil
	}
	if !shared() {
		t.Fatal("set-up: the housing partner cannot see Chloe")
	}
	ctx := s.signIn(t, "chloe-yp")
	bt.Navigate(t, ctx, s.base+"/app/me/sharing")
	bt.NoSeriousViolations(t, ctx, "who sees your information")
	bt.ClickNavigate(t, ctx, `button[id^="stop-"]`)
	if got := bt.Text(t, ctx, "#done"); !strings.Contains(got, "You stopped sharing") {
		t.Fatalf("after stopping: %q", got)
	}
	if shared() {
		t.Error("the partner still sees Chloe after she withdrew her consent")
	}
	bt.ClickNavigate(t, ctx, `button[id^="share-again-"]`)
	if !shared() {
		t.Error("the partner does not see Chloe after she shared again")
	}
}

// TestYoungPersonSaysWhatTheyWant: a young person records a view and a goal, then ticks
// the money checklist and sees the money-and-skills check change, counted as said by them.
func TestYoungPersonSaysWhatTheyWant(t *testing.T) {
	s := demoSite(t)
	ctx := s.signIn(t, "chloe-yp")
	bt.Navigate(t, ctx, s.base+"/app/me/voice")
	bt.NoSeriousViolations(t, ctx, "what you want")
	bt.SetValue(t, ctx, "#wants-accommodation", "A flat near my college")
	bt.Click(t, ctx, "#feeling-accommodation-worried")
	bt.Submit(t, ctx, "#save-accommodation")
	if got := bt.Text(t, ctx, "#done"); !strings.Contains(got, "Your adviser will see what you said") {
		t.Fatalf("saving a view: %q", got)
	}
	if got := bt.TextContent(t, ctx, "#wants-accommodation"); got != "A flat near my college" {
		t.Errorf("the saved view reads %q", got)
	}
	bt.SetValue(t, ctx, "#goal-title", "Pass my driving theory test")
	bt.Submit(t, ctx, "#add-goal")
	if got := bt.Text(t, ctx, "#goal-list"); !strings.Contains(got, "Pass my driving theory test") {
		t.Errorf("the goals read %q", got)
	}
	// An empty goal is refused with a clear message.
	bt.Submit(t, ctx, "#add-goal")
	if got := bt.Text(t, ctx, ".govuk-error-summary"); !strings.Contains(got, "Write your goal") {
		t.Errorf("an empty goal: %q", got)
	}

	bt.Navigate(t, ctx, s.base+"/app/me/skills")
	bt.NoSeriousViolations(t, ctx, "what you can do")
	before := bt.Text(t, ctx, "#skills-check")
	if !strings.Contains(before, "Budgeting support") {
		t.Fatalf("set-up: the money and skills check does not wait on budgeting: %q", before)
	}
	for _, box := range []string{"finances"} {
		n := bt.Count(t, ctx, "#list-"+box+" input[type=checkbox]")
		for i := 1; i <= n; i++ {
			sel := fmt.Sprintf("#list-%s .govuk-checkboxes__item:nth-child(%d) input", box, i)
			if bt.Attribute(t, ctx, sel, "checked") == "" {
				bt.Click(t, ctx, sel)
			}
		}
		bt.Submit(t, ctx, "#save-"+box)
	}
	after := bt.Text(t, ctx, "#skills-check")
	if after == before || strings.Contains(after, "Budgeting support") {
		t.Errorf("after ticking the money list the check still says %q (before: %q)", after, before)
	}
}

// TestYoungPersonAsksForReminders: a young person with a step of their own due soon turns
// reminders of their own steps on and sees them, that step's among them (the same ones the
// API lists for them), then turns them off.
func TestYoungPersonAsksForReminders(t *testing.T) {
	s := demoSite(t)
	amani := "youngPeople/" + s.youngPerson(t, "Amani")
	// Their adviser adds a step due in five days: a reminder of it is theirs once asked for.
	adviserCtx, adviserConn := s.api(t, "sam-okoro")
	step, err := pb.NewPathwaysServiceClient(adviserConn).CreateMilestone(adviserCtx, &pb.CreateMilestoneRequest{Parent: amani,
		Milestone: &pb.Milestone{Title: "Open a bank account", DueDate: pbDate(today().AddDays(5)),
			Area: pb.MilestoneDefinition_FINANCE, OwnerAgencyType: pb.MilestoneDefinition_CHILDRENS_SOCIAL_CARE}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := s.signIn(t, "amani-yp")
	if got := bt.Text(t, ctx, "#remind-toggle"); got != "Remind me" {
		t.Fatalf("reminders start %q, want off", got)
	}
	bt.ClickNavigate(t, ctx, "#remind-toggle")
	if got := bt.Text(t, ctx, "#done"); !strings.Contains(got, "You will be reminded") {
		t.Fatalf("turning reminders on: %q", got)
	}
	apiCtx, conn := s.api(t, "amani-yp")
	reminders := pb.NewReminderServiceClient(conn)
	res, err := reminders.ListReminders(apiCtx, &pb.ListRemindersRequest{Parent: "people/me", PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	// The page lists, in order, the reminders the API lists for them (each with its own
	// "Got it" form), and there is at least one.
	var want []string
	for _, r := range res.GetReminders() {
		if r.GetRecipient() != "people/amani-yp" || r.GetYoungPerson() != amani || !strings.HasPrefix(r.GetRule(), "own.") {
			t.Errorf("the young person's inbox holds %v", r)
		}
		want = append(want, "/app/reminders/"+r.GetName()[strings.LastIndex(r.GetName(), "/")+1:]+"/acknowledge")
	}
	shown := bt.Evaluate[[]string](t, ctx,
		`[...document.querySelectorAll("#reminder-list li form")].map(f => f.getAttribute("action"))`)
	if len(shown) == 0 || strings.Join(shown, " ") != strings.Join(want, " ") {
		t.Errorf("the page shows the reminders %q, the API lists %q", shown, want)
	}
	// The step due soon is among them, by its title.
	all, err := reminders.ListReminders(apiCtx, &pb.ListRemindersRequest{Parent: "people/me", PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	var soon *pb.Reminder
	for _, r := range all.GetReminders() {
		if r.GetMilestone() == step.GetName() && r.GetRule() == "own.due_soon" {
			soon = r
		}
	}
	if soon == nil {
		t.Fatalf("no reminder of the step due soon among %v", all.GetReminders())
	}
	if len(all.GetReminders()) <= 10 && !strings.Contains(bt.Text(t, ctx, "#reminder-list"), "Open a bank account") {
		t.Errorf("the page's reminders do not name the step due soon: %q", bt.Text(t, ctx, "#reminder-list"))
	}
	bt.NoSeriousViolations(t, ctx, "your pathway with reminders")
	bt.ClickNavigate(t, ctx, "#remind-toggle")
	if got := bt.Text(t, ctx, "#done"); got != "Reminders are off." {
		t.Errorf("turning reminders off: %q", got)
	}
}
