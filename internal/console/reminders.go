package console

import (
	"time"

	"google.golang.org/genproto/googleapis/type/date"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// remindersPage is the signed-in person's open reminders, with acknowledge and snooze.
type remindersPage struct {
	Reminders []*pb.Reminder
	NextPage  string
	Done      string
}

func (c *Console) reminders(cl *call) (view, error) {
	res, err := c.clients.reminders.ListReminders(cl.ctx, &pb.ListRemindersRequest{Parent: "people/me",
		PageSize: 25, PageToken: cl.r.URL.Query().Get("page")})
	if err != nil {
		return view{}, err
	}
	p := remindersPage{Reminders: res.GetReminders(), Done: map[string]string{
		"acknowledged": "The reminder is acknowledged.",
		"snoozed":      "The reminder is snoozed.",
	}[cl.r.URL.Query().Get("done")]}
	if t := res.GetNextPageToken(); t != "" {
		p.NextPage = Prefix + "reminders?page=" + t
	}
	return view{template: "reminders", title: "My reminders", data: p}, nil
}

// reminderAction acknowledges or snoozes one reminder, sending the etag the page showed.
func (c *Console) reminderAction(cl *call) (redirect, view, error) {
	name := "reminders/" + cl.r.PathValue("reminder")
	etag := cl.r.PostFormValue("etag")
	var err error
	done := "acknowledged"
	switch cl.r.PathValue("action") {
	case "acknowledge":
		_, err = c.clients.reminders.AcknowledgeReminder(cl.ctx, &pb.AcknowledgeReminderRequest{Name: name, Etag: etag})
	case "snooze":
		days := 1
		if cl.r.PostFormValue("for") == "week" {
			days = 7
		}
		until := c.now().AddDate(0, 0, days)
		_, err = c.clients.reminders.SnoozeReminder(cl.ctx, &pb.SnoozeReminderRequest{Name: name, Etag: etag,
			Until: &pb.SnoozeReminderRequest_SnoozeUntilDate{SnoozeUntilDate: civilDate(until)}})
		done = "snoozed"
	default:
		return "", notFound(), nil
	}
	if err != nil {
		return "", view{}, err
	}
	return redirect(Prefix + "reminders?done=" + done), view{}, nil
}

func civilDate(t time.Time) *date.Date {
	y, m, d := t.Date()
	return &date.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}
