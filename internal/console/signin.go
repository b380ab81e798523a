package console

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// signInPage offers the ways to sign in: the identity provider, and on a developer's
// machine the demo people.
type signInPage struct {
	Next     string
	OIDC     bool
	Demo     []DevPerson
	Selected string
}

func (c *Console) signInForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.currentSession(r); ok {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	c.render(w, r, nil, view{template: "sign-in", title: "Sign in", data: signInPage{
		Next: safeNext(r.URL.Query().Get("next")), OIDC: c.oidc != nil, Demo: c.opts.DevSignIn}})
}

// devSignIn signs in as a demo person with a development token.
func (c *Console) devSignIn(w http.ResponseWriter, r *http.Request) {
	if len(c.opts.DevSignIn) == 0 || c.opts.Mint == nil {
		http.NotFound(w, r)
		return
	}
	subject := r.PostFormValue("person")
	next := safeNext(r.PostFormValue("next"))
	if !slices.ContainsFunc(c.opts.DevSignIn, func(p DevPerson) bool { return p.Subject == subject }) {
		c.render(w, r, nil, view{template: "sign-in", title: "Sign in", status: http.StatusBadRequest,
			errors: []fieldError{{Field: "person", Message: "Select who to sign in as."}},
			data:   signInPage{Next: next, OIDC: c.oidc != nil, Demo: c.opts.DevSignIn}})
		return
	}
	now := c.now()
	token, err := c.opts.Mint(subject, c.opts.SessionTTL, now)
	if err != nil {
		c.log.Error("console: minting a development token", "error", err)
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	c.startSession(w, r, session{Subject: subject, Token: token, Expiry: now.Add(c.opts.SessionTTL)}, next)
}

// startSession learns who the token is for from the API (people/me), so the console shows
// the person's own name and the pages their roles open, then sets the session cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, s session, next string) {
	md := metadata.Pairs("authorization", "Bearer "+s.Token)
	if c.opts.Metadata != nil {
		md = metadata.Join(md, c.opts.Metadata(r))
	}
	me, err := c.clients.access.GetPerson(metadata.NewOutgoingContext(r.Context(), md), &pb.GetPersonRequest{Name: "people/me"})
	if err != nil {
		c.refuseSession(w, r, err)
		return
	}
	s.DisplayName = me.GetDisplayName()
	s.Organisation = strings.TrimPrefix(me.GetOrganisation(), "organisations/")
	s.YoungPerson = strings.TrimPrefix(me.GetYoungPerson(), "youngPeople/")
	for _, role := range me.GetRoles() {
		s.Roles = append(s.Roles, role.String())
	}
	s.CSRF = rand.Text()
	if err := c.setCookie(w, sessionCookie, s, s.Expiry); err != nil {
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	if next == "" {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// refuseSession explains why people/me refused a token just obtained. Only a person the
// API does not know is told to ask their administrator: a token the API will not accept
// (another audience or issuer, a key it cannot fetch) is a configuration fault that no
// administrator of people can fix, and an API that does not answer is worth a retry; both
// are logged, or nobody could tell the three apart.
func (c *Console) refuseSession(w http.ResponseWriter, r *http.Request, err error) {
	switch status.Code(err) {
	case codes.PermissionDenied, codes.NotFound:
		c.render(w, r, nil, view{template: "error", title: "You cannot use carepath yet", status: http.StatusForbidden,
			data: problem{Heading: "You cannot use carepath yet",
				Body: "You signed in, but carepath does not know you. Ask your carepath administrator to add you."}})
	case codes.Unauthenticated:
		c.log.Warn("console: the API refused the token from sign-in", "error", err)
		c.render(w, r, nil, view{template: "error", title: "Sign-in did not work", status: http.StatusUnauthorized,
			data: problem{Heading: "Sign-in did not work",
				Body: "carepath could not accept the sign-in from your organisation's sign-in service. Ask your IT service desk."}})
	default:
		c.log.Error("console: looking up the person signing in", "error", err)
		c.render(w, r, nil, view{template: "error", title: "Sorry, there is a problem with the service",
			status: http.StatusServiceUnavailable,
			data:   problem{Heading: "Sorry, there is a problem with the service", Body: "Try signing in again later."}})
	}
}

// signOutHandler ends the session (a form with the CSRF token, so no other site can sign
// anyone out), then with OpenID Connect at the identity provider too.
func (c *Console) signOutHandler(w http.ResponseWriter, r *http.Request) {
	s, ok := c.currentSession(r)
	if ok {
		if err := r.ParseForm(); err != nil || !sameToken(r.PostFormValue("csrf"), s.CSRF) {
			http.Redirect(w, r, Prefix, http.StatusSeeOther)
			return
		}
	}
	clearCookie(w, sessionCookie)
	if ok && c.oidc != nil {
		if to := c.oidc.endSession(absolute(r, Prefix+"signed-out")); to != "" {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, Prefix+"signed-out", http.StatusSeeOther)
}

func (c *Console) signedOut(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, nil, view{template: "signed-out", title: "You have signed out"})
}

// safeNext keeps a post-sign-in destination inside the console: never another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}

// absolute is an address on this server, as the browser reached it.
func absolute(r *http.Request, p string) string {
	scheme := "https"
	if r.TLS == nil && isLoopback(r.Host) {
		scheme = "http"
	}
	return scheme + "://" + r.Host + p
}

func isLoopback(host string) bool {
	h := host
	if i := strings.LastIndex(h, ":"); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]"
}
