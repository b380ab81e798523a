// Package app is carepath's composition root: it turns a Config into a running server,
// choosing the store, building the gRPC server and its REST gateway, and shutting them
// down in order.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/delivery"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/platform/gateway"
	"github.com/carepath/carepath/internal/platform/grpcx"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/postgres"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/accessadmin"
	"github.com/carepath/carepath/services/auditlog"
	"github.com/carepath/carepath/services/careepisodes"
	catalogueservice "github.com/carepath/carepath/services/catalogue"
	"github.com/carepath/carepath/services/partner"
	"github.com/carepath/carepath/services/pathways"
	readinessservice "github.com/carepath/carepath/services/readiness"
	"github.com/carepath/carepath/services/reminders"
	"github.com/carepath/carepath/services/sharing"
	"github.com/carepath/carepath/services/youngpeople"
)

// App is a carepath server whose listeners are open.
type App struct {
	cfg      Config
	now      func() time.Time // the service's clock: dates, ages and reminders follow it
	log      *slog.Logger
	store    store.Store
	planner  *planner.Planner
	replan   chan struct{} // pokes the pathway refresher
	grpc     *grpc.Server  // the public gRPC listener's
	internal *grpc.Server  // with TLS: a plaintext twin on loopback for the gateway
	health   *health.Server
	http     *http.Server
	gwConn   *grpc.ClientConn
	grpcLis  net.Listener
	httpLis  net.Listener
	gwLis    net.Listener
	tls      *tls.Config
	ready    atomic.Bool
	services []string
	// Deliveries run on River with PostgreSQL, or in-process with the memory store.
	river      *river.Client[pgx.Tx]
	dispatcher *delivery.Dispatcher
	sealer     *sealer
	stopBG     context.CancelFunc // stops background work tied to the app's life (key set refresh)
}

// readinessInterval is how often the store is checked for health reporting.
const readinessInterval = 5 * time.Second

// New opens the store and the listeners; Run serves.
func New(ctx context.Context, cfg Config, log *slog.Logger) (a *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a = &App{cfg: cfg, now: cfg.now(), log: log, replan: make(chan struct{}, 1)}
	if !cfg.ClockStart.IsZero() {
		log.Warn("the service's clock is shifted (--clock-start): for tests and demonstrations only", "clock_start", cfg.ClockStart)
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	bg, stop := context.WithCancel(context.Background())
	a.stopBG = stop
	a.planner = planner.New(catalogue.Default(), a.now)
	if a.store, err = openStore(ctx, cfg, a.planner, civil.Today(a.now()), log); err != nil {
		return nil, err
	}
	verifier, err := newVerifier(bg, cfg)
	if err != nil {
		return nil, err
	}
	if a.tls, err = tlsConfig(cfg); err != nil {
		return nil, err
	}
	gatewaySecret := rand.Text()

	// Compiling every request's rules now turns a bad rule into a start-up failure instead
	// of an INTERNAL error on the first call.
	validator, err := protovalidate.New(protovalidate.WithMessageDescriptors(requestMessages()...))
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	registry := prometheus.NewRegistry()
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	registry.MustRegister(metrics, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.startDelivery(cfg, registry); err != nil {
		return nil, err
	}
	a.sealer = newSealer(a.store, a.now, a.ready.Load, log, registry)
	guard := access.NewAuthenticator(a.store, verifier, gatewaySecret, a.now, log)
	a.health = health.NewServer()
	newServer := func(opts ...grpc.ServerOption) *grpc.Server {
		s := grpcx.NewServer(log, metrics, validator, guard, opts...)
		a.register(s)
		if cfg.Reflection {
			reflection.Register(s)
		}
		return s
	}
	if a.tls != nil {
		a.grpc = newServer(grpc.Creds(credentials.NewTLS(a.tls)))
		a.internal = newServer()
	} else {
		a.grpc = newServer()
	}
	metrics.InitializeMetrics(a.grpc)
	for name := range a.grpc.GetServiceInfo() {
		a.services = append(a.services, name)
	}
	a.setServing(false)

	if a.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("gRPC listener: %w", err)
	}
	if a.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("HTTP listener: %w", err)
	}
	// The gateway calls our own gRPC server, so REST calls pass every interceptor: the
	// public listener, or with TLS a plaintext twin of the server on loopback.
	target := loopback(a.grpcLis.Addr())
	if a.internal != nil {
		if a.gwLis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("gateway listener: %w", err)
		}
		target = a.gwLis.Addr().String()
	}
	if a.gwConn, err = grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		return nil, fmt.Errorf("gateway connection: %w", err)
	}
	gw := gateway.NewServeMux(runtime.WithMetadata(gatewayMetadata(gatewaySecret)))
	for _, svc := range a.apis() {
		if err := svc.gateway(ctx, gw, a.gwConn); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	a.http = &http.Server{
		Handler:           a.routes(gw, registry),
		TLSConfig:         a.tls,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// service is one carepath API: its gRPC implementation and its REST gateway, kept together
// so that no service is served over one protocol only.
type service struct {
	grpc    func(*grpc.Server)
	gateway func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
}

func (a *App) apis() []service {
	now := a.now
	return []service{
		{func(s *grpc.Server) { pb.RegisterYoungPeopleServiceServer(s, youngpeople.New(a.store, a.planner, now)) },
			pb.RegisterYoungPeopleServiceHandler},
		{func(s *grpc.Server) {
			pb.RegisterCareEpisodesServiceServer(s, careepisodes.New(a.store, a.planner, now))
		},
			pb.RegisterCareEpisodesServiceHandler},
		{func(s *grpc.Server) { pb.RegisterPathwaysServiceServer(s, pathways.New(a.store, a.planner, now)) },
			pb.RegisterPathwaysServiceHandler},
		{func(s *grpc.Server) {
			pb.RegisterCatalogueServiceServer(s, catalogueservice.New(a.store, a.planner, now, a.pokeRefresher))
		}, pb.RegisterCatalogueServiceHandler},
		{func(s *grpc.Server) { pb.RegisterAccessServiceServer(s, accessadmin.New(a.store, now)) },
			pb.RegisterAccessServiceHandler},
		{func(s *grpc.Server) { pb.RegisterSharingServiceServer(s, sharing.New(a.store, a.planner, now)) },
			pb.RegisterSharingServiceHandler},
		{func(s *grpc.Server) { pb.RegisterPartnerServiceServer(s, partner.New(a.store, a.planner, now)) },
			pb.RegisterPartnerServiceHandler},
		{func(s *grpc.Server) {
			pb.RegisterReadinessServiceServer(s, readinessservice.New(a.store, a.planner, now))
		},
			pb.RegisterReadinessServiceHandler},
		{func(s *grpc.Server) { pb.RegisterAuditServiceServer(s, auditlog.New(a.store, now)) },
			pb.RegisterAuditServiceHandler},
		{func(s *grpc.Server) { pb.RegisterReminderServiceServer(s, reminders.New(a.store, now, a.webhooks())) },
			pb.RegisterReminderServiceHandler},
	}
}

// register adds every carepath service, and health, to a gRPC server.
func (a *App) register(s *grpc.Server) {
	for _, svc := range a.apis() {
		svc.grpc(s)
	}
	healthpb.RegisterHealthServer(s, a.health)
}

// gatewayMetadata vouches, with the in-process secret, for what only the gateway knows of a
// REST client: its address and, over mutual TLS, its certificate's subject.
func gatewayMetadata(secret string) func(context.Context, *http.Request) metadata.MD {
	return func(_ context.Context, r *http.Request) metadata.MD {
		md := metadata.Pairs(access.GatewaySecretKey, secret)
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			md.Set(access.GatewayAddressKey, host)
		}
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			if subject := access.CertificateSubject(r.TLS.VerifiedChains[0][0].URIs); subject != "" {
				md.Set(access.GatewayCertKey, subject)
			}
		}
		return md
	}
}

// newVerifier verifies bearer tokens: the identity provider's, or the development issuer's.
func newVerifier(bg context.Context, cfg Config) (authn.Verifier, error) {
	if cfg.DevIssuerOn() {
		// Token lifetimes run on the real clock, whatever the service's clock says.
		return authn.DevVerifier(time.Now), nil
	}
	return authn.NewJWKSVerifier(bg, authn.Config{Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience, JWKSURL: cfg.AuthJWKSURL})
}

// openStore picks the backend: PostgreSQL when a database URL is given, else memory with
// the demo data.
func openStore(ctx context.Context, cfg Config, p *planner.Planner, today civil.Date, log *slog.Logger) (store.Store, error) {
	if cfg.DatabaseURL == "" {
		s := memory.New()
		if cfg.DemoData {
			n, err := demo.Load(ctx, s, p, today)
			if err != nil {
				return nil, fmt.Errorf("demo data: %w", err)
			}
			log.Info("loaded demo data into the in-memory store", "young_people", n)
		}
		return s, nil
	}
	if cfg.MigrateOnStart {
		if err := postgres.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, err
		}
	}
	return postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{})
}

// requestMessages returns the request message of every carepath RPC.
func requestMessages() []protoreflect.MessageDescriptor {
	var out []protoreflect.MessageDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("carepath.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			methods := fd.Services().Get(i).Methods()
			for j := range methods.Len() {
				out = append(out, methods.Get(j).Input())
			}
		}
		return true
	})
	return out
}

// Migrate applies the database migrations (`carepath migrate`).
func Migrate(ctx context.Context, databaseURL string, log *slog.Logger) error {
	return postgres.Migrate(ctx, databaseURL, log)
}

// loopback is the address to dial to reach a listener: its port on the loopback interface
// when it listens on every interface.
func loopback(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// GRPCAddr and HTTPAddr are the addresses the listeners are bound to.
func (a *App) GRPCAddr() string { return a.grpcLis.Addr().String() }
func (a *App) HTTPAddr() string { return a.httpLis.Addr().String() }

// Run serves until ctx is cancelled, then shuts down gracefully: health reports
// NOT_SERVING, the HTTP server drains, the gRPC server drains (or is stopped when the
// timeout passes), and the store closes.
func (a *App) Run(ctx context.Context) error {
	defer a.close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := a.grpc.Serve(a.grpcLis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("gRPC server: %w", err)
		}
		return nil
	})
	if a.internal != nil {
		g.Go(func() error {
			if err := a.internal.Serve(a.gwLis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				return fmt.Errorf("gateway's gRPC server: %w", err)
			}
			return nil
		})
	}
	g.Go(func() error {
		serve := func() error { return a.http.Serve(a.httpLis) }
		if a.tls != nil {
			serve = func() error { return a.http.ServeTLS(a.httpLis, "", "") }
		}
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("HTTP server: %w", err)
		}
		return nil
	})
	g.Go(func() error { a.watchReadiness(gctx); return nil })
	g.Go(func() error { a.refreshPathways(gctx); return nil })
	g.Go(func() error { a.raiseReminders(gctx); return nil })
	g.Go(func() error { a.sealer.run(gctx, a.cfg.AuditSealInterval); return nil })
	a.runDelivery(gctx, g)
	a.log.Info("carepath is serving", "grpc_addr", a.GRPCAddr(), "http_addr", a.HTTPAddr())

	g.Go(func() error {
		<-gctx.Done()
		a.shutdown()
		return nil
	})
	return g.Wait()
}

func (a *App) shutdown() {
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	a.health.Shutdown()
	a.ready.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.http.Shutdown(ctx); err != nil {
		a.log.Warn("HTTP server did not drain in time", "error", err)
	}
	for _, s := range []*grpc.Server{a.internal, a.grpc} {
		if s == nil {
			continue
		}
		stopped := make(chan struct{})
		go func() { s.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			a.log.Warn("gRPC server did not drain in time; stopping it")
			s.Stop()
		}
	}
}

func (a *App) close() {
	if a.stopBG != nil {
		a.stopBG()
	}
	if a.gwConn != nil {
		_ = a.gwConn.Close()
	}
	for _, l := range []net.Listener{a.grpcLis, a.httpLis, a.gwLis} {
		if l != nil {
			_ = l.Close()
		}
	}
	if a.store != nil {
		a.store.Close()
	}
}

// watchReadiness reports SERVING while the store is ready, checking it periodically.
func (a *App) watchReadiness(ctx context.Context) {
	t := time.NewTicker(readinessInterval)
	defer t.Stop()
	for {
		checkCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := a.store.Ready(checkCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if ok := err == nil; ok != a.ready.Load() {
			if ok {
				a.log.Info("store is ready")
			} else {
				a.log.Warn("store is not ready", "error", err)
			}
			a.setServing(ok)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refreshInterval is how often pathways planned with an older catalogue or council settings
// are looked for, besides whenever settings change.
const refreshInterval = time.Minute

// pokeRefresher asks for a pathway refresh soon.
func (a *App) pokeRefresher() {
	select {
	case a.replan <- struct{}{}:
	default: // one is already pending
	}
}

// refreshPathways replans stale pathways and reassesses readiness that time has overtaken
// (at midnight, a day's worth), in the background, in batches; every replica may run it
// (batches are claimed with locks the others skip).
func (a *App) refreshPathways(ctx context.Context) {
	t := time.NewTicker(refreshInterval)
	defer t.Stop()
	for {
		start := time.Now()
		n, err := a.planner.RefreshStale(ctx, a.store, 500, 2)
		if err == nil && n > 0 {
			a.log.Info("replanned pathways", "young_people", n, "duration", time.Since(start).String())
		}
		if err == nil {
			start = time.Now()
			if n, err = a.planner.RefreshReadiness(ctx, a.store, "", 500, 2); err == nil && n > 0 {
				a.log.Info("reassessed readiness", "young_people", n, "duration", time.Since(start).String())
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("background planning failed; will retry", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.replan:
		}
	}
}

func (a *App) setServing(ok bool) {
	a.ready.Store(ok)
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	a.health.SetServingStatus("", st)
	for _, name := range a.services {
		a.health.SetServingStatus(name, st)
	}
}
