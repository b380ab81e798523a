package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/reminder"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

func dateJSON(d civil.Date) string {
	return fmt.Sprintf(`{"year": %d, "month": %d, "day": %d}`, d.Year, d.Month, d.Day)
}

// reminderOf waits for the young person's reminder in an inbox (states as a query string,
// "" for open ones) and returns it.
func reminderOf(t *testing.T, s *server, inbox, query, yp string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, "a reminder about "+yp+" in "+inbox, func() bool {
		for _, x := range listOf(t, s.do(t, "GET", "/v1/"+inbox+"/reminders"+query, ""), "reminders") {
			if x["youngPerson"] == yp {
				found = x
			}
		}
		return found != nil
	})
	return found
}

// A staff inbox names the young person each reminder is about, and so does a partner's
// while the young person is shared with it; webhooks never do.
func TestReminderInboxesNameTheYoungPerson(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate = true
			s := start(t, cfg)
			hook := newReceiver(t, http.StatusNoContent)
			if r := s.as(tokenFor(t, "ada-admin")).do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
				fmt.Sprintf(`{"url": %q}`, hook.URL)); r.code != 200 {
				t.Fatalf("create endpoint: HTTP %d %s", r.code, r.body)
			}
			day := civil.Today(testclock.Now())
			dob := day.AddDays(-20).Sub(civil.Period{Years: 17}, civil.MarchFirst)
			r := s.do(t, "POST", "/v1/youngPeople", fmt.Sprintf(`{"givenName": "Quenby", "preferredName": "Quen", "familyName": "Marlow",
				"dateOfBirth": %s, "council": "organisations/nottinghamshire", "caseReference": "NAME-1", "personalAdviser": "people/%s"}`,
				dateJSON(dob), s.person))
			if r.code != 200 {
				t.Fatalf("create young person: HTTP %d %s", r.code, r.body)
			}
			yp := r.json(t)["name"].(string)
			r = s.do(t, "POST", "/v1/"+yp+"/shares", fmt.Sprintf(`{"partner": "organisations/framework-housing", "purpose": "HOUSING",
				"basis": "REFERRAL", "expiryDate": %s}`, dateJSON(day.AddDays(100))))
			if r.code != 200 {
				t.Fatalf("share: HTTP %d %s", r.code, r.body)
			}
			share := r.json(t)["name"].(string)
			// A milestone given to the partner that fell due two days ago.
			r = s.do(t, "POST", "/v1/"+yp+"/milestones", fmt.Sprintf(`{"title": "Housing referral", "area": "ACCOMMODATION",
				"ownerAgencyType": "HOUSING", "dueDate": %s}`, dateJSON(day.AddDays(-2))))
			if r.code != 200 {
				t.Fatalf("create milestone: HTTP %d %s", r.code, r.body)
			}
			m := r.json(t)
			if r := s.do(t, "POST", "/v1/"+m["name"].(string)+":schedule", fmt.Sprintf(`{"scheduledDate": %s,
				"ownerOrganisation": "organisations/framework-housing", "etag": %q}`, dateJSON(day.AddDays(-2)), m["etag"])); r.code != 200 {
				t.Fatalf("schedule: HTTP %d %s", r.code, r.body)
			}

			// The adviser's inbox, over REST and gRPC.
			mine := reminderOf(t, s, "people/me", "", yp)
			if mine["youngPersonDisplayName"] != "Quen Marlow" {
				t.Errorf("the adviser's reminder names the young person %q, want Quen Marlow", mine["youngPersonDisplayName"])
			}
			list, err := pb.NewReminderServiceClient(s.conn).ListReminders(context.Background(), &pb.ListRemindersRequest{Parent: "people/me"})
			if err != nil {
				t.Fatal(err)
			}
			named := 0
			for _, x := range list.GetReminders() {
				if x.GetYoungPerson() == yp && x.GetYoungPersonDisplayName() == "Quen Marlow" {
					named++
				}
			}
			if named == 0 {
				t.Errorf("over gRPC the adviser's reminders about %s carry no name: %v", yp, list.GetReminders())
			}

			// The partner's inbox while the young person is shared with it.
			housing := s.as(tokenFor(t, "hana-housing"))
			theirs := reminderOf(t, housing, "organisations/framework-housing", "", yp)
			if theirs["youngPersonDisplayName"] != "Quen Marlow" {
				t.Errorf("the partner's reminder names the young person %q, want Quen Marlow", theirs["youngPersonDisplayName"])
			}
			// Once the share is withdrawn, the partner no longer learns the name.
			if r := s.do(t, "POST", "/v1/"+share+":withdraw", `{"reason": "moved out of the area"}`); r.code != 200 {
				t.Fatalf("withdraw: HTTP %d %s", r.code, r.body)
			}
			cancelled := reminderOf(t, housing, "organisations/framework-housing", "?states=CANCELLED", yp)
			if n := cancelled["youngPersonDisplayName"]; n != "" {
				t.Errorf("after the share was withdrawn the partner's reminder still names the young person: %q", n)
			}

			// Webhooks carry no name.
			eventually(t, "a webhook delivery", func() bool { return len(hook.got()) > 0 })
			for _, a := range hook.got() {
				if body := string(a.body); strings.Contains(body, "Quen") || strings.Contains(body, "Marlow") {
					t.Errorf("a webhook carries the young person's name: %s", body)
				}
			}
		})
	}
}

// A reminder may be snoozed to a day, like every other date of the API: it wakes at the
// council's send time that day. Over REST and gRPC.
func TestSnoozeToADay(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			r := s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 16, Months: 3}, 3, "SNOOZE-1", s.person))
			if r.code != 200 {
				t.Fatalf("create young person: HTTP %d %s", r.code, r.body)
			}
			rem := reminderOf(t, s, "people/me", "", r.json(t)["name"].(string))
			day := civil.Today(testclock.Now())
			tomorrow, later := day.AddDays(1), day.AddDays(5)
			r = s.do(t, "POST", "/v1/"+rem["name"].(string)+":snooze", `{"snoozeUntilDate": `+dateJSON(tomorrow)+`}`)
			want := reminder.SendTime(tomorrow, catalogue.DefaultSendAt).UTC()
			if r.code != 200 || r.json(t)["snoozeUntil"] != want.Format(time.RFC3339) {
				t.Fatalf("snooze to %s: HTTP %d %s; want it to wake at %s", tomorrow, r.code, r.body, want.Format(time.RFC3339))
			}
			wantRESTError(t, s.do(t, "POST", "/v1/"+rem["name"].(string)+":snooze", `{"snoozeUntilDate": {"year": 2027, "month": 2, "day": 30}}`),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "snooze_until_date")
			wantRESTError(t, s.do(t, "POST", "/v1/"+rem["name"].(string)+":snooze", `{"snoozeUntilDate": `+dateJSON(day.AddDays(-1))+`}`),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "snooze_until_date")
			reminders := pb.NewReminderServiceClient(s.conn)
			got, err := reminders.SnoozeReminder(context.Background(), &pb.SnoozeReminderRequest{Name: rem["name"].(string),
				Until: &pb.SnoozeReminderRequest_SnoozeUntilDate{SnoozeUntilDate: pbDate(later)}})
			if err != nil || !got.GetSnoozeUntil().AsTime().Equal(reminder.SendTime(later, catalogue.DefaultSendAt)) {
				t.Fatalf("snooze over gRPC to %s: %v, %v", later, got.GetSnoozeUntil().AsTime(), err)
			}
			_, err = reminders.SnoozeReminder(context.Background(), &pb.SnoozeReminderRequest{Name: rem["name"].(string)})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID")
		})
	}
}

// WatchReminders with nothing set watches the caller's own inbox.
func TestWatchRemindersDefaultsToMine(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stream, err := pb.NewReminderServiceClient(s.conn).WatchReminders(ctx, &pb.WatchRemindersRequest{})
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan *pb.Reminder, 10)
			go func() {
				for {
					r, err := stream.Recv()
					if err != nil {
						close(got)
						return
					}
					got <- r
				}
			}()
			// The watch starts from when the server takes the call, which the client cannot
			// see: add young people until one's reminder arrives.
			created := map[string]bool{}
			for i := 0; ; i++ {
				r := s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 16, Months: 3}, 1, fmt.Sprintf("WATCH-ME-%d", i), s.person))
				if r.code != 200 {
					t.Fatalf("create: HTTP %d %s", r.code, r.body)
				}
				created[r.json(t)["name"].(string)] = true
				select {
				case w, ok := <-got:
					if !ok {
						t.Fatal("WatchReminders({}) ended")
					}
					if !created[w.GetYoungPerson()] || w.GetRecipient() != "people/"+s.person || w.GetYoungPersonDisplayName() != "Rem Inder" {
						t.Fatalf("watched %v", w)
					}
					return
				case <-time.After(2 * time.Second):
				case <-ctx.Done():
					t.Fatal("WatchReminders({}) sent nothing")
				}
			}
		})
	}
}
