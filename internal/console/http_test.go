package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// signInHTTP signs a demo person in with plain HTTP and returns their session cookie and
// a page's CSRF token. Go's cookie jar will not send a Secure cookie over http, so the
// cookie is carried by hand.
func (s *site) signInHTTP(t testing.TB, subject string) (*http.Cookie, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/app/sign-in", strings.NewReader(url.Values{"person": {subject}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.base)
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "__Host-carepath-session" {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("the session cookie is %+v: want Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", c)
			}
			_, body := s.get(t, c, "/app/reminders")
			i := strings.Index(body, `name="csrf" value="`)
			if i < 0 {
				t.Fatal("no CSRF token on the reminders page")
			}
			token := body[i+len(`name="csrf" value="`):]
			return c, token[:strings.Index(token, `"`)]
		}
	}
	t.Fatalf("signing in as %s set no session cookie (HTTP %d)", subject, res.StatusCode)
	return nil, ""
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (s *site) get(t testing.TB, c *http.Cookie, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (s *site) post(t *testing.T, c *http.Cookie, path, origin string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.AddCookie(c)
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestConsoleHeadersAndForgery: every page is no-store with a strict policy; a form
// without the session's CSRF token, or from another site, is refused and changes nothing.
func TestConsoleHeadersAndForgery(t *testing.T) {
	s := demoSite(t)
	amani := s.youngPerson(t, "Amani")
	cookie, csrf := s.signInHTTP(t, "sam-okoro")
	for _, path := range []string{"/app/sign-in", "/app/", "/app/young-people/" + amani, "/app/caseload", "/app/no-such-page"} {
		res, _ := s.get(t, cookie, path)
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, got)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	_, before := s.get(t, cookie, "/app/reminders")
	first := strings.Index(before, `action="/app/reminders/`)
	action := before[first+len(`action="`):]
	action = action[:strings.Index(action, `"`)]
	for name, tc := range map[string]struct {
		origin string
		form   url.Values
		want   int
	}{
		"no token":    {s.base, url.Values{}, http.StatusForbidden},
		"wrong token": {s.base, url.Values{"csrf": {"not-the-token"}}, http.StatusForbidden},
		"other site":  {"https://evil.example", url.Values{"csrf": {csrf}}, http.StatusForbidden},
	} {
		if res := s.post(t, cookie, action, tc.origin, tc.form); res.StatusCode != tc.want {
			t.Errorf("%s: HTTP %d, want %d", name, res.StatusCode, tc.want)
		}
	}
	if _, after := s.get(t, cookie, "/app/reminders"); strings.Count(after, `action="/app/reminders/`) != strings.Count(before, `action="/app/reminders/`) {
		t.Error("a refused form changed the reminders")
	}
	if res := s.post(t, cookie, action, s.base, url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("with the token and from the console: HTTP %d, want 303", res.StatusCode)
	}
}

// TestConsoleLogsNoPersonalData: after the pages have been used, the server's logs hold
// no demo young person's name, date of birth or case reference.
func TestConsoleLogsNoPersonalData(t *testing.T) {
	s := demoSite(t)
	amani := s.youngPerson(t, "Amani")
	cookie, _ := s.signInHTTP(t, "sam-okoro")
	for _, path := range []string{"/app/", "/app/caseload", "/app/young-people/" + amani, "/app/cliff-edge", "/app/young-people/" + amani + "/facts/nope"} {
		s.get(t, cookie, path)
	}
	ctx, conn := s.api(t, "tess-manager")
	yp, err := pb.NewYoungPeopleServiceClient(conn).GetYoungPerson(ctx, &pb.GetYoungPersonRequest{Name: "youngPeople/" + amani})
	if err != nil {
		t.Fatal(err)
	}
	dob := yp.GetDateOfBirth()
	logs := s.logs.String()
	if !strings.Contains(logs, "/app/") && !strings.Contains(logs, "finished call") {
		t.Fatal("the test saw no logs at all: it would pass whatever they held")
	}
	for _, personal := range []string{"Amani", "Tesfaye", "Maya", "Thornton", "Barraclough", yp.GetCaseReference(),
		fmt.Sprintf("%04d-%02d-%02d", dob.GetYear(), dob.GetMonth(), dob.GetDay())} {
		if strings.Contains(logs, personal) {
			t.Errorf("the logs hold %q", personal)
		}
	}
}
