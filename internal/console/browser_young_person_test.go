package console_test

import (
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
	for _, sel := range []string{"#status", "#health-history", "#care-history"} {
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
