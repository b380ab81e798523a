package console_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"

	bt "github.com/carepath/carepath/internal/browsertest"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

var caseRefs atomic.Int64

func today() civil.Date { return civil.Today(testclock.Now()) }

func pbDate(d civil.Date) *date.Date {
	return &date.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// oneCheckFromGreen creates, as the adviser, a young person of 17 and a half in care
// since 13 whose every check passes but income: their bank account milestone, overdue, is
// the one thing between them and green. It returns the young person's and that
// milestone's ids.
func oneCheckFromGreen(t *testing.T, s *site, adviser string) (string, string) {
	t.Helper()
	ctx, conn := s.api(t, adviser)
	dob := today().Sub(civil.Period{Years: 17, Days: 200}, civil.FebruaryTwentyEighth)
	yp, err := pb.NewYoungPeopleServiceClient(conn).CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{YoungPerson: &pb.YoungPerson{
		GivenName: "Riley", FamilyName: "Browser", DateOfBirth: pbDate(dob), Council: "organisations/nottinghamshire",
		CaseReference: fmt.Sprintf("BROWSER-%d", caseRefs.Add(1)), PersonalAdviser: "people/" + adviser}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewCareEpisodesServiceClient(conn).CreateCareEpisode(ctx, &pb.CreateCareEpisodeRequest{Parent: yp.GetName(),
		CareEpisode: &pb.CareEpisode{StartDate: pbDate(civil.Attains(dob, civil.Period{Years: 13}, civil.MarchFirst)),
			LegalStatus: "C2", PlacementType: "U1"}}); err != nil {
		t.Fatal(err)
	}
	// Completing a recurring milestone plans its next occurrence, which may be due too.
	target := ""
	for range 5 {
		target = completeAllBut(t, ctx, conn, yp.GetName(), "milestoneDefinitions/age17.bank_account")
	}
	facts, err := pb.NewReadinessServiceClient(conn).ListFacts(ctx, &pb.ListFactsRequest{Parent: yp.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	for _, f := range facts.GetFacts() {
		if _, err := pb.NewReadinessServiceClient(conn).RecordFact(ctx, &pb.RecordFactRequest{Name: f.GetName(), Value: &yes,
			EvidenceType: pb.EvidenceType_EVIDENCE_TYPE_DOCUMENT_SEEN}); err != nil {
			t.Fatalf("recording %s: %v", f.GetName(), err)
		}
	}
	a, err := pb.NewReadinessServiceClient(conn).GetCliffEdgeAssessment(ctx, &pb.GetCliffEdgeAssessmentRequest{Name: yp.GetName() + "/cliffEdgeAssessment"})
	if err != nil {
		t.Fatal(err)
	}
	var failing []string
	for _, c := range a.GetChecks() {
		if c.GetStatus() == pb.CheckStatus_CHECK_STATUS_FAIL {
			failing = append(failing, c.GetCheck()+": "+c.GetReason())
		}
	}
	if len(failing) != 1 || !strings.HasPrefix(failing[0], "income") || a.GetRating() == pb.Rating_RATING_GREEN {
		t.Fatalf("set-up: want only the income check failing and a rating short of green, got %s with %q", a.GetRating(), failing)
	}
	return strings.TrimPrefix(yp.GetName(), "youngPeople/"), target
}

// completeAllBut records as achieved today every open milestone due by the 18th birthday
// but one (waiving any the API will not let be completed), and returns that one's id.
func completeAllBut(t *testing.T, ctx context.Context, conn *grpc.ClientConn, yp, keep string) string {
	t.Helper()
	pathways := pb.NewPathwaysServiceClient(conn)
	res, err := pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: yp, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	kept := ""
	eighteen := today().Add(civil.Period{Days: 200}, civil.MarchFirst) // a little past the birthday is fine: nothing is due then
	for _, m := range res.GetMilestones() {
		if m.GetDefinition() == keep && kept == "" {
			kept = m.GetName()[strings.LastIndex(m.GetName(), "/")+1:]
			continue
		}
		d := m.GetDueDate()
		due := civil.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
		open := m.GetState() == pb.Milestone_PLANNED || m.GetState() == pb.Milestone_SCHEDULED || m.GetState() == pb.Milestone_IN_PROGRESS
		if !open || due.After(eighteen) {
			continue
		}
		_, err := pathways.CompleteMilestone(ctx, &pb.CompleteMilestoneRequest{Name: m.GetName(), AchievedDate: pbDate(today()),
			Evidence: []*pb.Milestone_Evidence{{Description: "Seen by the adviser"}}})
		if err != nil {
			if _, err := pathways.WaiveMilestone(ctx, &pb.WaiveMilestoneRequest{Name: m.GetName(), Reason: "Not needed in this test"}); err != nil {
				t.Fatalf("neither completing nor waiving %s (%s): %v", m.GetTitle(), m.GetDefinition(), err)
			}
		}
	}
	if kept == "" {
		t.Fatalf("no milestone %s", keep)
	}
	return kept
}

// TestCompleteMilestoneInTheBrowser: an adviser records the last missing milestone with
// evidence through the form; the timeline shows it achieved and the cliff-edge rating
// turns green.
func TestCompleteMilestoneInTheBrowser(t *testing.T) {
	s := demoSite(t)
	yp, m := oneCheckFromGreen(t, s, "sam-okoro")
	ctx := s.signIn(t, "sam-okoro")
	bt.Navigate(t, ctx, s.base+"/app/young-people/"+yp)
	before := bt.Text(t, ctx, "#rating")
	if before == "Green" {
		t.Fatalf("the rating is green before the milestone is achieved")
	}
	marker := fmt.Sprintf(`#timeline a[href="#m-%s"]`, m)
	if got := bt.TextContent(t, ctx, marker+" title"); !strings.Contains(got, "overdue") {
		t.Errorf("before: the timeline's marker says %q, want it overdue", got)
	}
	bt.NoSeriousViolations(t, ctx, "young person")

	bt.ClickNavigate(t, ctx, fmt.Sprintf(`#m-%s a`, m))
	bt.NoSeriousViolations(t, ctx, "milestone")
	// A form with no evidence is refused with a clear message, and nothing changes.
	d := today()
	bt.SetValue(t, ctx, "#achieved-date-day", fmt.Sprint(d.Day))
	bt.SetValue(t, ctx, "#achieved-date-month", fmt.Sprint(int(d.Month)))
	bt.SetValue(t, ctx, "#achieved-date-year", fmt.Sprint(d.Year))
	bt.Submit(t, ctx, "#complete-form")
	if got := bt.Text(t, ctx, ".govuk-error-summary"); !strings.Contains(got, "Enter the evidence") {
		t.Fatalf("no evidence: the error summary says %q", got)
	}
	if got := bt.Attribute(t, ctx, `.govuk-error-summary a`, "href"); got != "#evidence" {
		t.Errorf("the error links to %q, want the evidence field", got)
	}
	bt.NoSeriousViolations(t, ctx, "milestone with errors")
	if got := bt.Text(t, ctx, "#milestone-status"); got != "Overdue" {
		t.Errorf("after a refused form the milestone is %q, want it unchanged (Overdue)", got)
	}

	bt.SetValue(t, ctx, "#evidence", "Bank statement seen")
	bt.Submit(t, ctx, "#complete-form")
	if got := bt.Text(t, ctx, "#done"); got != "The milestone is recorded as achieved." {
		t.Fatalf("after completing: the banner says %q", got)
	}
	if got := bt.Text(t, ctx, "#rating"); got != "Green" {
		t.Errorf("after completing the last check's milestone the rating is %q, want Green (was %s)", got, before)
	}
	if got := bt.TextContent(t, ctx, marker+" title"); !strings.Contains(got, "achieved") {
		t.Errorf("after: the timeline's marker says %q, want it achieved", got)
	}
	if got := bt.Text(t, ctx, `#checks tr[data-check="income"] .govuk-tag`); got != "Ready" {
		t.Errorf("the income check says %q, want Ready", got)
	}
}

// TestStaleEtagInTheBrowser: two advisers' pages open the same milestone; the second to
// submit is told someone else changed it, shown the latest version, and changes nothing.
func TestStaleEtagInTheBrowser(t *testing.T) {
	s := demoSite(t)
	yp, m := oneCheckFromGreen(t, s, "sam-okoro")
	first := s.signIn(t, "sam-okoro")
	second := bt.NewTab(t, first)
	s.signInTab(t, second, "sam-okoro")
	page := s.base + "/app/young-people/" + yp + "/milestones/" + m
	bt.Navigate(t, first, page)
	bt.Navigate(t, second, page)

	bt.Submit(t, first, "#start")
	if got := bt.Text(t, first, "#done"); got != "The milestone is in progress." {
		t.Fatalf("starting: the banner says %q", got)
	}
	bt.SetValue(t, second, "#waive-reason", "Has an account already")
	bt.Submit(t, second, "#waive")
	if got := bt.Text(t, second, ".govuk-error-summary"); !strings.Contains(got, "Someone else changed this record") {
		t.Fatalf("a stale form: the error summary says %q", got)
	}
	if got := bt.Text(t, second, "#milestone-status"); !strings.HasPrefix(got, "In progress") {
		t.Errorf("after the conflict the page shows %q, want the latest version (In progress)", got)
	}
	bt.NoSeriousViolations(t, second, "milestone after a conflict")
}

// TestConsoleOnAPhone: at a phone's width no page is wider than the screen (tables and
// the timeline scroll in their own boxes) and the accessibility check passes.
func TestConsoleOnAPhone(t *testing.T) {
	s := demoSite(t)
	amani := s.youngPerson(t, "Amani")
	ctx := bt.New(t)
	bt.Phone(t, ctx)
	s.signInTab(t, ctx, "sam-okoro")
	for _, path := range []string{"/app/young-people/" + amani, "/app/cliff-edge", "/app/caseload", "/app/reminders"} {
		bt.Navigate(t, ctx, s.base+path)
		if wide := bt.Evaluate[bool](t, ctx, "document.documentElement.scrollWidth > window.innerWidth + 1"); wide {
			t.Errorf("%s is wider than a phone's screen", path)
		}
		bt.NoSeriousViolations(t, ctx, path+" on a phone")
	}
}

// TestConsoleWithoutJavaScript: with JavaScript off an adviser signs in, completes a
// milestone through the form and sees the rating change: the pages need no script.
func TestConsoleWithoutJavaScript(t *testing.T) {
	s := demoSite(t)
	yp, m := oneCheckFromGreen(t, s, "sam-okoro")
	ctx := bt.New(t)
	bt.NoScript(t, ctx)
	bt.Navigate(t, ctx, s.base+"/app/sign-in")
	bt.Click(t, ctx, `input[name="person"][value="sam-okoro"]`)
	bt.ClickNavigate(t, ctx, "#sign-in")
	if class := bt.Attribute(t, ctx, "body", "class"); strings.Contains(class, "js-enabled") {
		t.Fatalf("the page's script ran (body class %q): JavaScript is not off", class)
	}
	bt.Navigate(t, ctx, s.base+"/app/young-people/"+yp+"/milestones/"+m)
	d := today()
	bt.SetValue(t, ctx, "#achieved-date-day", fmt.Sprint(d.Day))
	bt.SetValue(t, ctx, "#achieved-date-month", fmt.Sprint(int(d.Month)))
	bt.SetValue(t, ctx, "#achieved-date-year", fmt.Sprint(d.Year))
	bt.SetValue(t, ctx, "#evidence", "Bank statement seen")
	bt.ClickNavigate(t, ctx, "#complete")
	if got := bt.Text(t, ctx, "#rating"); got != "Green" {
		t.Errorf("without JavaScript, after completing: rating %q, want Green", got)
	}
}

// TestRecordFactAndSignOut: an adviser records a fact through its form (an empty form is
// refused with the error summary), then signs out, and the console no longer opens.
func TestRecordFactAndSignOut(t *testing.T) {
	s := demoSite(t)
	yp, _ := oneCheckFromGreen(t, s, "sam-okoro")
	ctx := s.signIn(t, "sam-okoro")
	bt.Navigate(t, ctx, s.base+"/app/young-people/"+yp)
	bt.ClickNavigate(t, ctx, "#facts .govuk-summary-list__actions a")
	bt.NoSeriousViolations(t, ctx, "fact")
	bt.Submit(t, ctx, "#record-fact")
	if got := bt.Text(t, ctx, ".govuk-error-summary"); !strings.Contains(got, "Select yes or no") || !strings.Contains(got, "Select how you know") {
		t.Fatalf("an empty fact form: %q", got)
	}
	bt.NoSeriousViolations(t, ctx, "fact with errors")
	bt.Click(t, ctx, "#value-no")
	bt.Click(t, ctx, "#evidence-type")
	bt.Submit(t, ctx, "#record-fact")
	if got := bt.Text(t, ctx, "#done"); got != "The fact is recorded." {
		t.Fatalf("recording a fact: %q", got)
	}
	bt.ClickNavigate(t, ctx, ".cp-account__form button")
	if got := bt.Text(t, ctx, "h1"); got != "You have signed out" {
		t.Fatalf("signing out: %q", got)
	}
	bt.NoSeriousViolations(t, ctx, "signed out")
	bt.Navigate(t, ctx, s.base+"/app/caseload")
	if !strings.Contains(bt.Location(t, ctx), "/app/sign-in") {
		t.Errorf("after signing out the caseload opened at %s", bt.Location(t, ctx))
	}
}
