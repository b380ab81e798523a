package app_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/domain/civil"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A young person who asks for it is reminded, in their own inbox, of their own milestones
// due within 14 days and overdue ones; never of anything addressed to staff or to another
// young person; and turning it off cancels the open ones.
func TestYoungPersonOwnReminders(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := start(t, b.configure(t))
			pathways := pb.NewPathwaysServiceClient(s.conn)
			mine := youngPersonInCare(t, s, "YPR-1", agedToday(16, 20), civil.Period{Years: 14}, "U1").GetName()
			theirs := youngPersonInCare(t, s, "YPR-2", agedToday(17, 20), civil.Period{Years: 14}, "U1").GetName()
			milestone := func(yp, title string, dueIn int) string {
				t.Helper()
				m, err := pathways.CreateMilestone(ctx, &pb.CreateMilestoneRequest{Parent: yp, Milestone: &pb.Milestone{
					Title: title, DueDate: pbDate(today().AddDays(dueIn)),
					Area: pb.MilestoneDefinition_FINANCE, OwnerAgencyType: pb.MilestoneDefinition_CHILDRENS_SOCIAL_CARE}})
				if err != nil {
					t.Fatal(err)
				}
				return m.GetName()
			}
			soon := milestone(mine, "Open a bank account", 5)
			late := milestone(mine, "Register with a dentist", -3)
			far := milestone(mine, "Go to the college open day", 40)
			theirSoon := milestone(theirs, "Apply for a provisional driving licence", 4)

			meConn := s.dial(t, s.invite(t, mine, "ypr-me"))
			me := pb.NewReminderServiceClient(meConn)
			myVoice := pb.NewVoiceServiceClient(meConn)
			otherConn := s.dial(t, s.invite(t, theirs, "ypr-other"))
			other := pb.NewReminderServiceClient(otherConn)
			settings := mine + "/reminderSettings"
			inbox := func(c pb.ReminderServiceClient, states ...pb.Reminder_State) []*pb.Reminder {
				t.Helper()
				// Open ones awake now; of other states, snoozed ones too.
				got, err := c.ListReminders(ctx, &pb.ListRemindersRequest{Parent: "people/me", States: states, PageSize: 500,
					ShowSnoozed: len(states) > 0})
				if err != nil {
					t.Fatal(err)
				}
				return got.GetReminders()
			}

			// Off at first: nothing in their inbox, though their adviser is reminded.
			if got := inbox(me); len(got) != 0 {
				t.Fatalf("with reminders off the young person has %v", got)
			}
			var staff *pb.Reminder
			staffInbox, err := pb.NewReminderServiceClient(s.conn).ListReminders(ctx, &pb.ListRemindersRequest{Parent: "people/me", PageSize: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range staffInbox.GetReminders() {
				if r.GetMilestone() == late && r.GetRule() == "milestone.due" {
					staff = r
				}
			}
			if staff == nil {
				t.Fatal("the adviser has no reminder of the overdue milestone")
			}

			// Their adviser sees the setting but may not change it; the young person may.
			got, err := pb.NewVoiceServiceClient(s.conn).GetReminderSettings(ctx, &pb.GetReminderSettingsRequest{Name: settings})
			if err != nil || got.GetInApp() || !got.GetHasAccount() || got.GetName() != settings {
				t.Fatalf("the adviser reads %v, %v; want off, with an account", got, err)
			}
			turn := func(c pb.VoiceServiceClient, name string, on bool) (*pb.ReminderSettings, error) {
				return c.UpdateReminderSettings(ctx, &pb.UpdateReminderSettingsRequest{
					ReminderSettings: &pb.ReminderSettings{Name: name, InApp: on}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"in_app"}}})
			}
			_, err = turn(pb.NewVoiceServiceClient(s.conn), settings, true)
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = turn(pb.NewVoiceServiceClient(otherConn), settings, true)
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			if got, err := turn(myVoice, settings, true); err != nil || !got.GetInApp() {
				t.Fatalf("turn on: %v, %v", got, err)
			}
			if _, err := turn(pb.NewVoiceServiceClient(otherConn), theirs+"/reminderSettings", true); err != nil {
				t.Fatal(err)
			}

			// On: the milestone due in 5 days and the overdue one, by their titles, to them
			// alone; not the one due in 40 days, nor the staff's reminder.
			var mySoon, myLate *pb.Reminder
			eventually(t, "the young person's own reminders", func() bool {
				mySoon, myLate = nil, nil
				for _, r := range inbox(me) {
					switch {
					case r.GetMilestone() == soon && r.GetRule() == "own.due_soon":
						mySoon = r
					case r.GetMilestone() == late && r.GetRule() == "own.overdue":
						myLate = r
					}
				}
				return mySoon != nil && myLate != nil
			})
			if mySoon.GetTitle() != "Open a bank account" || myLate.GetTitle() != "Register with a dentist" {
				t.Errorf("titles %q and %q; want the milestones' own", mySoon.GetTitle(), myLate.GetTitle())
			}
			for _, r := range inbox(me) {
				if r.GetRecipient() != "people/ypr-me" || r.GetYoungPerson() != mine || !strings.HasPrefix(r.GetRule(), "own.") ||
					r.GetMilestone() == far {
					t.Errorf("the young person's inbox holds %v", r)
				}
			}
			for _, r := range inbox(other) {
				if r.GetYoungPerson() != theirs || r.GetRecipient() != "people/ypr-other" {
					t.Errorf("another young person's inbox holds %v", r)
				}
			}
			if !containsReminder(inbox(other), theirSoon) {
				t.Error("the other young person has no reminder of their own milestone")
			}

			// Not the staff's inbox, nor another's: a young person lists and acts on their own.
			_, err = me.ListReminders(ctx, &pb.ListRemindersRequest{Parent: "people/" + s.person})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = me.ListReminders(ctx, &pb.ListRemindersRequest{Parent: "people/ypr-other"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = me.ListReminders(ctx, &pb.ListRemindersRequest{Parent: "organisations/nottinghamshire"})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = me.AcknowledgeReminder(ctx, &pb.AcknowledgeReminderRequest{Name: staff.GetName()})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")
			_, err = other.AcknowledgeReminder(ctx, &pb.AcknowledgeReminderRequest{Name: mySoon.GetName()})
			wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

			acked, err := me.AcknowledgeReminder(ctx, &pb.AcknowledgeReminderRequest{Name: mySoon.GetName(), Etag: mySoon.GetEtag()})
			if err != nil || acked.GetState() != pb.Reminder_ACKNOWLEDGED {
				t.Fatalf("acknowledge: %v, %v", acked, err)
			}
			if containsReminder(inbox(me), soon) {
				t.Error("an acknowledged reminder is still in the inbox")
			}

			// Snoozed till tomorrow, the overdue one leaves the inbox for now.
			snoozed, err := me.SnoozeReminder(ctx, &pb.SnoozeReminderRequest{Name: myLate.GetName(), Etag: myLate.GetEtag(),
				Until: &pb.SnoozeReminderRequest_SnoozeUntilDate{SnoozeUntilDate: pbDate(today().AddDays(1))}})
			if err != nil || snoozed.GetSnoozeUntil() == nil {
				t.Fatalf("snooze: %v, %v", snoozed, err)
			}
			if containsReminder(inbox(me), late) {
				t.Error("a snoozed reminder is still in the inbox")
			}

			// Off: the open one is cancelled, snoozed or not; the acknowledged one stays so; the staff's is kept.
			if got, err := turn(myVoice, settings, false); err != nil || got.GetInApp() {
				t.Fatalf("turn off: %v, %v", got, err)
			}
			if got := inbox(me); len(got) != 0 {
				t.Errorf("with reminders off the young person still has %v", got)
			}
			cancelled := inbox(me, pb.Reminder_CANCELLED)
			if !containsReminder(cancelled, late) {
				t.Errorf("the overdue reminder was not cancelled: %v", cancelled)
			}
			if !containsReminder(inbox(me, pb.Reminder_ACKNOWLEDGED), soon) {
				t.Error("the acknowledged reminder did not stay acknowledged")
			}
			if !containsReminder(inbox(pb.NewReminderServiceClient(s.conn)), late) {
				t.Error("turning their reminders off took the adviser's away")
			}
			if !containsReminder(inbox(other), theirSoon) {
				t.Error("turning one young person's reminders off took another's away")
			}
		})
	}
}

// containsReminder reports whether one of the reminders is of the milestone.
func containsReminder(rs []*pb.Reminder, milestone string) bool {
	for _, r := range rs {
		if r.GetMilestone() == milestone {
			return true
		}
	}
	return false
}
