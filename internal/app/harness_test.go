package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/carepath/carepath/internal/app"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/pgtest"
	"github.com/carepath/carepath/internal/store/postgres"
	"github.com/carepath/carepath/internal/testclock"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// syncBuffer collects the server's logs from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
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

// server is a running carepath on loopback with clients for both protocols. Its clients
// act as a personal adviser of their own, created for the test, with an empty caseload.
type server struct {
	base   string // http://127.0.0.1:port
	conn   *grpc.ClientConn
	yp     pb.YoungPeopleServiceClient
	logs   *syncBuffer
	stop   func() // shuts the server down and waits for it
	config app.Config
	token  string // the test personal adviser's bearer token
	person string // the test personal adviser's id
	grpc   string // the gRPC address
	// admin and adminGRPC are the operators' listeners' addresses, "" when off.
	admin, adminGRPC string
	// dialOpts, if set, replace the plaintext transport of dial (for TLS).
	dialOpts []grpc.DialOption
}

// backend is a way to configure the store of a test server.
type backend struct {
	name string
	// configure returns a configuration for a fresh, empty store.
	configure func(t *testing.T) app.Config
}

func memoryBackend() backend {
	return backend{name: "memory", configure: func(*testing.T) app.Config { return testConfig() }}
}

// postgresBackend is a fresh database with the demo organisations and people (no young
// people), and the development issuer forced on for the test.
func postgresBackend() backend {
	return backend{name: "postgres", configure: func(t *testing.T) app.Config {
		cfg := testConfig()
		cfg.DatabaseURL = pgtest.NewDatabase(t)
		cfg.DevIssuer, cfg.DevIssuerForce = "true", true
		seedAccess(t, cfg.DatabaseURL)
		return cfg
	}}
}

func seedAccess(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.InTx(ctx, func(tx store.Tx) error {
		now := testclock.Now()
		return demo.LoadAccess(ctx, tx, civil.Today(now), now)
	}); err != nil {
		t.Fatal(err)
	}
}

// backends are both stores: every API test runs on each.
func backends() []backend { return []backend{memoryBackend(), postgresBackend()} }

func testConfig() app.Config {
	cfg := app.Defaults()
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.ShutdownDrainDelay = 0 // tests that stop servers need not wait for load balancers
	cfg.Clock = testclock.Now
	// Tests call as fast as they can as a few people; ratelimit_api_test.go turns the limits
	// on.
	cfg.RateLimitPrincipal, cfg.RateLimitOrganisation = 0, 0
	return cfg
}

// start runs a server with cfg until the test ends, with a personal adviser of its own.
func start(t *testing.T, cfg app.Config) *server {
	t.Helper()
	s := startWithoutPerson(t, cfg)
	s.person = fmt.Sprintf("test-pa-%d", personSeq.Add(1))
	s.token = s.newPerson(t, s.person, "nottinghamshire", "east", "PERSONAL_ADVISER")
	s.conn = s.dial(t, s.token)
	s.yp = pb.NewYoungPeopleServiceClient(s.conn)
	return s
}

// startWithoutPerson runs a server with cfg until the test ends.
func startWithoutPerson(t *testing.T, cfg app.Config) *server {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("app.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	s := &server{base: "http://" + a.HTTPAddr(), grpc: a.GRPCAddr(), logs: logs, config: cfg,
		admin: a.AdminAddr(), adminGRPC: a.AdminGRPCAddr()}
	testLogs.add(logs)
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run returned %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

var personSeq atomic.Int64

// tokenFor mints a development token for a person.
func tokenFor(t *testing.T, person string) string {
	t.Helper()
	token, err := authn.DevToken(person, time.Hour, time.Now()) // token lifetimes run on the real clock
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// bearer sends a token with every RPC.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// dial opens a gRPC connection that acts with the token ("" for none); it closes with the test.
func (s *server) dial(t *testing.T, token string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if s.dialOpts != nil {
		opts = slices.Clone(s.dialOpts)
	}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(token)))
	}
	conn, err := grpc.NewClient(s.grpc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// newPerson has the demo administrator add a person, and returns a token for them.
func (s *server) newPerson(t *testing.T, id, org, team string, roles ...string) string {
	t.Helper()
	return s.newPersonBy(t, "ada-admin", id, org, team, roles...)
}

// newPersonBy has an administrator add a person, and returns a token for them.
func (s *server) newPersonBy(t *testing.T, admin, id, org, team string, roles ...string) string {
	t.Helper()
	body := fmt.Sprintf(`{"displayName": "Test %s", "organisation": "organisations/%s", "team": %q, "roles": [%s]}`,
		id, org, team, `"`+strings.Join(roles, `", "`)+`"`)
	r := s.as(tokenFor(t, admin)).do(t, "POST", "/v1/people?personId="+id, body)
	if r.code != 200 {
		t.Fatalf("create person %s: HTTP %d %s", id, r.code, r.body)
	}
	return tokenFor(t, id)
}

// manager returns a token for a team manager of the test personal advisers' team.
func (s *server) manager(t *testing.T) string {
	t.Helper()
	return s.newPerson(t, fmt.Sprintf("test-tm-%d", personSeq.Add(1)), "nottinghamshire", "east", "TEAM_MANAGER")
}

// as returns a view of the server whose REST calls carry another token ("" for none).
func (s *server) as(token string) *server {
	c := *s
	c.token = token
	return &c
}

// restResponse is an HTTP response with its body read.
type restResponse struct {
	code   int
	header http.Header
	body   []byte
}

func (r restResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response body is not JSON: %v\n%s", err, r.body)
	}
	return v
}

// do sends an HTTP request to the server.
func (s *server) do(t *testing.T, method, path, body string, headers ...string) restResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return restResponse{code: resp.StatusCode, header: resp.Header, body: b}
}

// apiError is the AIP-193 JSON error body, decoded.
type apiError struct {
	Code    int    `json:"code"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Details []struct {
		Type            string            `json:"@type"`
		Reason          string            `json:"reason"`
		Domain          string            `json:"domain"`
		Metadata        map[string]string `json:"metadata"`
		FieldViolations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
		} `json:"fieldViolations"`
	} `json:"details"`
}

// wantRESTError checks an AIP-193 error response: HTTP code, status, ErrorInfo reason and
// the fields with violations (in any order; nil means "do not check").
func wantRESTError(t *testing.T, r restResponse, httpCode int, statusName, reason string, fields ...string) {
	t.Helper()
	var body struct{ Error apiError }
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, r.body)
	}
	e := body.Error
	if r.code != httpCode || e.Code != httpCode || e.Status != statusName {
		t.Fatalf("got HTTP %d (body code %d, status %s), want %d %s\n%s", r.code, e.Code, e.Status, httpCode, statusName, r.body)
	}
	var gotReason, gotDomain string
	var gotFields []string
	for _, d := range e.Details {
		switch d.Type {
		case "type.googleapis.com/google.rpc.ErrorInfo":
			gotReason, gotDomain = d.Reason, d.Domain
		case "type.googleapis.com/google.rpc.BadRequest":
			for _, v := range d.FieldViolations {
				gotFields = append(gotFields, v.Field)
			}
		}
	}
	if gotReason != reason || gotDomain != "carepath.api" {
		t.Fatalf("ErrorInfo reason/domain = %q/%q, want %q/carepath.api\n%s", gotReason, gotDomain, reason, r.body)
	}
	if fields != nil && !sameSet(gotFields, fields) {
		t.Fatalf("field violations on %v, want %v\n%s", gotFields, fields, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("error response Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
	}
}

// wantGRPCError checks a gRPC error: code, ErrorInfo reason and violation fields.
func wantGRPCError(t *testing.T, err error, code codes.Code, reason string, fields ...string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	var gotReason, gotDomain string
	var gotFields []string
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			gotReason, gotDomain = d.GetReason(), d.GetDomain()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				gotFields = append(gotFields, v.GetField())
			}
		}
	}
	if gotReason != reason || gotDomain != "carepath.api" {
		t.Fatalf("ErrorInfo reason/domain = %q/%q, want %q/carepath.api (%v)", gotReason, gotDomain, reason, err)
	}
	if fields != nil && !sameSet(gotFields, fields) {
		t.Fatalf("field violations on %v, want %v", gotFields, fields)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// eventually polls cond until it holds or a deadline passes: a generous one, as it costs
// time only when the test fails, and CI's machine runs many tests at once.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dbConn is a connection to the test database at url, closed when the test ends (so not for
// a helper that polls).
func dbConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
