package console_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/testclock"
)

// BenchmarkConsolePages times console pages against the reference of the same run: one
// REST read of the same young person through the gateway. The young person's page makes
// six API calls in parallel and draws the timeline; the ratio says what that costs.
//
//	go test ./internal/console -run '^$' -bench ConsolePages -benchtime 200x
func BenchmarkConsolePages(b *testing.B) {
	s := demoSite(b)
	amani := s.youngPerson(b, "Amani")
	cookie, _ := s.signInHTTP(b, "sam-okoro")
	token, err := authn.DevToken("sam-okoro", time.Hour, testclock.Now())
	if err != nil {
		b.Fatal(err)
	}
	get := func(b *testing.B, path string, auth func(*http.Request)) {
		for b.Loop() {
			req, _ := http.NewRequest("GET", s.base+path, nil)
			auth(req)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				b.Fatalf("%s: %v %v", path, err, res)
			}
			res.Body.Close()
		}
	}
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	session := func(r *http.Request) { r.AddCookie(cookie) }
	b.Run("reference=rest-get-young-person", func(b *testing.B) { get(b, "/v1/youngPeople/"+amani, bearer) })
	b.Run("page=young-person", func(b *testing.B) { get(b, "/app/young-people/"+amani, session) })
	b.Run("page=cliff-edge", func(b *testing.B) { get(b, "/app/cliff-edge", session) })
	b.Run("page=caseload", func(b *testing.B) { get(b, "/app/caseload", session) })
}
