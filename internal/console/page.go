package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/carepath/carepath/internal/platform/requestid"
)

// call is one request to a page: who is asking and the context that carries their token
// to the API.
type call struct {
	r    *http.Request
	ctx  context.Context
	sess session
}

// view is what a page renders: a template, its title and data, and a status.
type view struct {
	template string
	title    string
	data     any
	status   int
	// errors are shown in the GOV.UK error summary, each linked to its field.
	errors []fieldError
}

type fieldError struct{ Field, Message string }

// redirect is what a form returns when it worked: where to go next (post/redirect/get).
type redirect string

// pageFunc renders a page for a signed-in person.
type pageFunc func(c *call) (view, error)

// formFunc handles a form post; on success it redirects, on a refusal it returns the view
// to show again with the errors.
type formFunc func(c *call) (redirect, view, error)

// page is the one way a page is served: find the session (or send the browser to sign in),
// carry the token to the API, render the view or the error. Access and audit happen in the
// API, for every page alike.
func (c *Console) page(fn pageFunc) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, cl *call) {
		v, err := fn(cl)
		if err != nil {
			c.fail(w, cl, err)
			return
		}
		c.render(w, cl.r, &cl.sess, v)
	})
}

// form is page for posts: the CSRF token must match the session's first.
func (c *Console) form(fn formFunc) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, cl *call) {
		if err := cl.r.ParseForm(); err != nil || !sameToken(cl.r.PostFormValue("csrf"), cl.sess.CSRF) {
			c.render(w, cl.r, &cl.sess, view{template: "error", title: "Your form has expired", status: http.StatusForbidden,
				data: problem{Heading: "Your form has expired", Body: "Go back, reload the page and try again. Nothing was changed."}})
			return
		}
		to, v, err := fn(cl)
		switch {
		case err != nil:
			c.fail(w, cl, err)
		case to != "":
			http.Redirect(w, cl.r, string(to), http.StatusSeeOther)
		default:
			c.render(w, cl.r, &cl.sess, v)
		}
	})
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (c *Console) signedIn(fn func(http.ResponseWriter, *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.currentSession(r)
		if !ok {
			next := r.URL.Path
			if r.Method != http.MethodGet {
				next = Prefix
			}
			http.Redirect(w, r, Prefix+"sign-in?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		md := metadata.Pairs("authorization", "Bearer "+s.Token)
		if c.opts.Metadata != nil {
			md = metadata.Join(md, c.opts.Metadata(r))
		}
		fn(w, &call{r: r, ctx: metadata.NewOutgoingContext(r.Context(), md), sess: s})
	})
}

// problem is the data of the error page.
type problem struct {
	Heading, Body string
	Details       []string
}

// fail shows an API error as a page. A refusal and a missing record look the same, as
// they do in the API, so a page never tells whether someone it hides exists. Messages are
// the API's, which never hold personal data; what is logged is the code and request id.
func (c *Console) fail(w http.ResponseWriter, cl *call, err error) {
	st, _ := status.FromError(err)
	p := problem{Heading: "Sorry, there is a problem with the service", Body: "Try again later."}
	code := http.StatusInternalServerError
	switch st.Code() {
	case codes.Unauthenticated:
		clearCookie(w, sessionCookie)
		http.Redirect(w, cl.r, Prefix+"sign-in", http.StatusSeeOther)
		return
	case codes.PermissionDenied, codes.NotFound:
		code, p = http.StatusNotFound, problem{Heading: "Page not found",
			Body: "There is nothing here that you may see. If you typed the web address, check it is correct."}
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		code, p = http.StatusBadRequest, problem{Heading: "That could not be done", Body: st.Message(), Details: violations(st)}
	case codes.Aborted, codes.AlreadyExists:
		code, p = http.StatusConflict, problem{Heading: "Someone else changed this", Body: conflictMessage}
	case codes.ResourceExhausted:
		code, p = http.StatusTooManyRequests, problem{Heading: "Too many requests", Body: "Wait a minute, then try again."}
	case codes.Unavailable, codes.DeadlineExceeded:
		code = http.StatusServiceUnavailable
	}
	if code >= 500 {
		c.log.Warn("console page failed", "path", cl.r.URL.Path, "code", st.Code().String(), "request_id", requestid.From(cl.r.Context()))
	}
	c.render(w, cl.r, &cl.sess, view{template: "error", title: p.Heading, status: code, data: p})
}

const conflictMessage = "Someone else changed this record after you opened the page, so your change was not saved. " +
	"The page now shows the latest version: check it, then make your change again."

// violations are a status's field violations, in words.
func violations(st *status.Status) []string {
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField()+": "+v.GetDescription())
			}
		}
	}
	return out
}

// formErrors turns an InvalidArgument's field violations into the form's errors, each on
// the form field the API field maps to; false when err is not such a refusal.
func formErrors(err error, fields map[string]string) ([]fieldError, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return nil, false
	}
	var out []fieldError
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				field := fields[v.GetField()]
				out = append(out, fieldError{Field: field, Message: sentence(v.GetDescription())})
			}
		}
	}
	if len(out) == 0 {
		out = append(out, fieldError{Message: sentence(st.Message())})
	}
	return out, true
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// pageTemplate is one page: the layout with the page's own content.
type pageTemplate struct{ t *template.Template }

// layoutData is what the layout gets around a page's own data.
type layoutData struct {
	Title   string
	Council string
	Session *session
	Nav     []navItem
	Errors  []fieldError
	Path    string
	Data    any
}

type navItem struct {
	Href, Label string
	Current     bool
}

func parseTemplates() (map[string]*pageTemplate, error) {
	base, err := template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, name := range names {
		t, err := template.Must(base.Clone()).ParseFS(files, name)
		if err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(path.Base(name), ".html")] = &pageTemplate{t: t}
	}
	return pages, nil
}

// render writes a view inside the layout. It renders into a buffer first, so a template
// error becomes a clean error page, never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, v view) {
	p, ok := c.pages[v.template]
	if !ok {
		c.log.Error("console: no such template", "template", v.template)
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	title := v.title
	if len(v.errors) > 0 {
		title = "Error: " + title
	}
	data := layoutData{Title: title, Council: c.opts.Council, Session: s, Errors: v.errors, Path: r.URL.Path, Data: v.data}
	if s != nil && s.Token != "" {
		data.Nav = navFor(*s, r.URL.Path)
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", data); err != nil {
		c.log.Error("console: rendering a page", "template", v.template, "error", err)
		http.Error(w, "Sorry, there is a problem with the service.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v.status != 0 {
		w.WriteHeader(v.status)
	}
	_, _ = buf.WriteTo(w)
}

// navFor is the service navigation a person's roles open.
func navFor(s session, current string) []navItem {
	var items []navItem
	add := func(href, label string) {
		// A section's pages are under its address, except the young person's home, whose
		// sections are beside it.
		under := href != Prefix+"me" && strings.HasPrefix(current, href+"/")
		items = append(items, navItem{Href: href, Label: label, Current: current == href || under})
	}
	if s.has("YOUNG_PERSON") {
		add(Prefix+"me", "Your pathway")
		add(Prefix+"me/voice", "What you want")
		add(Prefix+"me/skills", "What you can do")
		add(Prefix+"me/sharing", "Who sees your information")
		return items
	}
	if s.has("PERSONAL_ADVISER") {
		add(Prefix+"caseload", "My caseload")
		add(Prefix+"reminders", "My reminders")
	}
	if s.has("TEAM_MANAGER") || s.has("PERSONAL_ADVISER") {
		add(Prefix+"cliff-edge", "Cliff edge")
	}
	if s.has("TEAM_MANAGER") || s.has("ADMINISTRATOR") {
		add(Prefix+"board", "Partnership board")
	}
	if s.has("PARTNER_OFFICER") || s.has("PARTNER_ADMINISTRATOR") {
		add(Prefix+"shared", "Shared with us")
	}
	if s.has("ADMINISTRATOR") || s.has("PARTNER_ADMINISTRATOR") {
		add(Prefix+"admin", "Administration")
	}
	return items
}
