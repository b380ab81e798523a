package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// receiver is a webhook endpoint on loopback that records every attempt and answers with
// status; a 503 comes with Retry-After: 3600, which must not stretch the retry schedule.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	attempts []attempt
	status   int
}

type attempt struct {
	header http.Header
	body   []byte
	status int // the answer
}

// answer makes the receiver answer status from now on (a receiver back from an outage).
func (r *receiver) answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func newReceiver(t *testing.T, status int) *receiver {
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.attempts = append(r.attempts, attempt{req.Header.Clone(), body, r.status})
		status := r.status
		r.mu.Unlock()
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "3600")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]attempt(nil), r.attempts...)
}

// youngPersonTurned returns the JSON of a young person who reached an age days ago, with
// the personal adviser.
func youngPersonTurned(age civil.Period, daysAgo int, caseRef, adviser string) string {
	dob := civil.Today(testclock.Now()).AddDays(-daysAgo).Sub(age, civil.FebruaryTwentyEighth)
	return fmt.Sprintf(`{"givenName": "Rem", "familyName": "Inder", "dateOfBirth": {"year": %d, "month": %d, "day": %d},
		"council": "organisations/nottinghamshire", "caseReference": %q, "personalAdviser": "people/%s"}`,
		dob.Year, dob.Month, dob.Day, caseRef, adviser)
}

func TestRemindersAndWebhooks(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate = true
			s := start(t, cfg)
			admin := s.as(tokenFor(t, "ada-admin"))
			hook := newReceiver(t, http.StatusNoContent)

			r := admin.do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
				fmt.Sprintf(`{"url": %q, "description": "case system"}`, hook.URL))
			if r.code != 200 {
				t.Fatalf("create endpoint: HTTP %d %s", r.code, r.body)
			}
			ep := r.json(t)
			secret, _ := ep["secret"].(string)
			if !strings.HasPrefix(secret, "whsec_") {
				t.Fatalf("endpoint secret %q", secret)
			}
			if r := admin.do(t, "GET", "/v1/"+ep["name"].(string), ""); strings.Contains(string(r.body), secret) {
				t.Error("the secret is shown again after creation")
			}

			// A young person who turned 16y3m five days ago: the adviser is reminded at once,
			// in the inbox and through the council's case system.
			pa := s.person
			r = s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 16, Months: 3}, 5, "REM-1", pa))
			if r.code != 200 {
				t.Fatalf("create young person: HTTP %d %s", r.code, r.body)
			}
			yp := r.json(t)["name"].(string)
			var reminder map[string]any
			eventually(t, "the 16y3m reminder in the inbox", func() bool {
				for _, x := range listOf(t, s.do(t, "GET", "/v1/people/me/reminders", ""), "reminders") {
					if x["youngPerson"] == yp && x["rule"] == "age.16y3m" {
						reminder = x
					}
				}
				return reminder != nil
			})
			if reminder["recipient"] != "people/"+pa || reminder["state"] != "OPEN" {
				t.Errorf("reminder %v", reminder)
			}
			// The endpoint also gets the council's open reminders raised before it existed:
			// look for this one's delivery.
			var a attempt
			eventually(t, "the webhook delivery", func() bool {
				for _, x := range hook.got() {
					if strings.Contains(string(x.body), reminder["name"].(string)) {
						a = x
						return true
					}
				}
				return false
			})
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(a.body, a.header); err != nil {
				t.Errorf("the signature does not verify with the Standard Webhooks library: %v", err)
			}
			body := string(a.body)
			for _, leak := range []string{"Rem", "Inder", "REM-1", "dateOfBirth", "date_of_birth"} {
				if strings.Contains(body, leak) {
					t.Errorf("the payload carries personal data %q: %s", leak, body)
				}
			}
			if !strings.Contains(body, reminder["name"].(string)) || !strings.Contains(body, yp) {
				t.Errorf("the payload does not name the reminder and young person: %s", body)
			}
			eventually(t, "the delivery recorded as delivered", func() bool {
				ds := listOf(t, admin.do(t, "GET", "/v1/"+ep["name"].(string)+"/deliveries?states=DELIVERED&pageSize=500", ""), "webhookDeliveries")
				return slices.ContainsFunc(ds, func(d map[string]any) bool { return d["webhookId"] == a.header.Get("webhook-id") })
			})

			// A rotated secret: every delivery is signed with the new and the old one until the
			// grace period ends, so the receiver can switch over without losing any.
			r = admin.do(t, "POST", "/v1/"+ep["name"].(string)+":rotateSecret", `{"gracePeriodHours": 2}`)
			if r.code != 200 {
				t.Fatalf("rotate: HTTP %d %s", r.code, r.body)
			}
			rotated := r.json(t)
			newSecret, _ := rotated["secret"].(string)
			if newSecret == secret || !strings.HasPrefix(newSecret, "whsec_") || rotated["previousSecretExpireTime"] == nil {
				t.Fatalf("rotation gave %v", rotated)
			}
			r = s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 17, Months: 6}, 2, "REM-3", s.person))
			if r.code != 200 {
				t.Fatalf("create young person: HTTP %d %s", r.code, r.body)
			}
			third := r.json(t)["name"].(string)
			var later attempt
			eventually(t, "a delivery after the rotation", func() bool {
				for _, x := range hook.got() {
					if strings.Contains(string(x.body), third) {
						later = x
						return true
					}
				}
				return false
			})
			for _, sec := range []string{secret, newSecret} {
				wh, err := standardwebhooks.NewWebhook(sec)
				if err != nil {
					t.Fatal(err)
				}
				if err := wh.Verify(later.body, later.header); err != nil {
					t.Errorf("during the rotation a delivery does not verify with one of the secrets: %v", err)
				}
			}

			// Only the recipient may act on it; acknowledging takes it out of the inbox.
			other := s.as(s.newPerson(t, fmt.Sprintf("test-pa-%d", personSeq.Add(1)), "nottinghamshire", "east", "PERSONAL_ADVISER"))
			name := reminder["name"].(string)
			wantRESTError(t, other.do(t, "POST", "/v1/"+name+":acknowledge", `{}`), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			wantRESTError(t, other.do(t, "GET", "/v1/people/"+pa+"/reminders", ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			// The council's own inbox (young people with no adviser) is for team managers, a
			// partner's for its officers.
			wantRESTError(t, s.do(t, "GET", "/v1/organisations/nottinghamshire/reminders", ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			listOf(t, s.as(s.manager(t)).do(t, "GET", "/v1/organisations/nottinghamshire/reminders", ""), "reminders")
			housing := s.as(tokenFor(t, "hana-housing"))
			wantRESTError(t, housing.do(t, "GET", "/v1/organisations/nottinghamshire/reminders", ""), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			listOf(t, housing.do(t, "GET", "/v1/organisations/framework-housing/reminders", ""), "reminders")
			if r := s.do(t, "POST", "/v1/"+name+":snooze", fmt.Sprintf(`{"snoozeUntil": %q}`,
				testclock.Now().Add(time.Hour).UTC().Format(time.RFC3339))); r.code != 200 {
				t.Fatalf("snooze: HTTP %d %s", r.code, r.body)
			}
			if contains(listOf(t, s.do(t, "GET", "/v1/people/me/reminders", ""), "reminders"), name) {
				t.Error("a snoozed reminder is still in the inbox")
			}
			if !contains(listOf(t, s.do(t, "GET", "/v1/people/me/reminders?showSnoozed=true", ""), "reminders"), name) {
				t.Error("showSnoozed does not show the snoozed reminder")
			}
			wantRESTError(t, s.do(t, "POST", "/v1/"+name+":snooze", `{"snoozeUntil": "2001-01-01T00:00:00Z"}`),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "snooze_until")
			if r := s.do(t, "POST", "/v1/"+name+":acknowledge", `{}`); r.code != 200 || r.json(t)["state"] != "ACKNOWLEDGED" {
				t.Fatalf("acknowledge: HTTP %d %s", r.code, r.body)
			}
			if contains(listOf(t, s.do(t, "GET", "/v1/people/me/reminders?showSnoozed=true", ""), "reminders"), name) {
				t.Error("an acknowledged reminder is still in the inbox")
			}
			wantRESTError(t, s.do(t, "POST", "/v1/"+name+":acknowledge", `{}`), 400, "FAILED_PRECONDITION", "INVALID_TRANSITION")
		})
	}
}

// A receiver that is down for longer than the retry schedule ends with failed deliveries
// that the API shows, on the endpoint and in its deliveries, and that the metrics count.
func TestWebhookReceiverDownEndsInVisibleFailure(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate, cfg.WebhookRetrySchedule = true, "1s,1s"
			s := start(t, cfg)
			admin := s.as(tokenFor(t, "ada-admin"))
			down := newReceiver(t, http.StatusServiceUnavailable)
			r := admin.do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints", fmt.Sprintf(`{"url": %q}`, down.URL))
			if r.code != 200 {
				t.Fatalf("create endpoint: HTTP %d %s", r.code, r.body)
			}
			ep := r.json(t)["name"].(string)
			pa := s.person
			if r := s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 18}, 2, "REM-2", pa)); r.code != 200 {
				t.Fatalf("create young person: HTTP %d %s", r.code, r.body)
			}
			var failed []map[string]any
			eventually(t, "every delivery failed", func() bool {
				pending := listOf(t, admin.do(t, "GET", "/v1/"+ep+"/deliveries?states=PENDING", ""), "webhookDeliveries")
				failed = listOf(t, admin.do(t, "GET", "/v1/"+ep+"/deliveries?states=FAILED", ""), "webhookDeliveries")
				return len(pending) == 0 && len(failed) > 0 // in this order, as in TestWebhookRedeliveryAndReplay
			})
			ids := map[string]bool{}
			for _, a := range down.got() {
				ids[a.header.Get("webhook-id")] = true
			}
			if n := len(down.got()); n != 3*len(ids) {
				t.Errorf("%d attempts for %d deliveries; the schedule allows 3 each", n, len(ids))
			}
			if f := failed[0]; f["attempts"] != float64(3) || f["lastError"] != "HTTP 503" {
				t.Errorf("failed delivery %v", f)
			}
			if n := admin.do(t, "GET", "/v1/"+ep, "").json(t)["failedDeliveries"]; n == nil || n.(float64) < 1 {
				t.Errorf("the endpoint shows %v failed deliveries", n)
			}
			metrics := s.do(t, "GET", "/metrics", "")
			if !strings.Contains(string(metrics.body), `carepath_webhook_deliveries_total{outcome="failed"}`) ||
				strings.Contains(string(metrics.body), `carepath_webhook_deliveries_total{outcome="failed"} 0`) {
				t.Error("the metrics do not count the failed delivery")
			}
		})
	}
}

// Endpoints on private, loopback or link-local addresses are refused unless the
// development flag allows them.
func TestWebhookEndpointsOnPrivateAddressesAreRefused(t *testing.T) {
	s := start(t, memoryBackend().configure(t))
	admin := s.as(tokenFor(t, "ada-admin"))
	for _, u := range []string{"https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest",
		"https://[::1]/hook", "http://example.org/hook"} {
		wantRESTError(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints", fmt.Sprintf(`{"url": %q}`, u)),
			400, "INVALID_ARGUMENT", "REQUEST_INVALID", "webhook_endpoint.url")
	}
	// Another council's administrator cannot register endpoints for this one.
	wantRESTError(t, s.as(tokenFor(t, "dara-admin")).do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
		`{"url": "https://example.org/hook"}`), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
}

func listOf(t *testing.T, r restResponse, field string) []map[string]any {
	t.Helper()
	if r.code != 200 {
		t.Fatalf("list: HTTP %d %s", r.code, r.body)
	}
	var out []map[string]any
	items, _ := r.json(t)[field].([]any)
	for _, x := range items {
		out = append(out, x.(map[string]any))
	}
	return out
}

func contains(items []map[string]any, name string) bool {
	for _, x := range items {
		if x["name"] == name {
			return true
		}
	}
	return false
}

// An internal consumer watching its reminders over gRPC gets each new one as it is raised,
// once, and nobody else's.
func TestWatchReminders(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, b.configure(t))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stream, err := pb.NewReminderServiceClient(s.conn).WatchReminders(ctx, &pb.WatchRemindersRequest{Parent: "people/me"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stream.Header(); err != nil { // the watch has started
				t.Fatal(err)
			}
			// Someone else's young person first (sam-okoro's, created by his team manager),
			// then the watcher's own.
			if r := s.as(tokenFor(t, "tess-manager")).do(t, "POST", "/v1/youngPeople",
				youngPersonTurned(civil.Period{Years: 16}, 1, "WATCH-0", "sam-okoro")); r.code != 200 {
				t.Fatalf("create: HTTP %d %s", r.code, r.body)
			}
			r := s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 16, Months: 3}, 1, "WATCH-1", s.person))
			if r.code != 200 {
				t.Fatalf("create: HTTP %d %s", r.code, r.body)
			}
			yp := r.json(t)["name"].(string)
			got, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if got.GetYoungPerson() != yp || got.GetRecipient() != "people/"+s.person || got.GetRule() != "age.16y3m" {
				t.Fatalf("watched %v, want the 16y3m reminder of %s for %s", got, yp, s.person)
			}
		})
	}
}
