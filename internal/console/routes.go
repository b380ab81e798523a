package console

import "net/http"

// routes are the console's pages. Each page is a pageFunc or formFunc behind c.page or
// c.form, which find the session, carry the token and render.
func (c *Console) routes() {
	m := c.mux
	m.Handle("GET "+Prefix+"static/", staticHandler())
	m.HandleFunc("GET "+Prefix+"sign-in", c.signInForm)
	m.HandleFunc("POST "+Prefix+"sign-in", c.devSignIn)
	m.HandleFunc("GET "+Prefix+"sign-in/oidc", c.oidcStart)
	m.HandleFunc("GET "+Prefix+"sign-in/callback", c.oidcCallback)
	m.HandleFunc("POST "+Prefix+"sign-out", c.signOutHandler)
	m.HandleFunc("GET "+Prefix+"signed-out", c.signedOut)

	m.Handle("GET "+Prefix+"{$}", c.page(c.home))
	m.Handle("GET "+Prefix+"cliff-edge", c.page(c.cliffEdge))
	for _, p := range c.extraPages() {
		m.Handle(p.pattern, p.handler)
	}
	m.Handle(Prefix, c.page(func(*call) (view, error) { return notFound(), nil }))
}

// route is one more page, registered by the file that serves it.
type route struct {
	pattern string
	handler http.Handler
}

func notFound() view {
	return view{template: "error", title: "Page not found", status: http.StatusNotFound,
		data: problem{Heading: "Page not found", Body: "If you typed the web address, check it is correct."}}
}
