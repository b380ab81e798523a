// Package console is carepath's web console under /app/: server-rendered pages, in the
// GOV.UK Design System's patterns, for the people who plan young people's pathways (team
// managers, personal advisers, partner officers, administrators).
//
// The console holds no data and makes no access decision of its own: every page calls the
// API over the server's own gRPC listener with the signed-in person's bearer token, so the
// same authentication, access rules, validation, rate limits and audit apply as to any other
// client, and a page shows exactly what its viewer may see.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

//go:embed templates static
var files embed.FS

// Prefix is where the console is served.
const Prefix = "/app/"

// Options configure the console.
type Options struct {
	// Conn reaches the server's own gRPC listener; every page's calls go through it.
	Conn grpc.ClientConnInterface
	// Council is the name in the header, the council's own (never GOV.UK's).
	Council string
	// Contact is how young people reach the leaving care team, on their own pages.
	Contact string
	// Now is the clock of sessions and tokens; nil is the real time.
	Now func() time.Time
	// SessionKey seals the session cookie: 32 bytes shared by every replica. Nil makes a
	// random key, so sessions end when the process does (fine for one replica).
	SessionKey []byte
	// SessionTTL bounds a session (and a development token); zero is eight hours.
	SessionTTL time.Duration
	// DevSignIn, when set, offers a page to sign in as one of these demo people, with
	// tokens from Mint (the development issuer); for a developer's machine only.
	DevSignIn []DevPerson
	Mint      func(subject string, ttl time.Duration, now time.Time) (string, error)
	// OIDC, when set, signs people in at the identity provider the API trusts.
	OIDC *OIDCConfig
	// Metadata vouches for the browser's address to the API, as the REST gateway does.
	Metadata func(*http.Request) metadata.MD
	Log      *slog.Logger
}

// DevPerson is a demo person the development sign-in page offers.
type DevPerson struct {
	Subject string
	Label   string // "Sam Okoro, personal adviser (north team)"
}

// Console serves the pages.
type Console struct {
	opts    Options
	now     func() time.Time
	sealer  *sealer
	pages   map[string]*pageTemplate
	oidc    *oidcFlow
	log     *slog.Logger
	clients clients
	mux     *http.ServeMux
}

// clients are the API's services, as the console calls them.
type clients struct {
	access    pb.AccessServiceClient
	people    pb.YoungPeopleServiceClient
	episodes  pb.CareEpisodesServiceClient
	pathways  pb.PathwaysServiceClient
	readiness pb.ReadinessServiceClient
	reminders pb.ReminderServiceClient
	sharing   pb.SharingServiceClient
	partner   pb.PartnerServiceClient
	audit     pb.AuditServiceClient
	voice     pb.VoiceServiceClient
	board     pb.BoardServiceClient
}

// New builds the console.
func New(ctx context.Context, opts Options) (*Console, error) {
	if opts.Conn == nil {
		return nil, errors.New("console: no connection to the API")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 8 * time.Hour
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Council == "" {
		opts.Council = "Your council"
	}
	key := opts.SessionKey
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	c := &Console{opts: opts, now: opts.Now, sealer: s, pages: pages, log: opts.Log, mux: http.NewServeMux(),
		clients: clients{
			access: pb.NewAccessServiceClient(opts.Conn), people: pb.NewYoungPeopleServiceClient(opts.Conn),
			episodes: pb.NewCareEpisodesServiceClient(opts.Conn), pathways: pb.NewPathwaysServiceClient(opts.Conn),
			readiness: pb.NewReadinessServiceClient(opts.Conn), reminders: pb.NewReminderServiceClient(opts.Conn),
			sharing: pb.NewSharingServiceClient(opts.Conn), partner: pb.NewPartnerServiceClient(opts.Conn),
			audit: pb.NewAuditServiceClient(opts.Conn), voice: pb.NewVoiceServiceClient(opts.Conn),
			board: pb.NewBoardServiceClient(opts.Conn),
		}}
	if opts.OIDC != nil {
		if c.oidc, err = newOIDCFlow(ctx, *opts.OIDC); err != nil {
			return nil, err
		}
	}
	if c.oidc == nil && len(opts.DevSignIn) == 0 {
		return nil, errors.New("console: no way to sign in: configure OpenID Connect or the development issuer")
	}
	c.routes()
	return c, nil
}

// ServeHTTP serves the console, refusing cross-origin form posts (Sec-Fetch-Site and
// Origin, as net/http's CrossOriginProtection checks them) before any handler runs; forms
// also carry the session's CSRF token.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secure(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	crossOrigin.Handler(c.mux).ServeHTTP(w, r)
}

var crossOrigin = http.NewCrossOriginProtection()

// maxForm bounds a form post: the longest form (evidence, a reason) is well under it.
const maxForm = 64 << 10

// secure sets the headers every console response carries. Pages hold personal data, so
// nothing is cached or framed, no script or style comes from elsewhere and no address
// leaks in a Referer.
func secure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// static serves the style sheets and scripts; they hold nothing personal, so they may be
// cached.
func staticHandler() http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(fmt.Sprintf("console: %v", err))
	}
	fileServer := http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}
