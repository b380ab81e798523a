package app

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/platform/ratelimit"
	"github.com/carepath/carepath/internal/platform/webhook"
)

// Config is everything `carepath serve` can be told. The defaults run with zero setup: the
// in-memory store with demo data, gRPC on :9090 and REST on :8080.
type Config struct {
	GRPCAddr        string
	HTTPAddr        string
	DatabaseURL     string
	MigrateOnStart  bool
	DemoData        bool
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// ShutdownDrainDelay is how long the server keeps serving, reporting NOT_SERVING,
	// after SIGTERM and before it stops accepting, so load balancers stop sending first.
	ShutdownDrainDelay time.Duration
	MaxBodyBytes       int64
	// ImportMaxBytes bounds the CSV of one SSDA903 import over the API, the one request
	// allowed to be larger than MaxBodyBytes (its REST body and gRPC message grow with it).
	ImportMaxBytes int64

	// What answers without a token. Reflection and PublicMetrics put gRPC reflection and
	// /metrics on the public listeners; AdminAddr (HTTP: /metrics, /healthz, /readyz)
	// and AdminGRPCAddr (gRPC: reflection and health) are listeners of their own for
	// operators, empty for none.
	Reflection    bool
	PublicMetrics bool
	AdminAddr     string
	AdminGRPCAddr string

	// DatabaseTimeout bounds one database transaction, and so how long a call waits for a
	// database that does not answer; a call's own shorter deadline wins.
	DatabaseTimeout time.Duration

	// Authentication: an identity provider's issuer, audience and key set, or the built-in
	// development issuer (DevIssuer "auto" runs it with the in-memory store only).
	AuthIssuer     string
	AuthAudience   string
	AuthJWKSURL    string
	DevIssuer      string
	DevIssuerForce bool
	// PrincipalCacheTTL is how long who a token or client certificate stands for is used
	// before the caller is looked up again, never past the token's expiry; zero looks them
	// up on every call. Changes to people and organisations made through this replica take
	// effect at once, through another replica within this time.
	PrincipalCacheTTL time.Duration

	// TLS for both listeners; with a client CA, partner systems may present certificates.
	TLSCertFile     string
	TLSKeyFile      string
	TLSClientCAFile string

	// Reminders and webhooks.
	WebhookAllowPrivate  bool
	WebhookTimeout       time.Duration
	WebhookRetrySchedule string
	JobRescueAfter       time.Duration
	ReminderInterval     time.Duration

	// Rate limits, per process: calls a second and burst, for each principal and for each
	// organisation (all its people and systems together); a zero rate is no limit.
	RateLimitPrincipal         float64
	RateLimitPrincipalBurst    int
	RateLimitOrganisation      float64
	RateLimitOrganisationBurst int

	// AuditSealInterval is how often the audit trail's new records are sealed into their
	// chains.
	AuditSealInterval time.Duration

	// The web console under /app/: the council's name in its header, the key that seals its
	// session cookie (hex, 32 bytes, the same on every replica; empty for a random key per
	// process) and, in production, its OpenID Connect client at the --auth-issuer provider.
	Console     bool
	CouncilName string
	// LeavingCareContact is how young people reach the leaving care team, shown on their
	// own pages.
	LeavingCareContact string
	ConsoleSessionKey  string
	OIDCClientID       string
	OIDCClientSecret   string
	OIDCRedirectURL    string
	OIDCScopes         string
	ConsoleOIDCClient  *http.Client // set only in code: tests reach their provider through it

	// OTLPEndpoint, an OTLP/gRPC URL, turns tracing on; empty is off.
	OTLPEndpoint string

	// ClockStart, for tests and demonstrations, runs the service's clock as if it had been
	// this instant when the service started; zero is the real time. Clock, set only in
	// code (the tests' clock seam), overrides it.
	ClockStart time.Time
	Clock      func() time.Time
	// TokenClock, set only in code (the tests' seam), is the clock of token lifetimes and of
	// the principal cache; nil is the real time. The service's clock never applies to them.
	TokenClock func() time.Time
}

// Defaults returns the zero-setup configuration.
func Defaults() Config {
	return Config{
		GRPCAddr:           ":9090",
		HTTPAddr:           ":8080",
		DemoData:           true,
		Reflection:         true,
		PublicMetrics:      true,
		LogLevel:           slog.LevelInfo,
		ShutdownTimeout:    20 * time.Second,
		ShutdownDrainDelay: 5 * time.Second,
		DatabaseTimeout:    15 * time.Second,
		MaxBodyBytes:       1 << 20,
		ImportMaxBytes:     DefaultImportMaxBytes,
		DevIssuer:          "auto",
		PrincipalCacheTTL:  30 * time.Second,
		WebhookTimeout:     15 * time.Second,
		JobRescueAfter:     time.Hour,
		ReminderInterval:   time.Minute,

		RateLimitPrincipal:         20,
		RateLimitPrincipalBurst:    40,
		RateLimitOrganisation:      100,
		RateLimitOrganisationBurst: 200,

		AuditSealInterval: time.Second,
		Console:           true,
		CouncilName:       "Nottinghamshire County Council (demo)",
		LeavingCareContact: "Call the leaving care team on 0115 496 0000, Monday to Friday, 9am to 5pm. " +
			"Out of hours, call 0115 496 0999. (These are made-up numbers for the demo.)",
	}
}

// EnvPrefix starts the environment variable of every flag: --grpc-addr is CAREPATH_GRPC_ADDR.
const EnvPrefix = "CAREPATH_"

// RegisterFlags defines the serve flags on fs, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.GRPCAddr, "grpc-addr", c.GRPCAddr, "address of the gRPC listener")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "address of the HTTP listener (REST gateway, health, metrics, OpenAPI)")
	c.RegisterDatabaseFlag(fs)
	fs.BoolVar(&c.MigrateOnStart, "migrate", c.MigrateOnStart, "apply database migrations before serving (PostgreSQL only)")
	fs.BoolVar(&c.DemoData, "demo-data", c.DemoData, "load the demo young people into the in-memory store")
	fs.BoolVar(&c.Reflection, "grpc-reflection", c.Reflection,
		"serve gRPC reflection on the public gRPC listener, so tools like grpcurl can list the API (no token needed)")
	fs.BoolVar(&c.PublicMetrics, "public-metrics", c.PublicMetrics, "serve /metrics on the public HTTP listener (no token needed)")
	fs.StringVar(&c.AdminAddr, "admin-addr", c.AdminAddr,
		"address of an operators' HTTP listener serving /metrics, /healthz and /readyz; empty for none")
	fs.StringVar(&c.AdminGRPCAddr, "admin-grpc-addr", c.AdminGRPCAddr,
		"address of an operators' gRPC listener serving reflection and health; empty for none")
	fs.DurationVar(&c.DatabaseTimeout, "database-timeout", c.DatabaseTimeout,
		"longest a database transaction may take, and so a call may wait for a database that does not answer")
	fs.TextVar(&c.LogLevel, "log-level", c.LogLevel, "log level: DEBUG, INFO, WARN or ERROR")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long in-flight requests get to finish on SIGTERM")
	fs.DurationVar(&c.ShutdownDrainDelay, "shutdown-drain-delay", c.ShutdownDrainDelay,
		"after SIGTERM, how long to keep serving while reporting NOT_SERVING, so load balancers stop sending first")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest REST request body accepted, in bytes")
	fs.Int64Var(&c.ImportMaxBytes, "import-max-bytes", c.ImportMaxBytes, "most CSV one SSDA903 import over the API may "+
		"upload, all files together, in bytes (its request alone may be this large: base64 in JSON adds a third)")
	fs.StringVar(&c.AuthIssuer, "auth-issuer", c.AuthIssuer, "issuer (iss) of the identity provider's access tokens")
	fs.StringVar(&c.AuthAudience, "auth-audience", c.AuthAudience, "audience (aud) the tokens must be issued for")
	fs.StringVar(&c.AuthJWKSURL, "auth-jwks-url", c.AuthJWKSURL, "https URL of the identity provider's key set (JWKS)")
	fs.StringVar(&c.DevIssuer, "dev-issuer", c.DevIssuer,
		"run the built-in development token issuer: auto (with no --auth-jwks-url, and with the in-memory store unless "+
			"--dev-issuer-force), true or false")
	fs.BoolVar(&c.DevIssuerForce, "dev-issuer-force", c.DevIssuerForce,
		"run the development issuer with a database too, to try carepath on your own machine "+
			"(never in production: anyone can mint its tokens)")
	fs.DurationVar(&c.PrincipalCacheTTL, "principal-cache-ttl", c.PrincipalCacheTTL,
		"how long who a token or client certificate stands for (the person, organisation, roles and team) is remembered, "+
			"never past the token's expiry; changes made through this replica apply at once, through another replica "+
			"within this time (disabling a person included); 0 looks the caller up on every call; at most 5m")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", c.TLSCertFile, "PEM certificate for both listeners (TLS)")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", c.TLSKeyFile, "PEM private key of --tls-cert-file")
	fs.StringVar(&c.TLSClientCAFile, "tls-client-ca-file", c.TLSClientCAFile,
		"PEM CA certificates that sign partner systems' client certificates (mutual TLS)")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate,
		"development only: allow http and webhook endpoints on private, loopback and link-local addresses")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", c.WebhookTimeout, "how long one webhook attempt may take")
	fs.StringVar(&c.WebhookRetrySchedule, "webhook-retry-schedule", c.WebhookRetrySchedule,
		"waits between webhook attempts, comma-separated (default 5s,5m,30m,2h,5h,10h,14h,20h,24h: about 3 days)")
	fs.DurationVar(&c.JobRescueAfter, "job-rescue-after", c.JobRescueAfter,
		"how long a delivery job may run before it is taken for lost (its worker crashed) and run again (PostgreSQL)")
	fs.DurationVar(&c.ReminderInterval, "reminder-interval", c.ReminderInterval,
		"how often due reminders are looked for, besides whenever a young person, episode or milestone changes")
	fs.DurationVar(&c.AuditSealInterval, "audit-seal-interval", c.AuditSealInterval,
		"how often new audit records are sealed into their hash chains (each replica tries; one seals at a time)")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", c.OTLPEndpoint,
		"OpenTelemetry collector to send traces to over OTLP/gRPC, e.g. http://otel-collector:4317; empty for no tracing "+
			"(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT are used when this is not set)")
	fs.Float64Var(&c.RateLimitPrincipal, "rate-limit-principal", c.RateLimitPrincipal,
		"calls a second one person or partner system may make to this replica, sustained; 0 for no limit")
	fs.IntVar(&c.RateLimitPrincipalBurst, "rate-limit-principal-burst", c.RateLimitPrincipalBurst,
		"calls one person or partner system may make at once above --rate-limit-principal")
	fs.Float64Var(&c.RateLimitOrganisation, "rate-limit-organisation", c.RateLimitOrganisation,
		"calls a second all the people and systems of one organisation may make to this replica, sustained; 0 for no limit")
	fs.IntVar(&c.RateLimitOrganisationBurst, "rate-limit-organisation-burst", c.RateLimitOrganisationBurst,
		"calls one organisation may make at once above --rate-limit-organisation")
	fs.BoolVar(&c.Console, "console", c.Console, "serve the web console under /app/ on the HTTP listener")
	fs.StringVar(&c.CouncilName, "council-name", c.CouncilName, "the council's name, shown in the console's header")
	fs.StringVar(&c.LeavingCareContact, "leaving-care-contact", c.LeavingCareContact,
		"how young people reach the leaving care team (phone numbers, hours), shown on their own pages")
	fs.StringVar(&c.ConsoleSessionKey, "console-session-key", c.ConsoleSessionKey,
		"64 hex digits (32 bytes) sealing the console's session cookies, the same on every replica; "+
			"empty for a random key per process (sessions end when it stops)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", c.OIDCClientID,
		"the console's OpenID Connect client id at the --auth-issuer provider (authorization code flow with PKCE)")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", c.OIDCClientSecret, "the console's client secret; empty for a public client")
	fs.StringVar(&c.OIDCRedirectURL, "oidc-redirect-url", c.OIDCRedirectURL,
		"the console's callback as registered at the provider: https://HOST/app/sign-in/callback")
	fs.StringVar(&c.OIDCScopes, "oidc-scopes", c.OIDCScopes,
		"scopes to ask for beyond openid and profile, space-separated (for example the API's audience scope)")
	c.RegisterClockFlag(fs)
}

// RegisterClockFlag defines --clock-start alone, for commands that date what they write.
func (c *Config) RegisterClockFlag(fs *flag.FlagSet) {
	fs.Func("clock-start", "tests and demonstrations only: run the service's clock as if it were this RFC 3339 instant "+
		"when it started (ages, due dates and reminders follow it; token lifetimes keep the real time)", func(v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return errors.New("want an RFC 3339 instant such as 2027-03-28T00:30:00Z")
		}
		c.ClockStart = t
		return nil
	})
}

// Now reads the configured clock once.
func (c Config) Now() time.Time { return c.now()() }

// now returns the service's clock: Clock, or the real time shifted to ClockStart, or the
// real time.
func (c Config) now() func() time.Time {
	switch {
	case c.Clock != nil:
		return c.Clock
	case !c.ClockStart.IsZero():
		shift := time.Until(c.ClockStart)
		return func() time.Time { return time.Now().Add(shift) }
	default:
		return time.Now
	}
}

// tokenClock returns the clock of token lifetimes: TokenClock, or the real time.
func (c Config) tokenClock() func() time.Time {
	if c.TokenClock != nil {
		return c.TokenClock
	}
	return time.Now
}

// DevIssuerOn reports whether the development issuer runs: when asked for, or when no
// identity provider is configured and either the store is in memory or the issuer is
// forced (one flag is enough to try carepath on a local database).
func (c Config) DevIssuerOn() bool {
	return c.DevIssuer == "true" || c.DevIssuer == "auto" && c.AuthJWKSURL == "" && (c.DatabaseURL == "" || c.DevIssuerForce)
}

// RegisterDatabaseFlag defines --database-url alone, for commands that need only that.
func (c *Config) RegisterDatabaseFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL,
		"PostgreSQL URL, e.g. postgres://user:pass@host:5432/carepath; empty for the in-memory store")
}

// ApplyEnv gives each flag not set on the command line the value of its environment
// variable, if that is set. lookup is os.LookupEnv outside tests.
func ApplyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookup(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// Validate checks the configuration once, before anything starts.
func (c Config) Validate() error {
	var errs []error
	addrs := map[string]string{"grpc-addr": c.GRPCAddr, "http-addr": c.HTTPAddr,
		"admin-addr": c.AdminAddr, "admin-grpc-addr": c.AdminGRPCAddr}
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		addr := addrs[name]
		if addr == "" && strings.HasPrefix(name, "admin") {
			continue // no admin listener
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("--%s %q is not host:port", name, addr))
		}
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("--database-url must be a postgres:// URL"))
		}
	} else if c.MigrateOnStart {
		errs = append(errs, errors.New("--migrate needs --database-url"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.ShutdownDrainDelay < 0 || c.ShutdownDrainDelay > 5*time.Minute {
		errs = append(errs, errors.New("--shutdown-drain-delay must be between 0 and 5m"))
	}
	if c.DatabaseTimeout < time.Second || c.DatabaseTimeout > 10*time.Minute {
		errs = append(errs, errors.New("--database-timeout must be between 1s and 10m"))
	}
	if c.ImportMaxBytes < 1024 || c.ImportMaxBytes > 1<<30 {
		errs = append(errs, errors.New("--import-max-bytes must be between 1024 and 1073741824 (1 GiB)"))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1<<20 {
		errs = append(errs, errors.New("--max-body-bytes must be between 1024 and 1048576 (the gRPC message limit)"))
	}
	switch {
	case c.DevIssuer != "auto" && c.DevIssuer != "true" && c.DevIssuer != "false":
		errs = append(errs, errors.New("--dev-issuer must be auto, true or false"))
	case c.DevIssuerOn() && c.DatabaseURL != "" && !c.DevIssuerForce:
		errs = append(errs, errors.New("the development issuer lets anyone mint tokens, so with a database it runs only "+
			"with --dev-issuer-force (CAREPATH_DEV_ISSUER_FORCE=true), on your own machine; in production configure "+
			"--auth-issuer, --auth-audience and --auth-jwks-url instead"))
	case !c.DevIssuerOn() && (c.AuthJWKSURL == "" || c.AuthIssuer == "" || c.AuthAudience == ""):
		msg := "configure the identity provider with --auth-issuer, --auth-audience and --auth-jwks-url"
		if c.DevIssuer != "false" && c.AuthJWKSURL == "" {
			msg += "; or, to try carepath on your own machine, run the development issuer with --dev-issuer-force " +
				"(CAREPATH_DEV_ISSUER_FORCE=true)"
		}
		errs = append(errs, errors.New(msg))
	}
	if _, err := c.retrySchedule(); err != nil {
		errs = append(errs, fmt.Errorf("--webhook-retry-schedule: %w", err))
	}
	if c.WebhookTimeout <= 0 || c.ReminderInterval <= 0 {
		errs = append(errs, errors.New("--webhook-timeout and --reminder-interval must be positive"))
	}
	if c.PrincipalCacheTTL < 0 || c.PrincipalCacheTTL > maxPrincipalCacheTTL {
		errs = append(errs, fmt.Errorf("--principal-cache-ttl must be between 0 and %s: it bounds how long a "+
			"disabled person may go on being served by another replica", maxPrincipalCacheTTL))
	}
	for _, l := range []struct {
		name  string
		rate  float64
		burst int
	}{{"principal", c.RateLimitPrincipal, c.RateLimitPrincipalBurst}, {"organisation", c.RateLimitOrganisation, c.RateLimitOrganisationBurst}} {
		if l.rate < 0 || l.rate > 1e6 || l.rate > 0 && (l.burst < 1 || l.burst > 1e6) {
			errs = append(errs, fmt.Errorf("--rate-limit-%s must be between 0 (no limit) and 1000000, and its burst "+
				"between 1 and 1000000", l.name))
		}
	}
	if c.AuditSealInterval <= 0 {
		errs = append(errs, errors.New("--audit-seal-interval must be positive"))
	}
	if c.JobRescueAfter <= c.WebhookTimeout+jobMargin {
		errs = append(errs, fmt.Errorf("--job-rescue-after must exceed --webhook-timeout by more than %s", jobMargin))
	}
	if c.OTLPEndpoint != "" {
		if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("--otlp-endpoint must be an http:// or https:// URL such as http://otel-collector:4317"))
		}
	}
	if c.ConsoleSessionKey != "" {
		if k, err := hex.DecodeString(c.ConsoleSessionKey); err != nil || len(k) != 32 {
			errs = append(errs, errors.New("--console-session-key must be 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`"))
		}
	}
	if c.OIDCClientID != "" {
		// https, except on this machine: the session cookie is Secure, so over plain http
		// elsewhere it would never come back and every sign-in would fail.
		u, err := url.Parse(c.OIDCRedirectURL)
		if err != nil || u.Host == "" || u.Path != "/app/sign-in/callback" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1"))) {
			errs = append(errs, errors.New("--oidc-redirect-url must be this server's https://HOST/app/sign-in/callback"))
		}
		if c.AuthIssuer == "" {
			errs = append(errs, errors.New("--oidc-client-id needs --auth-issuer: the console signs in at the provider the API trusts"))
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	if c.TLSClientCAFile != "" && c.TLSCertFile == "" {
		errs = append(errs, errors.New("--tls-client-ca-file needs --tls-cert-file"))
	}
	return errors.Join(errs...)
}

// LogValue logs the configuration with the database password hidden.
func (c Config) LogValue() slog.Value {
	db := "memory"
	if c.DatabaseURL != "" {
		db = redact(c.DatabaseURL)
	}
	return slog.GroupValue(
		slog.String("grpc_addr", c.GRPCAddr), slog.String("http_addr", c.HTTPAddr),
		slog.String("store", db), slog.Bool("migrate", c.MigrateOnStart),
		slog.Bool("demo_data", c.DemoData && c.DatabaseURL == ""),
		slog.Bool("grpc_reflection", c.Reflection), slog.String("log_level", c.LogLevel.String()),
		slog.Bool("public_metrics", c.PublicMetrics), slog.String("admin_addr", c.AdminAddr),
		slog.String("admin_grpc_addr", c.AdminGRPCAddr), slog.String("database_timeout", c.DatabaseTimeout.String()),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()), slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Int64("import_max_bytes", c.ImportMaxBytes),
		slog.String("shutdown_drain_delay", c.ShutdownDrainDelay.String()),
		slog.Bool("dev_issuer", c.DevIssuerOn()), slog.String("auth_issuer", c.AuthIssuer),
		slog.String("auth_jwks_url", c.AuthJWKSURL), slog.Bool("tls", c.TLSCertFile != ""),
		slog.Bool("mutual_tls", c.TLSClientCAFile != ""), slog.Bool("webhook_allow_private", c.WebhookAllowPrivate),
		slog.String("webhook_timeout", c.WebhookTimeout.String()), slog.String("job_rescue_after", c.JobRescueAfter.String()),
		slog.String("webhook_retry_schedule", c.WebhookRetrySchedule), slog.String("reminder_interval", c.ReminderInterval.String()),
		slog.String("auth_audience", c.AuthAudience), slog.Bool("dev_issuer_force", c.DevIssuerForce),
		slog.Time("clock_start", c.ClockStart), slog.String("audit_seal_interval", c.AuditSealInterval.String()),
		slog.String("principal_cache_ttl", c.PrincipalCacheTTL.String()),
		slog.String("otlp_endpoint", c.OTLPEndpoint),
		slog.Float64("rate_limit_principal", c.RateLimitPrincipal), slog.Int("rate_limit_principal_burst", c.RateLimitPrincipalBurst),
		slog.Float64("rate_limit_organisation", c.RateLimitOrganisation),
		slog.Int("rate_limit_organisation_burst", c.RateLimitOrganisationBurst),
		slog.Bool("console", c.Console), slog.String("council_name", c.CouncilName),
		slog.Bool("console_session_key_set", c.ConsoleSessionKey != ""), slog.String("oidc_client_id", c.OIDCClientID),
		slog.Bool("oidc_client_secret_set", c.OIDCClientSecret != ""), slog.String("oidc_redirect_url", c.OIDCRedirectURL),
	)
}

func redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparseable)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// rateLimits are the limits the configuration sets. Buckets fill on the real time, like
// token lifetimes (TokenClock, the tests' seam), never on a shifted service clock.
func (c Config) rateLimits(refused func(kind string)) ratelimit.Config {
	return ratelimit.Config{
		Principal:    ratelimit.Limit{Rate: c.RateLimitPrincipal, Burst: c.RateLimitPrincipalBurst},
		Organisation: ratelimit.Limit{Rate: c.RateLimitOrganisation, Burst: c.RateLimitOrganisationBurst},
		Now:          c.tokenClock(),
		Refused:      refused,
	}
}

// maxPrincipalCacheTTL bounds --principal-cache-ttl.
const maxPrincipalCacheTTL = 5 * time.Minute

// jobMargin is what a delivery job needs besides its HTTP attempt: two short transactions.
const jobMargin = 10 * time.Second

// retrySchedule is the webhook retry schedule configured, or the default.
func (c Config) retrySchedule() (webhook.Schedule, error) {
	if c.WebhookRetrySchedule == "" {
		return webhook.DefaultSchedule, nil
	}
	return webhook.ParseSchedule(c.WebhookRetrySchedule)
}
