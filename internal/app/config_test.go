package app

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	cfg := Defaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	err := ApplyEnv(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return cfg, err
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	cfg, err := parse(t, []string{"--grpc-addr", "127.0.0.1:7000"}, map[string]string{
		"CAREPATH_GRPC_ADDR":     "127.0.0.1:1",
		"CAREPATH_HTTP_ADDR":     "127.0.0.1:7001",
		"CAREPATH_DATABASE_URL":  "postgres://u:secret@db/carepath",
		"CAREPATH_DEMO_DATA":     "false",
		"CAREPATH_LOG_LEVEL":     "debug",
		"CAREPATH_AUTH_ISSUER":   "https://idp.example",
		"CAREPATH_AUTH_AUDIENCE": "carepath",
		"CAREPATH_AUTH_JWKS_URL": "https://idp.example/jwks.json",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GRPCAddr != "127.0.0.1:7000" || cfg.HTTPAddr != "127.0.0.1:7001" || cfg.DatabaseURL != "postgres://u:secret@db/carepath" ||
		cfg.DemoData || cfg.LogLevel.String() != "DEBUG" {
		t.Fatalf("config = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.DevIssuerOn() {
		t.Fatal("the development issuer runs with a database and an identity provider configured")
	}
}

func TestBadEnvironmentValueIsAnError(t *testing.T) {
	if _, err := parse(t, nil, map[string]string{"CAREPATH_DEMO_DATA": "maybe"}); err == nil || !strings.Contains(err.Error(), "CAREPATH_DEMO_DATA") {
		t.Fatalf("err = %v, want one naming CAREPATH_DEMO_DATA", err)
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"grpc addr":                  func(c *Config) { c.GRPCAddr = "9090" },
		"database scheme":            func(c *Config) { c.DatabaseURL = "mysql://x" },
		"migrate, no db":             func(c *Config) { c.MigrateOnStart = true },
		"body too big":               func(c *Config) { c.MaxBodyBytes = 8 << 20 },
		"no grace on stop":           func(c *Config) { c.ShutdownTimeout = 0 },
		"dev issuer with a database": func(c *Config) { c.DatabaseURL = "postgres://db/carepath" },
		"forced dev issuer, no force": func(c *Config) {
			c.DatabaseURL, c.DevIssuer = "postgres://db/carepath", "true"
		},
		"no identity provider": func(c *Config) { c.DevIssuer = "false" },
		"half an identity provider": func(c *Config) {
			c.DevIssuer, c.AuthJWKSURL = "false", "https://idp.example/jwks.json"
		},
		"admin addr":               func(c *Config) { c.AdminAddr = "9091" },
		"admin gRPC addr":          func(c *Config) { c.AdminGRPCAddr = "localhost" },
		"negative drain delay":     func(c *Config) { c.ShutdownDrainDelay = -time.Second },
		"no database timeout":      func(c *Config) { c.DatabaseTimeout = 0 },
		"key without certificate":  func(c *Config) { c.TLSKeyFile = "key.pem" },
		"client CA without TLS":    func(c *Config) { c.TLSClientCAFile = "ca.pem" },
		"negative cache TTL":       func(c *Config) { c.PrincipalCacheTTL = -time.Second },
		"cache TTL over 5m":        func(c *Config) { c.PrincipalCacheTTL = 5*time.Minute + time.Second },
		"OTLP endpoint, no scheme": func(c *Config) { c.OTLPEndpoint = "otel-collector:4317" },
		"negative rate limit":      func(c *Config) { c.RateLimitPrincipal = -1 },
		"rate limit, no burst":     func(c *Config) { c.RateLimitOrganisationBurst = 0 },
	} {
		cfg := Defaults()
		mutate(&cfg)
		if cfg.Validate() == nil {
			t.Errorf("%s: Validate accepted %+v", name, cfg)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults are invalid: %v", err)
	}
	traced := Defaults()
	traced.OTLPEndpoint = "http://otel-collector.monitoring:4317"
	if err := traced.Validate(); err != nil {
		t.Errorf("an OTLP endpoint URL: %v", err)
	}
	off := Defaults()
	off.RateLimitPrincipal, off.RateLimitPrincipalBurst = 0, 0 // no limit needs no burst
	if err := off.Validate(); err != nil {
		t.Fatalf("rate limits off are invalid: %v", err)
	}
}

// Trying carepath on a local database takes one flag, and each of the two refusals names the
// way out of the other.
func TestDevIssuerWithADatabase(t *testing.T) {
	db := "postgres://carepath:secret@localhost/carepath"
	cfg, err := parse(t, nil, map[string]string{"CAREPATH_DATABASE_URL": db})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--dev-issuer-force") ||
		!strings.Contains(err.Error(), "--auth-jwks-url") {
		t.Errorf("a database and no identity provider: %v; want it to name --dev-issuer-force and the identity provider", err)
	}
	cfg, err = parse(t, []string{"--dev-issuer", "true"}, map[string]string{"CAREPATH_DATABASE_URL": db})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--dev-issuer-force") ||
		!strings.Contains(err.Error(), "--auth-jwks-url") {
		t.Errorf("the development issuer with a database: %v; want it to name --dev-issuer-force and the identity provider", err)
	}
	cfg, err = parse(t, nil, map[string]string{"CAREPATH_DATABASE_URL": db, "CAREPATH_DEV_ISSUER_FORCE": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil || !cfg.DevIssuerOn() {
		t.Errorf("CAREPATH_DEV_ISSUER_FORCE=true alone: %v, issuer on %v; want it to run the development issuer", err, cfg.DevIssuerOn())
	}
	// An identity provider configured wins over the force.
	cfg.AuthIssuer, cfg.AuthAudience, cfg.AuthJWKSURL = "https://idp.example", "carepath", "https://idp.example/jwks.json"
	if cfg.DevIssuerOn() {
		t.Error("the development issuer runs although an identity provider is configured")
	}
}

func TestLogValueHidesPasswords(t *testing.T) {
	for _, u := range []string{"postgres://carepath:hunter2@db:5432/carepath", "postgres://db/carepath?user=x&password=hunter2"} {
		cfg := Defaults()
		cfg.DatabaseURL = u
		if s := cfg.LogValue().String(); strings.Contains(s, "hunter2") {
			t.Errorf("logged config shows the password: %s", s)
		}
	}
}
