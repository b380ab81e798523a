package console_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/carepath/carepath/internal/app"
	bt "github.com/carepath/carepath/internal/browsertest"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// -screenshots refreshes the README's pictures from the demo data:
// go test ./internal/console -run TestConsoleScreenshots -screenshots
var screenshots = flag.Bool("screenshots", false, "write the README's screenshots to docs/screenshots")

// site is a carepath server with the demo data, for a browser to sign in to.
type site struct {
	base string // http://localhost:PORT: Chromium keeps Secure cookies for localhost
	grpc string
	logs *syncBuffer // everything the server logged
}

// syncBuffer is a log sink the server writes while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	shared     *site
	sharedOnce sync.Once
)

// demoSite is one server for the package's browser tests (starting one per test costs
// seconds; tests that change data use young people of their own).
func demoSite(t testing.TB) *site {
	t.Helper()
	sharedOnce.Do(func() { shared = startSite(t) })
	if shared == nil {
		t.Fatal("the test server did not start")
	}
	return shared
}

func startSite(t testing.TB) *site { return startSiteOn(t, testclock.Now) }

// startSiteOn starts a server whose clock is clock.
func startSiteOn(t testing.TB, clock func() time.Time) *site {
	cfg := app.Defaults()
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Clock = clock
	// Tokens and sessions run on the same seam, so a test at any instant mints tokens
	// the server accepts.
	cfg.TokenClock = clock
	cfg.RateLimitPrincipal, cfg.RateLimitOrganisation = 0, 0
	cfg.ShutdownDrainDelay = 0
	logs := &syncBuffer{}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	go func() { _ = a.Run(context.Background()) }() // runs until the test binary exits
	_, port, _ := net.SplitHostPort(a.HTTPAddr())
	return &site{base: "http://localhost:" + port, grpc: a.GRPCAddr(), logs: logs}
}

// signIn signs a fresh browser in as a demo person through the development sign-in page.
func (s *site) signIn(t *testing.T, subject string) context.Context {
	t.Helper()
	ctx := bt.New(t)
	s.signInTab(t, ctx, subject)
	return ctx
}

func (s *site) signInTab(t *testing.T, ctx context.Context, subject string) {
	t.Helper()
	bt.Navigate(t, ctx, s.base+"/app/")
	if !strings.HasSuffix(strings.SplitN(bt.Location(t, ctx), "?", 2)[0], "/app/sign-in") {
		t.Fatalf("signed out, /app/ went to %s, not the sign-in page", bt.Location(t, ctx))
	}
	bt.NoSeriousViolations(t, ctx, "sign-in")
	bt.Click(t, ctx, fmt.Sprintf(`input[name="person"][value=%q]`, subject))
	bt.Submit(t, ctx, "#sign-in")
	if got := bt.Text(t, ctx, "#signed-in-as"); got == "" {
		t.Fatalf("signed in as %s, the page does not say who", subject)
	}
}

// api calls the API as a demo person, to set up and check what the pages show.
func (s *site) api(t testing.TB, subject string) (context.Context, *grpc.ClientConn) {
	t.Helper()
	token, err := authn.DevToken(subject, time.Hour, testclock.Now())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token), conn
}

// youngPerson is the id of a demo young person, found by given name through the API as
// the manager of their team.
func (s *site) youngPerson(t testing.TB, given string) string {
	t.Helper()
	for _, manager := range []string{"tess-manager", "rob-manager"} {
		ctx, conn := s.api(t, manager)
		res, err := pb.NewYoungPeopleServiceClient(conn).ListYoungPeople(ctx, &pb.ListYoungPeopleRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range res.GetYoungPeople() {
			if y.GetGivenName() == given {
				return strings.TrimPrefix(y.GetName(), "youngPeople/")
			}
		}
	}
	t.Fatalf("no demo young person called %s", given)
	return ""
}

func notFoundPage(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return bt.Text(t, ctx, "h1") == "Page not found"
}

func screenshotPath(name string) string {
	return filepath.Join("..", "..", "docs", "screenshots", name)
}

// A server whose clock is far from the browser's (a test instant, a badly set host) still
// signs people in: cookies live for so many seconds, not until a date the browser reads on
// its own clock. With Expires, a browser a year ahead dropped the session at once.
func TestSignInWhateverTheServersClock(t *testing.T) {
	for _, offset := range []time.Duration{-365 * 24 * time.Hour, 365 * 24 * time.Hour} {
		s := startSiteOn(t, func() time.Time { return testclock.Now().Add(offset) })
		ctx := s.signIn(t, "sam-okoro")
		bt.Navigate(t, ctx, s.base+"/app/")
		if got := bt.Text(t, ctx, "#signed-in-as"); got == "" {
			t.Errorf("server clock %s from the browser's: signed out again on the next page", offset)
		}
	}
}
