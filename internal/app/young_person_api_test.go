package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// invite has the server's personal adviser invite a young person to an account of their own
// with id person, and returns a token for it.
func (s *server) invite(t *testing.T, yp, person string) string {
	t.Helper()
	_, err := s.yp.InviteYoungPerson(context.Background(), &pb.InviteYoungPersonRequest{Name: yp, PersonId: person,
		DisplayName: "Young " + person})
	if err != nil {
		t.Fatalf("invite %s: %v", person, err)
	}
	return tokenFor(t, person)
}

// aged creates a young person of the server's adviser's caseload aged years and days today.
func (s *server) aged(t *testing.T, ref string, years, days int) string {
	t.Helper()
	yp := newYoungPerson(ref)
	yp.DateOfBirth = pbDate(agedToday(years, days))
	got, err := s.yp.CreateYoungPerson(context.Background(), &pb.CreateYoungPersonRequest{YoungPerson: yp})
	if err != nil {
		t.Fatal(err)
	}
	return got.GetName()
}

// Staff who may see a young person invite them, from 13, once; partners and other staff may
// not; the account is a YOUNG_PERSON of the young person's council, linked to them, and no
// administrator can make one by hand.
func TestInviteYoungPerson(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := start(t, b.configure(t))
			teen, child, other := s.aged(t, "INV-1", 15, 3), s.aged(t, "INV-2", 12, 360), s.aged(t, "INV-3", 16, 0)

			// A partner officer may not invite (their role), nor an adviser whose caseload
			// the young person is not in (exactly as for a young person who does not exist).
			hana := pb.NewYoungPeopleServiceClient(s.dial(t, tokenFor(t, "hana-housing")))
			_, err := hana.InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{Name: teen, PersonId: "inv-teen", DisplayName: "Teen"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			west := pb.NewYoungPeopleServiceClient(s.dial(t, s.newPerson(t, "inv-pa-west", "nottinghamshire", "west", "PERSONAL_ADVISER")))
			_, err = west.InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{Name: teen, PersonId: "inv-teen", DisplayName: "Teen"})
			_, refused := west.GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: teen})
			if status.Code(err) != codes.PermissionDenied || !proto.Equal(status.Convert(err).Proto(), status.Convert(refused).Proto()) {
				t.Fatalf("another caseload's adviser: %v, want the refusal %v", err, refused)
			}

			// Under 13: refused, over REST too.
			r := s.do(t, "POST", "/v1/"+child+":invite", `{"personId": "inv-child", "displayName": "Child"}`)
			wantRESTError(t, r, 400, "FAILED_PRECONDITION", "UNDER_THIRTEEN")

			got, err := s.yp.InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{Name: teen, PersonId: "inv-teen", DisplayName: "Teen"})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetName() != "people/inv-teen" || got.GetYoungPerson() != teen || got.GetOrganisation() != "organisations/nottinghamshire" ||
				len(got.GetRoles()) != 1 || got.GetRoles()[0] != pb.Person_YOUNG_PERSON {
				t.Fatalf("invited: %v", got)
			}
			me, err := pb.NewAccessServiceClient(s.dial(t, tokenFor(t, "inv-teen"))).GetPerson(ctx, &pb.GetPersonRequest{Name: "people/me"})
			if err != nil || me.GetYoungPerson() != teen {
				t.Fatalf("people/me of the invited: %v, %v", me, err)
			}

			// Once per young person; an id once.
			_, err = s.yp.InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{Name: teen, PersonId: "inv-teen-2", DisplayName: "Teen"})
			wantGRPCError(t, err, codes.AlreadyExists, "RESOURCE_EXISTS")
			_, err = s.yp.InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{Name: other, PersonId: "inv-teen", DisplayName: "Other"})
			wantGRPCError(t, err, codes.AlreadyExists, "RESOURCE_EXISTS")
			_, err = s.yp.InviteYoungPerson(ctx, &pb.InviteYoungPersonRequest{Name: other, PersonId: s.person, DisplayName: "Other"})
			wantGRPCError(t, err, codes.AlreadyExists, "RESOURCE_EXISTS")

			// Administrators cannot make or turn anyone into a young person's account.
			admin := s.as(tokenFor(t, "ada-admin"))
			r = admin.do(t, "POST", "/v1/people?personId=inv-fake",
				`{"displayName": "Fake", "organisation": "organisations/nottinghamshire", "roles": ["YOUNG_PERSON"]}`)
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "person.roles")
			r = admin.do(t, "PATCH", "/v1/people/inv-teen?updateMask=roles", `{"roles": ["PERSONAL_ADVISER"]}`)
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "REQUEST_INVALID", "person.roles")
		})
	}
}

// A young person sees their own pathway and milestones, changes none of them, and every
// read is audited as theirs, for themself. Another young person is refused exactly as a
// stranger is.
func TestYoungPersonOwnPathway(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := start(t, b.configure(t))
			mine := youngPersonInCare(t, s, "OWN-1", agedToday(16, 20), civil.Period{Years: 14}, "U1")
			theirs := youngPersonInCare(t, s, "OWN-2", agedToday(17, 20), civil.Period{Years: 14}, "U1")
			conn := s.dial(t, s.invite(t, mine.GetName(), "own-yp"))
			pathways := pb.NewPathwaysServiceClient(conn)

			if _, err := pathways.GetPathway(ctx, &pb.GetPathwayRequest{Name: mine.GetName() + "/pathway"}); err != nil {
				t.Fatal(err)
			}
			ms, err := pathways.ListMilestones(ctx, &pb.ListMilestonesRequest{Parent: "youngPeople/-", PageSize: 500})
			if err != nil || len(ms.GetMilestones()) == 0 {
				t.Fatalf("their milestones: %d, %v", len(ms.GetMilestones()), err)
			}
			for _, m := range ms.GetMilestones() {
				if !strings.HasPrefix(m.GetName(), mine.GetName()+"/") {
					t.Fatalf("lists another's milestone %s", m.GetName())
				}
			}
			first := ms.GetMilestones()[0].GetName()
			if _, err := pathways.GetMilestone(ctx, &pb.GetMilestoneRequest{Name: first}); err != nil {
				t.Fatal(err)
			}
			_, err = pathways.CompleteMilestone(ctx, &pb.CompleteMilestoneRequest{Name: first, AchievedDate: pbDate(today()),
				Evidence: []*pb.Milestone_Evidence{{Description: "did it myself"}}})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = pathways.ListMilestoneChanges(ctx, &pb.ListMilestoneChangesRequest{Parent: first})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = pb.NewYoungPeopleServiceClient(conn).UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{
				YoungPerson: &pb.YoungPerson{Name: mine.GetName(), PreferredName: "Me"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"preferred_name"}}})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

			// Another young person: the answer a stranger (an adviser of another caseload) gets.
			stranger := pb.NewPathwaysServiceClient(s.dial(t, s.newPerson(t, "own-pa-west", "nottinghamshire", "west", "PERSONAL_ADVISER")))
			_, want := stranger.GetPathway(ctx, &pb.GetPathwayRequest{Name: theirs.GetName() + "/pathway"})
			_, got := pathways.GetPathway(ctx, &pb.GetPathwayRequest{Name: theirs.GetName() + "/pathway"})
			if status.Code(got) != codes.PermissionDenied || !proto.Equal(status.Convert(got).Proto(), status.Convert(want).Proto()) {
				t.Fatalf("another young person's pathway: %v, want the stranger's %v", got, want)
			}

			// The audit trail names the young person as the actor, for themself.
			var read, refused bool
			for _, r := range auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "people/own-yp"}) {
				switch {
				case strings.HasSuffix(r.GetAction(), "/GetPathway") && r.GetOutcome() == "OK":
					read = true
					if r.GetPurpose() != "SELF" || len(r.GetYoungPeople()) != 1 || r.GetYoungPeople()[0] != mine.GetName() ||
						len(r.GetRoles()) != 1 || r.GetRoles()[0] != pb.Person_YOUNG_PERSON {
						t.Errorf("their read of their pathway is audited as %v", r)
					}
				case strings.HasSuffix(r.GetAction(), "/GetPathway"):
					refused = true
					if r.GetPurpose() != "SELF" {
						t.Errorf("their refused read is audited as %v", r)
					}
				case r.GetPurpose() != "SELF":
					t.Errorf("audited with purpose %q: %v", r.GetPurpose(), r)
				}
			}
			if !read || !refused {
				t.Fatalf("audit trail of the young person: read %v, refusal %v", read, refused)
			}
		})
	}
}

// From 18 a young person withdraws and gives their own consent to share: the partner's view
// ends at once and comes back with new consent. Under 18, and for a REFERRAL, they may not.
func TestYoungPersonConsent(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := start(t, b.configure(t))
			staffSharing := pb.NewSharingServiceClient(s.conn)
			share := func(c pb.SharingServiceClient, yp string, basis pb.Share_Basis) (*pb.Share, error) {
				return c.CreateShare(ctx, &pb.CreateShareRequest{Parent: yp, Share: &pb.Share{
					Partner: "organisations/framework-housing", Purpose: pb.SharingAgreement_HOUSING, Basis: basis,
					StartDate: pbDate(today()), ExpiryDate: pbDate(today().AddDays(365))}})
			}
			adult, minor, turned := s.aged(t, "CON-1", 19, 30), s.aged(t, "CON-2", 17, 30), s.aged(t, "CON-3", 17, 200)
			consent, err := share(staffSharing, adult, pb.Share_CONSENT)
			if err != nil {
				t.Fatal(err)
			}
			minorShare, err := share(staffSharing, minor, pb.Share_REFERRAL)
			if err != nil {
				t.Fatal(err)
			}
			// A referral made before 18, of someone now 18 (their date of birth corrected).
			referral, err := share(staffSharing, turned, pb.Share_REFERRAL)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.yp.UpdateYoungPerson(ctx, &pb.UpdateYoungPersonRequest{YoungPerson: &pb.YoungPerson{Name: turned,
				DateOfBirth: pbDate(agedToday(18, 2))}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"date_of_birth"}}}); err != nil {
				t.Fatal(err)
			}
			adultYP := pb.NewSharingServiceClient(s.dial(t, s.invite(t, adult, "con-adult")))
			minorYP := pb.NewSharingServiceClient(s.dial(t, s.invite(t, minor, "con-minor")))
			turnedYP := pb.NewSharingServiceClient(s.dial(t, s.invite(t, turned, "con-turned")))
			hana := pb.NewPartnerServiceClient(s.dial(t, tokenFor(t, "hana-housing")))
			sees := func(yp string) error {
				if _, err := hana.GetSharedYoungPerson(ctx, sharedRequest("framework-housing", yp)); err != nil {
					return err
				}
				_, err := hana.GetHousingReadiness(ctx, &pb.GetHousingReadinessRequest{Name: fmt.Sprintf(
					"organisations/framework-housing/sharedYoungPeople/%s/housingReadiness", strings.TrimPrefix(yp, "youngPeople/"))})
				return err
			}
			if err := sees(adult); err != nil {
				t.Fatalf("the housing partner before the withdrawal: %v", err)
			}

			// Under 18: neither withdraw nor give.
			_, err = minorYP.WithdrawShare(ctx, &pb.WithdrawShareRequest{Name: minorShare.GetName(), Reason: "no"})
			wantGRPCError(t, err, codes.PermissionDenied, "UNDER_EIGHTEEN")
			_, err = share(minorYP, minor, pb.Share_CONSENT)
			wantGRPCError(t, err, codes.PermissionDenied, "UNDER_EIGHTEEN")
			// A referral is not theirs, to withdraw or to give.
			_, err = turnedYP.WithdrawShare(ctx, &pb.WithdrawShareRequest{Name: referral.GetName(), Reason: "no"})
			wantGRPCError(t, err, codes.PermissionDenied, "CONSENT_NOT_THEIRS_TO_GIVE")
			_, err = share(adultYP, adult, pb.Share_REFERRAL)
			wantGRPCError(t, err, codes.PermissionDenied, "CONSENT_NOT_THEIRS_TO_GIVE")
			// Nor anyone else's.
			_, err = adultYP.WithdrawShare(ctx, &pb.WithdrawShareRequest{Name: minorShare.GetName(), Reason: "no"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			if err := sees(minor); err != nil {
				t.Fatalf("refused withdrawals changed the partner's view: %v", err)
			}

			// The adult withdraws: the partner is refused at once.
			withdrawn, err := adultYP.WithdrawShare(ctx, &pb.WithdrawShareRequest{Name: consent.GetName(), Reason: "I want to talk to them myself",
				Etag: consent.GetEtag()})
			if err != nil {
				t.Fatal(err)
			}
			if withdrawn.GetActive() || withdrawn.GetWithdrawTime() == nil {
				t.Fatalf("withdrawn share: %v", withdrawn)
			}
			if err := sees(adult); status.Code(err) != codes.PermissionDenied {
				t.Fatalf("the housing partner right after the withdrawal: %v, want PERMISSION_DENIED", err)
			}

			// And gives consent again, under the council's agreement: the partner sees them again.
			given, err := share(adultYP, adult, pb.Share_CONSENT)
			if err != nil {
				t.Fatal(err)
			}
			if !given.GetActive() || given.GetRecordedBy() != "con-adult" {
				t.Fatalf("consent given: %v", given)
			}
			if err := sees(adult); err != nil {
				t.Fatalf("the housing partner after consent given again: %v", err)
			}

			// Audited as theirs, for themself.
			var n int
			for _, r := range auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "people/con-adult"}) {
				if r.GetOutcome() == "OK" && (strings.HasSuffix(r.GetAction(), "/WithdrawShare") || strings.HasSuffix(r.GetAction(), "/CreateShare")) {
					n++
					if r.GetPurpose() != "SELF" || r.GetCouncil() != "organisations/nottinghamshire" {
						t.Errorf("consent audited as %v", r)
					}
				}
			}
			if n != 2 {
				t.Fatalf("%d audit records of the withdrawal and the new consent, want 2", n)
			}
		})
	}
}
