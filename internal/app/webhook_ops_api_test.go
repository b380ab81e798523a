package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/platform/webhook/webhooktest"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A partner's receiver that was down: its deliveries failed after the schedule. Once it is
// back, the administrator redelivers one failed delivery, then replays the rest since a
// time, a page at a time; every delivery arrives again under its own webhook-id, signed
// with the endpoint's Ed25519 key (verified with its public key). Rotating the endpoint to
// HMAC signs with both during the grace period, each verified by its own verifier (the
// reference library for v1). Both operations are in the audit trail.
func TestWebhookRedeliveryAndReplay(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := b.configure(t)
			cfg.WebhookAllowPrivate, cfg.WebhookRetrySchedule = true, "1s,1s"
			s := start(t, cfg)
			admin := s.as(tokenFor(t, "ada-admin"))
			rcv := newReceiver(t, http.StatusServiceUnavailable)
			created := mustREST(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
				fmt.Sprintf(`{"url": %q, "signingAlgorithm": "ED25519"}`, rcv.URL))).json(t)
			ep, pub := created["name"].(string), created["publicKey"].(string)
			if created["secret"] != "" || !strings.HasPrefix(pub, "whpk_") || created["signingAlgorithm"] != "ED25519" {
				t.Fatalf("an Ed25519 endpoint was created as %v", created)
			}
			if got := mustREST(t, admin.do(t, "GET", "/v1/"+ep, "")).json(t)["publicKey"]; got != pub {
				t.Fatalf("the endpoint reads with public key %v, created with %s", got, pub)
			}
			// The kind of key changes only with the key (rotation), never by an update.
			wantRESTError(t, admin.do(t, "PATCH", "/v1/"+ep+"?updateMask=signingAlgorithm", `{"signingAlgorithm": "HMAC_SHA256"}`),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "webhook_endpoint.signing_algorithm")
			for i := range 2 { // two at least: the replay takes pages of one
				mustREST(t, s.do(t, "POST", "/v1/youngPeople", youngPersonTurned(civil.Period{Years: 18}, 2+i, fmt.Sprint("REM-OPS-", i), s.person)))
			}

			deliveries := func(state string) []map[string]any {
				return listOf(t, admin.do(t, "GET", "/v1/"+ep+"/deliveries?states="+state, ""), "webhookDeliveries")
			}
			var failed []map[string]any
			eventually(t, "every delivery failed", func() bool {
				// None pending first, then the failed: read the other way round, the last
				// round of attempts could end between the two reads and leave some out.
				if len(deliveries("PENDING")) != 0 {
					return false
				}
				failed = deliveries("FAILED")
				return len(failed) >= 2
			})
			if len(failed) < 2 {
				t.Fatalf("%d failed deliveries; the test needs two or more", len(failed))
			}
			since := testclock.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
			rcv.answer(http.StatusNoContent)

			// Only a FAILED delivery is redelivered, and the endpoint's own.
			first := failed[len(failed)-1] // the oldest
			name := first["name"].(string)
			again := mustREST(t, admin.do(t, "POST", "/v1/"+name+":redeliver", `{}`)).json(t)
			if again["state"] != "PENDING" || again["webhookId"] != first["webhookId"] || again["attempts"] != float64(0) {
				t.Fatalf("redelivered as %v, was %v", again, first)
			}
			wantRESTError(t, admin.do(t, "POST", "/v1/"+name+":redeliver", `{}`), 400, "FAILED_PRECONDITION", "INVALID_TRANSITION")
			other := mustREST(t, admin.do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
				fmt.Sprintf(`{"url": %q, "disabled": true}`, rcv.URL))).json(t)["name"].(string)
			wantRESTError(t, admin.do(t, "POST", "/v1/"+other+name[strings.Index(name, "/deliveries/"):]+":redeliver", `{}`),
				404, "NOT_FOUND", "RESOURCE_NOT_FOUND")
			wantRESTError(t, s.do(t, "POST", "/v1/"+name+":redeliver", `{}`), 403, "PERMISSION_DENIED", "ACCESS_DENIED")
			delivered := func(webhookID string) bool {
				for _, a := range rcv.got() {
					if a.header.Get("webhook-id") == webhookID && a.status == http.StatusNoContent {
						return true
					}
				}
				return false
			}
			// Recorded as delivered, not only received: a replay leaves pending ones alone.
			eventually(t, "the redelivery", func() bool {
				return delivered(first["webhookId"].(string)) && contains(deliveries("DELIVERED"), name)
			})

			for _, bad := range []time.Time{testclock.Now().Add(time.Hour), testclock.Now().Add(-91 * 24 * time.Hour)} {
				wantRESTError(t, admin.do(t, "POST", "/v1/"+ep+":replay", fmt.Sprintf(`{"since": %q}`, bad.Format(time.RFC3339))),
					400, "INVALID_ARGUMENT", "REQUEST_INVALID", "since")
			}

			// Replay since an hour ago, one delivery a call: each failed one once, and the
			// one just redelivered again, oldest first.
			replayed := map[string]bool{}
			var order []string
			pages := 0
			for token, calls := "", 0; ; calls++ {
				if calls > len(failed)+10 { // deliveries raised meanwhile are replayed too
					t.Fatalf("the replay did not end after %d calls", calls)
				}
				r := mustREST(t, admin.do(t, "POST", "/v1/"+ep+":replay",
					fmt.Sprintf(`{"since": %q, "pageSize": 1, "pageToken": %q}`, since, token)))
				pages++
				page := r.json(t)
				if len(listOf(t, r, "webhookDeliveries")) == 0 {
					pages-- // a page with no delivery names no young person: nothing to audit
				}
				for _, d := range listOf(t, r, "webhookDeliveries") {
					if d["state"] != "PENDING" || replayed[d["webhookId"].(string)] {
						t.Fatalf("replayed %v", d)
					}
					replayed[d["webhookId"].(string)] = true
					order = append(order, d["name"].(string))
				}
				if token, _ = page["nextPageToken"].(string); token == "" {
					break
				}
			}
			// Every failed one, the oldest first; a delivery the council's sweep raised since the
			// failures were counted (to this council endpoint) is replayed too, later.
			for _, f := range failed {
				if !replayed[f["webhookId"].(string)] {
					t.Fatalf("the replay left out the failed delivery %s", f["name"])
				}
			}
			if !slices.IsSorted(order) { // delivery ids grow with time
				t.Fatalf("the replay did not go oldest first: %v", order)
			}
			eventually(t, "every replayed delivery", func() bool {
				for id := range replayed {
					if !delivered(id) {
						return false
					}
				}
				return len(deliveries("DELIVERED")) >= len(failed)
			})
			for _, a := range rcv.got() {
				if a.status != http.StatusNoContent {
					continue
				}
				if err := webhooktest.VerifyEd25519(pub, a.body, a.header, time.Now()); err != nil { // signed on the real clock
					t.Fatalf("delivery %s: %v", a.header.Get("webhook-id"), err)
				}
				if strings.Contains(a.header.Get("webhook-signature"), "v1,") {
					t.Fatalf("an Ed25519 endpoint's delivery carries an HMAC signature: %s", a.header.Get("webhook-signature"))
				}
			}

			// Rotating to HMAC: the new secret signs v1 and the previous key v1a until the
			// grace period ends.
			rotated := mustREST(t, admin.do(t, "POST", "/v1/"+ep+":rotateSecret", `{"signingAlgorithm": "HMAC_SHA256"}`)).json(t)
			secret, _ := rotated["secret"].(string)
			if !strings.HasPrefix(secret, "whsec_") || rotated["previousPublicKey"] != pub || rotated["publicKey"] != "" {
				t.Fatalf("rotated to HMAC as %v", rotated)
			}
			before := len(rcv.got())
			mustREST(t, admin.do(t, "POST", "/v1/"+ep+":replay", fmt.Sprintf(`{"since": %q}`, since)))
			eventually(t, "the replay after rotation", func() bool { return len(rcv.got()) >= before+len(failed) })
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range rcv.got()[before:] {
				if err := wh.Verify(a.body, a.header); err != nil {
					t.Fatalf("v1 with the new secret: %v", err)
				}
				if err := webhooktest.VerifyEd25519(pub, a.body, a.header, time.Now()); err != nil {
					t.Fatalf("v1a with the previous key: %v", err)
				}
			}

			// A disabled endpoint is sent nothing again.
			mustREST(t, admin.do(t, "PATCH", "/v1/"+ep+"?updateMask=disabled", `{"disabled": true}`))
			wantRESTError(t, admin.do(t, "POST", "/v1/"+ep+":replay", fmt.Sprintf(`{"since": %q}`, since)),
				400, "FAILED_PRECONDITION", "INVALID_TRANSITION")

			var ops []string
			for _, r := range auditTrail(t, s, "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "people/ada-admin"}) {
				if r.GetPurpose() == "WEBHOOK_OPERATIONS" {
					ops = append(ops, strings.TrimPrefix(r.GetAction(), "carepath.v1.ReminderService/"))
				}
			}
			// The redelivery, the replay's pages and the replay after rotation.
			if want := 1 + pages + 1; len(ops) != want || ops[len(ops)-1] != "RedeliverWebhookDelivery" {
				t.Fatalf("audit trail has %d webhook operations %v, want %d ending with the redelivery", len(ops), ops, want)
			}
		})
	}
}
